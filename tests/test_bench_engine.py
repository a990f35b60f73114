"""bench/engine.py --phases: timing a step's phases must not change what the step computes."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import engine  # noqa: E402


def test_a_phased_step_times_every_phase_and_learns_exactly_what_a_plain_step_learns():
    plain, timed = engine.make_agent("dqn2013"), engine.make_agent("dqn2013")
    batch = engine.make_batch(4, np.random.default_rng(1))
    clip = engine.rl.dqn.clip_grad_norm
    with engine.numpy_phased(timed, batch) as step:
        for _ in range(2):
            seconds = step()
            plain.learn(batch)
            assert set(seconds) == set(engine.PHASES)
            assert all(s > 0 for s in seconds.values())
    assert engine.rl.dqn.clip_grad_norm is clip         # the wrap ends with the block
    for k, p in plain.online.parameters().items():
        np.testing.assert_array_equal(timed.online.parameters()[k], p)


def test_laps_add_up_the_time_of_each_named_phase_and_skip_the_unnamed():
    laps = engine.Laps()
    laps.t -= 2.0                       # as if 2 s had passed since the start
    laps.lap("a")
    laps.t -= 1.0
    laps.lap(None)
    laps.t -= 0.5
    laps.lap("a")
    assert set(laps.seconds) == {"a"}
    assert 2.5 <= laps.seconds["a"] < 2.6


def test_measure_keeps_one_record_per_timed_call_with_its_phases():
    calls = []
    records = engine.measure({"x": lambda: calls.append(1) or {"p": 0.25}}, reps=7, warmup=2)
    assert len(calls) == 9 and len(records["x"]) == 7
    assert all(r["p"] == 0.25 and r["total"] >= 0 for r in records["x"])
