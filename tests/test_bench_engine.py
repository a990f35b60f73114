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


def test_layer_inputs_are_what_each_layer_sees_in_one_forward():
    agent = engine.make_agent("dqn2013")
    x, scale = engine.make_batch(3, np.random.default_rng(2)).s, agent.input_scale
    layers = agent.online.layers
    inputs = engine.layer_inputs(layers, x, lambda i, layer, h: engine.layer_forward(i, layer, h, scale))
    assert len(inputs) == len(layers) and inputs[0] is x
    np.testing.assert_array_equal(layers[-1].forward(inputs[-1]), agent.online.forward(x, scale))


def test_each_timed_layer_call_computes_that_layer_on_its_input_in_the_whole_forward():
    agent = engine.make_agent("dqn2013")
    x, net = engine.make_batch(2, np.random.default_rng(3)).s, agent.online
    rows = engine.numpy_layer_runs(net, x, agent.input_scale)
    names = [name for name, _ in rows]
    assert names[0] == "0 Conv2D 8x8/4, 16" and names[5] == "5 Dense 2592 -> 256"
    assert names[-1] == "whole forward" and len(rows) == len(net.layers) + 1
    outputs = [call() for _, call in rows]
    h = x
    for i, (layer, out) in enumerate(zip(net.layers, outputs)):     # layer i on layer i-1's output
        h = engine.layer_forward(i, layer, h, agent.input_scale)
        np.testing.assert_array_equal(out, h)
    np.testing.assert_array_equal(outputs[-1], h)                   # the last layer's output is Q


def test_without_torch_the_layer_table_has_numpy_figures_and_no_torch_column(monkeypatch):
    monkeypatch.setattr(engine, "torch", None)          # numpy alone, as where torch is not installed
    lines = engine.bench_layers("dqn2013", 2, reps=1, warmup=0)
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| layer")]
    names = [row.split("|")[1].strip() for row in rows]
    layers = engine.make_agent("dqn2013").online.layers
    assert names == [engine.layer_name(i, layer) for i, layer in enumerate(layers)] + ["whole forward"]
    cells = [[cell.strip() for cell in row.split("|")[2:5]] for row in rows]
    numpy_ms = [float(numpy) for numpy, _, _ in cells]                 # every row has a numpy figure
    assert numpy_ms[-1] > 0 and all(torch == ratio == "—" for _, torch, ratio in cells)
