"""Replay memory: the ring buffer wraps around, sampling is uniform over what is stored,
truncation is not termination, and n-step returns are summed by hand."""
import numpy as np
import pytest

from rl.replay import ReplayMemory


def fill(memory: ReplayMemory, n: int, ends: dict | None = None) -> None:
    """Add transitions t = 0 .. n-1 with s = t, a = t % 2, r = t, s' = t + 0.5.
    ends: {t: "terminated" | "truncated"} marks where episodes end."""
    ends = ends or {}
    for t in range(n):
        memory.add(np.full(2, t), t % 2, float(t), np.full(2, t + 0.5),
                   terminated=ends.get(t) == "terminated", truncated=ends.get(t) == "truncated")


def test_ring_buffer_overwrites_the_oldest_transition():
    memory = ReplayMemory(5, (2,))
    fill(memory, 3)
    assert len(memory) == 3
    memory = ReplayMemory(5, (2,))
    fill(memory, 8)
    assert len(memory) == 5 and memory.t == 8
    # slot i holds the newest t with t mod 5 = i: 5, 6, 7 replaced 0, 1, 2
    np.testing.assert_array_equal(memory.states[:, 0], [5, 6, 7, 3, 4])
    np.testing.assert_array_equal(memory.rewards, [5, 6, 7, 3, 4])
    np.testing.assert_array_equal(memory.next_states[:, 0], [5.5, 6.5, 7.5, 3.5, 4.5])


def test_samples_are_whole_stored_transitions_drawn_uniformly():
    memory = ReplayMemory(5, (2,), gamma=0.9, seed=0)
    fill(memory, 8)                                      # holds t = 3 .. 7
    batch = memory.sample(20_000)
    t = batch.s[:, 0]
    assert set(t) == {3, 4, 5, 6, 7}
    np.testing.assert_array_equal(batch.a, t % 2)        # the fields of one transition stay together
    np.testing.assert_array_equal(batch.r, t)
    np.testing.assert_array_equal(batch.s2[:, 0], t + 0.5)
    np.testing.assert_array_equal(batch.discount, np.float32(0.9))
    counts = np.bincount(t.astype(int))[3:]
    assert np.all(np.abs(counts / len(t) - 0.2) < 0.015)  # uniform: 4,000 ± ~57 each


def test_same_seed_same_minibatches():
    a, b = ReplayMemory(10, (2,), seed=3), ReplayMemory(10, (2,), seed=3)
    fill(a, 10)
    fill(b, 10)
    np.testing.assert_array_equal(a.sample(32).s, b.sample(32).s)


def test_truncation_is_not_termination():
    memory = ReplayMemory(4, (2,))
    fill(memory, 3, ends={0: "terminated", 1: "truncated"})
    np.testing.assert_array_equal(memory.terminated[:3], [1.0, 0.0, 0.0])   # only 0 stops the bootstrap


def test_empty_memory_refuses_to_sample():
    with pytest.raises(ValueError, match="empty"):
        ReplayMemory(4, (2,)).sample(1)


def sample_start(memory: ReplayMemory, t: int):
    """The n-step sample of transition t (by drawing until it comes up)."""
    for _ in range(100):
        batch = memory.sample(64)
        hit = np.flatnonzero(batch.s[:, 0] == t)
        if len(hit):
            i = hit[0]
            return batch.r[i], batch.s2[i, 0], batch.terminated[i], batch.discount[i]
    raise AssertionError(f"transition {t} never sampled")


def test_n_step_returns_stop_at_episode_ends_and_at_the_newest_transition():
    g = 0.5
    # episodes: t = 0..2 (terminated at 2), t = 3..4 (truncated at 4), t = 5..6 (still running)
    memory = ReplayMemory(10, (2,), gamma=g, n_step=3, seed=0)
    fill(memory, 7, ends={2: "terminated", 4: "truncated"})
    #                      R                      s'    terminated  discount
    expect = {0: (0 + g * 1 + g * g * 2,          2.5,  1.0,        g ** 3),
              1: (1 + g * 2,                      2.5,  1.0,        g ** 2),
              2: (2,                              2.5,  1.0,        g),
              3: (3 + g * 4,                      4.5,  0.0,        g ** 2),   # a time limit bootstraps
              4: (4,                              4.5,  0.0,        g),
              5: (5 + g * 6,                      6.5,  0.0,        g ** 2)}   # t = 7 has not happened
    for t, want in expect.items():
        np.testing.assert_allclose(sample_start(memory, t), want, rtol=1e-6)


def test_n_step_window_runs_across_the_ring_buffer_seam():
    g = 0.9
    memory = ReplayMemory(4, (2,), gamma=g, n_step=2, seed=0)
    fill(memory, 6)                                      # t = 3 sits in slot 3, t = 4 in slot 0
    np.testing.assert_allclose(sample_start(memory, 3), (3 + g * 4, 4.5, 0.0, g * g), rtol=1e-6)
