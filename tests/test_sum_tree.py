"""Sum-tree: every internal node is the sum of its children after any updates, the batched
descent finds the same leaves as a one-value loop, and draws come with P(i) = p_i / Σ p
(a χ² test), never from a leaf of priority 0."""
import numpy as np
import pytest

from rl.sum_tree import SumTree

# χ² critical value, 5 degrees of freedom, upper tail 0.001 (standard tables)
CHI2_5DF_0001 = 20.515


def internal_nodes_are_sums(tree: SumTree) -> bool:
    j = np.arange(1, tree.first_leaf)
    return bool(np.array_equal(tree.nodes[j], tree.nodes[2 * j] + tree.nodes[2 * j + 1]))


def test_tree_by_hand():
    tree = SumTree(5)                                     # 8 leaves, depth 3
    tree.update(np.array([0, 1, 2, 3, 4]), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    tree.update(np.array([2, 4]), np.array([0.5, 0.0]))
    # leaves 1, 2, 0.5, 4, 0 (and three unused 0s):   [1] 7.5
    #                                        [2] 7.5              [3] 0
    #                                    [4] 3    [5] 4.5     [6] 0    [7] 0
    np.testing.assert_array_equal(tree.nodes[1:8], [7.5, 7.5, 0.0, 3.0, 4.5, 0.0, 0.0])
    assert tree.total == 7.5
    np.testing.assert_array_equal(tree.priorities(np.arange(5)), [1.0, 2.0, 0.5, 4.0, 0.0])
    tree.update(np.array([3, 1, 3]), np.array([9.0, 2.0, 1.0]))   # a leaf given twice: the last stays
    assert tree.priorities(np.array([3]))[0] == 1.0 and tree.total == 4.5


def test_every_node_is_the_sum_of_its_children_after_updates():
    rng = np.random.default_rng(0)
    tree, leaves = SumTree(37), np.zeros(37)
    for _ in range(50):                                   # repeated leaves in one call: last wins
        i = rng.integers(0, 37, size=rng.integers(1, 20))
        p = rng.random(len(i)) * 10
        tree.update(i, p)
        leaves[i] = p                                     # numpy assignment: the last one too
        assert internal_nodes_are_sums(tree)
        np.testing.assert_array_equal(tree.priorities(np.arange(37)), leaves)
        assert tree.total == pytest.approx(leaves.sum(), rel=1e-12)


def test_batched_descent_finds_what_the_loop_finds():
    rng = np.random.default_rng(1)
    tree = SumTree(13)
    tree.update(np.arange(13), rng.random(13) * (rng.random(13) > 0.3))   # some zeros
    u = rng.random(2000) * tree.total
    u[:4] = [0.0, np.nextafter(tree.total, 0), tree.nodes[2], tree.nodes[4]]  # interval edges
    np.testing.assert_array_equal(tree.find(u), [tree.find_naive(v) for v in u])
    cum = np.concatenate([[0.0], np.cumsum(tree.priorities(np.arange(13)))])
    expected = np.searchsorted(cum, u, side="right") - 1  # the leaf whose interval holds u
    np.testing.assert_array_equal(tree.find(u[4:]), expected[4:])


def test_sampling_frequencies_are_proportional_to_priorities():
    p = np.array([1.0, 0.5, 3.0, 2.0, 0.25, 1.25])
    tree = SumTree(6)
    tree.update(np.arange(6), p)
    rng = np.random.default_rng(2)
    draws = np.concatenate([tree.sample(32, rng) for _ in range(2000)])   # 64,000 leaves
    observed = np.bincount(draws, minlength=6)
    expected = len(draws) * p / p.sum()
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < CHI2_5DF_0001, (chi2, observed, expected)


def test_a_leaf_of_priority_zero_is_never_drawn():
    tree = SumTree(9)
    p = np.array([0.0, 1e-3, 0.0, 0.0, 2.0, 0.0, 1e-9, 0.0, 0.0])
    tree.update(np.arange(9), p)
    rng = np.random.default_rng(3)
    draws = np.concatenate([tree.sample(64, rng) for _ in range(200)])
    assert set(draws) <= {1, 4, 6}
    # the top of the range, where rounding in u could walk into the zero leaves after leaf 6
    assert tree.find(np.array([tree.total, np.nextafter(tree.total, 0)])).tolist() == [6, 6]
    with pytest.raises(ValueError, match="all 0"):
        SumTree(4).sample(2, rng)
