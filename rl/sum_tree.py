"""Sum-tree: a binary tree whose every internal node holds the sum of its two children.

Prioritized replay (Schaul et al. 2016, Appendix B.2.1) draws transition i with
probability P(i) = p_i / Σ_k p_k, where p_i is leaf i's value (rl/prioritized.py stores
p_i^α there).  With the p_i in the leaves of a sum-tree, a draw is
one walk from the root: take u ~ U(0, total), and at each node go left if u < (left
child's sum), else subtract that sum and go right.  The leaf reached is i with
probability p_i / total; a draw and a priority update each cost O(log N).

Layout: an implicit heap in one array, like a binary heap.  Node 1 is the root, the
children of node j are 2j and 2j+1, and with L = the smallest power of two >= capacity
the leaves are nodes L .. 2L-1 (node 0 is unused), so every leaf sits at the same depth
log2 L and a whole minibatch can descend together, one level per numpy step:

    capacity 5 -> L = 8:            [1]
                           [2]               [3]
                       [4]     [5]       [6]     [7]
                      8  9   10  11    12  13  14  15      (leaves 0..4 = nodes 8..12;
                                                            13..15 stay 0, never drawn)
"""
import numpy as np


class SumTree:
    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"sum-tree capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.depth = SumTree.depth_for(capacity)
        self.first_leaf = 2 ** self.depth                       # L: node of leaf 0
        self.nodes = np.zeros(2 * self.first_leaf)              # (2L,) node 0 unused, node 1 the root

    @staticmethod
    def depth_for(capacity: int) -> int:
        """log2 L, L the smallest power of two >= capacity."""
        return int(np.ceil(np.log2(capacity))) if capacity > 1 else 0

    @staticmethod
    def bytes_for(capacity: int) -> int:
        """The nodes' size for `capacity` leaves: 2L float64 (asked before allocating)."""
        return 2 * 2 ** SumTree.depth_for(capacity) * 8

    @property
    def total(self) -> float:
        """Σ_i p_i, the root."""
        return float(self.nodes[1])

    def priorities(self, leaves: np.ndarray) -> np.ndarray:
        """p_i of the given leaves (B,) -> (B,)."""
        return self.nodes[self.first_leaf + leaves]

    def update(self, leaves: np.ndarray, priorities: np.ndarray) -> None:
        """Set p_i of leaves (B,) to priorities (B,), then recompute their ancestors level by
        level, each as (left child + right child): the sums never drift, whatever the order
        of updates.  If a leaf is given twice, the last priority stays."""
        leaves, priorities = np.asarray(leaves), np.asarray(priorities, dtype=np.float64)
        if np.any((leaves < 0) | (leaves >= self.capacity)):
            raise IndexError(f"sum-tree leaves are 0 .. {self.capacity - 1}, got {leaves}")
        if np.any(priorities < 0):
            raise ValueError("priorities must be >= 0")
        leaves, last = np.unique(leaves[::-1], return_index=True)      # each leaf once, its last
        nodes = self.first_leaf + leaves                                # (B',)
        self.nodes[nodes] = priorities[::-1][last]
        for _ in range(self.depth):
            # a parent named twice gets the same sum twice: its children are already set
            nodes = nodes // 2
            self.nodes[nodes] = self.nodes[2 * nodes] + self.nodes[2 * nodes + 1]

    def find(self, u: np.ndarray) -> np.ndarray:
        """The leaves (B,) whose cumulative-sum intervals hold the values u (B,), 0 <= u < total.

        All B walks go down together: at each level, go right where u >= the left child's
        sum (and subtract it), else left.  A walk never turns into a subtree of sum 0, so
        rounding in u can never reach a leaf of priority 0.
        """
        u = np.array(u, dtype=np.float64)                       # (B,) a copy: it is used up
        nodes = np.ones(len(u), dtype=np.int64)                 # (B,) every walk starts at the root
        for _ in range(self.depth):
            left = self.nodes[2 * nodes]                        # (B,)
            right = (u >= left) & (self.nodes[2 * nodes + 1] > 0)
            u -= left * right
            nodes = 2 * nodes + right
        return nodes - self.first_leaf

    def find_naive(self, u: float) -> int:
        """The same walk for one value u, as a plain loop: the reference `find` is tested against."""
        node = 1
        while node < self.first_leaf:
            left, right = self.nodes[2 * node], self.nodes[2 * node + 1]
            if u >= left and right > 0:
                u -= left
                node = 2 * node + 1
            else:
                node = 2 * node
        return node - self.first_leaf

    def sample(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """B leaves drawn with P(i) = p_i / total, stratified (Schaul et al. 2016, App. B.2.1):
        the range [0, total) is cut into B equal segments and one u drawn uniformly in each,
        which spreads a minibatch over the whole range of priorities."""
        if self.total <= 0:
            raise ValueError("cannot sample from a sum-tree whose priorities are all 0")
        segment = self.total / batch_size
        u = (np.arange(batch_size) + rng.random(batch_size)) * segment   # (B,) one in each segment
        return self.find(u)
