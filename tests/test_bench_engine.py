"""bench/engine.py: it times the step run.py atari ships, and counts what it says it counts."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import engine  # noqa: E402


def test_measure_times_every_rep_after_the_warmup():
    calls = []
    seconds = engine.measure({"x": lambda: calls.append(1)}, reps=7, warmup=2)
    assert len(calls) == 9 and len(seconds["x"]) == 7 and all(s >= 0 for s in seconds["x"])


def test_the_timed_agent_learns_on_half_batches_as_run_py_atari_does():
    agent = engine.make_agent("dqn2013")
    assert agent.learning_online is not agent.online            # the two-halves step
    before = {k: v.copy() for k, v in agent.online.parameters().items()}
    agent.learn(engine.make_batch(4, np.random.default_rng(1)))
    assert all(np.any(agent.online.parameters()[k] != v) for k, v in before.items())


@pytest.mark.skipif(engine.torch is None, reason="torch is not installed")
def test_the_torch_mirror_computes_the_same_q_values():
    agent = engine.make_agent("dqn2013")
    batch = engine.make_batch(3, np.random.default_rng(2))
    with engine.torch.no_grad():
        q_torch = engine.torch_copy(agent.online)(engine.torch_batch(batch)[0].float().div_(255)).numpy()
    np.testing.assert_allclose(agent.q_values(batch.s), q_torch, rtol=1e-4, atol=1e-5)
