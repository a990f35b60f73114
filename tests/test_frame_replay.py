"""Frame replay: the stacks it rebuilds are the very arrays FrameStack gave the agent (across
episode starts and after the ring wraps), n-step returns are summed by hand, and a window
that runs into a time limit is never sampled.

Episodes are driven with a FrameStack of random frames instead of an emulator, so every
stored state is known exactly and each sampled state can be traced back to its step."""
import numpy as np
import pytest

from atari.frame_replay import FrameReplay
from atari.preprocess import FrameStack


def drive(memory: FrameReplay, episodes: list[tuple[int, str]], seed: int = 0) -> list[np.ndarray]:
    """Play `episodes` [(length, "terminated" | "truncated" | "running"), ...] into memory with
    a = t % 3 and r = t at step t.  Returns every state s_t as FrameStack made it (the last s'
    of an episode is not one: it is never acted on)."""
    rng = np.random.default_rng(seed)
    frames = FrameStack()
    states = []
    for length, end in episodes:
        s = frames.reset(rng.integers(1, 256, (84, 84), dtype=np.uint8))
        for j in range(length):
            t = len(states)
            s2 = frames.push(rng.integers(1, 256, (84, 84), dtype=np.uint8))
            last = j == length - 1
            memory.add(s, t % 3, float(t), s2, terminated=last and end == "terminated",
                       truncated=last and end == "truncated", first=j == 0)
            states.append(s)
            s = s2
    return states


def steps_of(batch_states: np.ndarray, states: list[np.ndarray]) -> np.ndarray:
    """The step t of each sampled state, found by its newest frame (random frames are unique)."""
    step_of = {s[..., -1].tobytes(): t for t, s in enumerate(states)}
    return np.array([step_of[s[..., -1].tobytes()] for s in batch_states])


def test_rebuilt_stacks_are_the_framestack_arrays_and_never_mix_episodes():
    memory = FrameReplay(100)
    states = drive(memory, [(6, "terminated"), (2, "terminated"), (5, "truncated"), (7, "running")])
    rebuilt = memory.stacks(np.arange(len(states)))
    for t, s in enumerate(states):
        np.testing.assert_array_equal(rebuilt[t], s, err_msg=f"step {t}")
    # steps 6 and 8 start episodes: their older slots are zeros, as at reset, although the
    # previous episode's frames sit right before them in memory
    assert not rebuilt[6][..., :3].any() and rebuilt[6][..., 3].all()
    assert not rebuilt[7][..., :2].any() and rebuilt[7][..., 2:].all()
    assert not rebuilt[8][..., :3].any() and rebuilt[8][..., 3].all()
    assert not rebuilt[9][..., :2].any() and rebuilt[9][..., 2:].all()


def test_one_step_samples_are_whole_transitions_and_s2_is_the_next_s():
    memory = FrameReplay(100, gamma=0.9, n_step=1, seed=1)
    states = drive(memory, [(10, "terminated"), (8, "truncated"), (12, "running")])
    batch = memory.sample(500)
    t = steps_of(batch.s, states)
    for k, step in enumerate(t):
        np.testing.assert_array_equal(batch.s[k], states[step])
        np.testing.assert_array_equal(batch.s2[k], states[step + 1])   # s' of t is s of t + 1
    np.testing.assert_array_equal(batch.a, t % 3)
    np.testing.assert_array_equal(batch.r, t)
    np.testing.assert_array_equal(batch.terminated, t == 9)
    np.testing.assert_allclose(batch.discount, 0.9)
    # usable: the whole stack stored (t >= 3), s_{t+1} stored (t <= 28), and not the truncated step 17
    assert set(t) == set(range(3, 29)) - {17}


def test_three_step_returns_by_hand():
    # steps 0-7 end terminated, 8-12 end truncated, 13-19 still running; r_t = t, γ = 0.5
    memory = FrameReplay(100, gamma=0.5, n_step=3, seed=2)
    states = drive(memory, [(8, "terminated"), (5, "truncated"), (7, "running")])
    batch = memory.sample(1000)
    t = steps_of(batch.s, states)
    returns = {                      # R = r_t + γ r_{t+1} + γ² r_{t+2}, stopping at a terminal
        3: 3 + 0.5 * 4 + 0.25 * 5, 4: 4 + 0.5 * 5 + 0.25 * 6,
        5: 5 + 0.5 * 6 + 0.25 * 7,                     # 7 is terminal: its reward is the last one
        6: 6 + 0.5 * 7, 7: 7.0,
        8: 8 + 0.5 * 9 + 0.25 * 10, 9: 9 + 0.5 * 10 + 0.25 * 11,
        13: 13 + 0.5 * 14 + 0.25 * 15, 14: 14 + 0.5 * 15 + 0.25 * 16,
        15: 15 + 0.5 * 16 + 0.25 * 17, 16: 16 + 0.5 * 17 + 0.25 * 18,
    }
    # 10, 11, 12 run into the truncation at 12 (s_13 is a new episode, not their s_{t+3});
    # 17-19 have no s_{t+3} yet; 0-2 are never sampled: the rule that keeps overwritten frames
    # out of a stack (see the wrap-around test) also skips the first 3 steps ever stored
    assert set(t) == set(returns)
    np.testing.assert_allclose(batch.r, [returns[step] for step in t])
    np.testing.assert_array_equal(batch.terminated, np.isin(t, [5, 6, 7]))
    np.testing.assert_allclose(batch.discount, 0.125)
    for k, step in enumerate(t):
        np.testing.assert_array_equal(batch.s[k], states[step])
        if not batch.terminated[k]:                       # s' = s_{t+3}, the state we bootstrap from
            np.testing.assert_array_equal(batch.s2[k], states[step + 3])


def test_wrap_around_never_rebuilds_a_stack_from_overwritten_frames():
    memory = FrameReplay(12, n_step=1, seed=3)
    states = drive(memory, [(9, "terminated"), (4, "terminated"), (16, "terminated"),
                            (5, "terminated"), (6, "running")])   # episodes start at 29 and 34
    T = len(states)                                        # 40 steps; the slots hold steps 28 .. 39
    assert memory.t == T and len(memory) == 12
    kept = np.arange(T - 12 + 3, T)                        # their 4-frame stacks are all still stored
    for t, s in zip(kept, memory.stacks(kept)):
        np.testing.assert_array_equal(s, states[t], err_msg=f"step {t}")
    batch = memory.sample(500)
    t = steps_of(batch.s, states)
    # 28-30 are not sampled: their stacks may reach back to frames 25-27, which steps 37-39
    # overwrote; 39 has no s' yet
    assert set(t) == set(range(31, 39))
    for k, step in enumerate(t):
        np.testing.assert_array_equal(batch.s[k], states[step])
        np.testing.assert_array_equal(batch.s2[k], states[step + 1])


def test_memory_is_about_7_kb_per_transition():
    memory = FrameReplay(1_000)
    arrays = (memory.frames, memory.actions, memory.rewards, memory.terminated, memory.truncated,
              memory.first)
    per_transition = sum(a.nbytes for a in arrays) / memory.capacity
    assert memory.frames.nbytes / memory.capacity == 84 * 84
    assert per_transition == 84 * 84 + 8 + 4 + 3 == 7_071    # the docstring's count


def test_too_small_or_too_empty_is_refused():
    with pytest.raises(ValueError, match="at least 8"):
        FrameReplay(7, n_step=3)
    memory = FrameReplay(100, n_step=3)
    drive(memory, [(6, "running")])                        # steps 0-5: t = 3 needs s_6
    with pytest.raises(ValueError, match="too few"):
        memory.sample(1)
