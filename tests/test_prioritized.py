"""Prioritized replay: minibatch slots and importance weights by hand, new transitions at the
largest priority, draws ∝ (|δ| + ε)^α (a χ² test), and the frame memory's rules kept: a step
the frame memory would not sample never gets a priority, so it is never drawn."""
import numpy as np
import pytest

from atari.frame_replay import FrameReplay
from rl.prioritized import PrioritizedReplay
from rl.replay import ReplayMemory
from rl.schedule import importance_beta
from test_frame_replay import drive, steps_of
from test_replay import fill
from test_sum_tree import CHI2_5DF_0001, internal_nodes_are_sums


def test_slots_and_weights_by_hand():
    memory = PrioritizedReplay(ReplayMemory(4, (2,)), alpha=1.0, eps=0.5)
    fill(memory, 4)
    memory.update_priorities(np.arange(4), np.array([0.5, -1.5, 3.5, 1.5]))   # p = 1, 2, 4, 2
    assert memory.tree.total == 9.0
    # stratified: B = 9 segments of width 1, so the draws are fixed whatever the rng:
    # [0,1) -> slot 0, [1,3) -> 1, [3,7) -> 2, [7,9) -> 3
    batch, slots, w = memory.sample(9, np.random.default_rng(0), beta=0.5)
    np.testing.assert_array_equal(slots, [0, 1, 1, 2, 2, 2, 2, 3, 3])
    np.testing.assert_array_equal(batch.s[:, 0], slots)                 # s = t in fill
    # w = (N P(i))^-β / max w, N = 4, P = p / 9:  (4/9)^-½ = 1.5 is the largest
    by_hand = np.array([1.5, (8 / 9) ** -0.5, (16 / 9) ** -0.5, (8 / 9) ** -0.5]) / 1.5
    np.testing.assert_allclose(w, by_hand[slots], rtol=1e-6)
    np.testing.assert_allclose(w, [1, 2 ** -0.5, 2 ** -0.5, 0.5, 0.5, 0.5, 0.5, 2 ** -0.5, 2 ** -0.5],
                               rtol=1e-6)
    _, _, w = memory.sample(9, np.random.default_rng(0), beta=0.0)       # β = 0: no correction
    np.testing.assert_array_equal(w, np.ones(9))


def test_beta_is_annealed_linearly_to_one():
    assert importance_beta(0, 0.4, 100) == 0.4
    assert importance_beta(50, 0.4, 100) == pytest.approx(0.7)
    assert importance_beta(100, 0.4, 100) == importance_beta(10_000, 0.4, 100) == 1.0


def test_new_transitions_enter_at_the_largest_priority():
    memory = PrioritizedReplay(ReplayMemory(8, (2,)), alpha=0.5, eps=0.01)
    fill(memory, 3)
    np.testing.assert_array_equal(memory.tree.priorities(np.arange(8)), [1, 1, 1, 0, 0, 0, 0, 0])
    memory.update_priorities(np.array([0, 1, 2]), np.array([3.99, -0.2, 0.0]))
    np.testing.assert_allclose(memory.tree.priorities(np.arange(3)), [2.0, 0.21 ** 0.5, 0.1])
    memory.add(np.zeros(2), 0, 0.0, np.zeros(2), terminated=False)
    assert memory.tree.priorities(np.array([3]))[0] == 2.0               # max so far, not 1
    memory.update_priorities(np.array([0]), np.array([0.0]))             # the max stays the max given
    memory.add(np.zeros(2), 0, 0.0, np.zeros(2), terminated=False)
    assert memory.tree.priorities(np.array([4]))[0] == 2.0
    assert internal_nodes_are_sums(memory.tree)


def test_frequencies_follow_td_errors_to_the_power_alpha():
    memory = PrioritizedReplay(ReplayMemory(6, (2,)), alpha=0.6, eps=1e-2)
    fill(memory, 6)
    delta = np.array([0.3, -2.0, 0.0, 1.1, -0.05, 4.0])
    memory.update_priorities(np.arange(6), delta)
    rng = np.random.default_rng(4)
    slots = np.concatenate([memory.sample(32, rng, beta=0.4)[1] for _ in range(2000)])
    observed = np.bincount(slots, minlength=6)
    p = (np.abs(delta) + 1e-2) ** 0.6
    expected = len(slots) * p / p.sum()
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < CHI2_5DF_0001, (chi2, observed, expected)


def test_slots_map_to_the_newest_step_after_the_ring_wraps():
    memory = PrioritizedReplay(ReplayMemory(5, (2,), n_step=2, gamma=0.5))
    fill(memory, 8, ends={5: "terminated"})                             # slots hold 5, 6, 7, 3, 4
    batch, slots, _ = memory.sample(200, np.random.default_rng(5), beta=1.0)
    t = batch.s[:, 0].astype(int)
    assert set(t) == {3, 4, 5, 6, 7}
    np.testing.assert_array_equal(t % 5, slots)
    returns = {3: 3 + 0.5 * 4, 4: 4 + 0.5 * 5, 5: 5.0, 6: 6 + 0.5 * 7, 7: 7.0}   # n-step, by hand
    np.testing.assert_allclose(batch.r, [returns[s] for s in t])


def valid_frame_steps(memory: FrameReplay) -> set:
    """The frame memory's rule, spelt out step by step: the 4-frame stack of s_t lies in what
    is stored, s_{t+n} is stored, and the window t .. t+n-1 is not cut short by a time limit
    (the first step in it that ends an episode must not be a truncation only)."""
    T, C, n, h = memory.t, memory.capacity, memory.n, memory.history
    valid = set()
    for t in range(max(0, T - C) + h - 1, T - n):
        for k in range(t, t + n):
            if memory.terminated[k % C] or memory.truncated[k % C]:
                if not memory.terminated[k % C]:
                    break                                 # ended by a time limit: unusable
                valid.add(t)
                break
        else:
            valid.add(t)
    return valid


def test_frame_memory_steps_it_would_not_sample_get_no_priority():
    memory = PrioritizedReplay(FrameReplay(20, gamma=0.9, n_step=3, seed=6), alpha=0.7)
    rng = np.random.default_rng(6)
    episodes = [(7, "truncated"), (5, "terminated"), (9, "truncated"), (4, "truncated"),
                (8, "terminated"), (6, "running")]
    states = []
    for length, end in episodes:                       # one episode at a time, learning in between
        states += drive(memory, [(length, end)], seed=len(states))
        if memory.tree.total > 0:
            _, slots, _ = memory.sample(8, rng, beta=0.5)
            memory.update_priorities(slots, rng.standard_normal(8))
        T, C = memory.memory.t, memory.memory.capacity
        slots_with_priority = set(np.flatnonzero(memory.tree.priorities(np.arange(C)) > 0))
        assert slots_with_priority == {t % C for t in valid_frame_steps(memory.memory)}, T
    # after the wrap, draws come only from valid steps, and from every one of them
    batch, slots, _ = memory.sample(3000, rng, beta=0.5)
    t = steps_of(batch.s, states)
    assert set(t) == valid_frame_steps(memory.memory)
    assert set(t) == set(steps_of(memory.memory.sample(3000).s, states))   # what uniform draws from
    np.testing.assert_array_equal(t % memory.memory.capacity, slots)


def test_a_slot_overwritten_since_it_was_drawn_is_not_revived():
    memory = PrioritizedReplay(FrameReplay(10, n_step=1, seed=7))
    drive(memory, [(10, "running")])                        # valid steps 3 .. 8
    _, slots, _ = memory.sample(32, np.random.default_rng(7), beta=0.5)
    assert 3 in slots                                       # slot 3 holds step 3
    drive(memory, [(1, "running")], seed=1)                 # step 10 into slot 0; step 3 drops out
    assert memory.tree.priorities(np.array([3]))[0] == 0
    memory.update_priorities(slots, np.ones(len(slots)))
    assert memory.tree.priorities(np.array([3]))[0] == 0   # still out of the draw
    assert memory.tree.priorities(np.array([4]))[0] > 0


def test_eps_must_be_positive_and_the_memory_empty():
    with pytest.raises(ValueError, match="eps must be > 0"):
        PrioritizedReplay(ReplayMemory(4, (2,)), eps=0.0)
    memory = ReplayMemory(4, (2,))
    fill(memory, 1)
    with pytest.raises(ValueError, match="wrap an empty memory"):
        PrioritizedReplay(memory)


@pytest.mark.parametrize("capacity", [1, 5, 8, 1000, 100_000])
def test_the_memory_check_counts_what_prioritizing_allocates(capacity):
    pr = PrioritizedReplay(ReplayMemory(capacity, (1,), np.float32, 0.9, 1, seed=0))
    allocated = pr.tree.nodes.nbytes + pr.valid.nbytes
    assert capacity * PrioritizedReplay.bytes_per_slot(capacity) >= allocated
    assert PrioritizedReplay.bytes_per_slot(capacity) <= 2 * 2 * 8 + 1 + 1     # at most 2L <= 4·capacity nodes
