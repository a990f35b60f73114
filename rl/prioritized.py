"""Prioritized experience replay (Schaul et al. 2016), the proportional variant.

Uniform replay spends as many updates on transitions the network already predicts
well as on surprising ones.  Prioritized replay draws transition i with probability

    P(i) = p_i^α / Σ_k p_k^α,      p_i = |δ_i| + ε

where δ_i is i's TD error when it was last learned from (ε > 0 keeps every
transition drawable; α = 0 is uniform replay).  A transition not yet learned from has
no δ: it enters at the largest p^α given so far, so it is replayed at least once soon.

Drawing by priority biases the expected update towards the surprising transitions;
importance-sampling weights undo that bias as β -> 1 (β is annealed linearly to 1 over
priority_beta_steps, rl/schedule.py:importance_beta):

    w_i = (N · P(i))^(-β) / max_j w_j            (max over the minibatch)

and the loss becomes 1/B Σ w_i ℓ(δ_i) (nnpy/losses.py).  N cancels in the division by
the maximum; dividing keeps every step no larger than an unweighted one.

`PrioritizedReplay` wraps either memory, ReplayMemory (rl/replay.py) or FrameReplay
(atari/frame_replay.py), and keeps the p_i^α in a sum-tree (rl/sum_tree.py) with one
leaf per slot of the memory's ring.  A slot's leaf is non-zero exactly while the slot
holds a transition the memory itself would sample (`memory.sampleable_steps()` and
`memory.usable()`): the frame memory's rules (whole stacks stored, s_{t+n} stored, no
window cut by a time limit) hold for prioritized draws unchanged.  The minibatch,
n-step returns included, comes from the memory's own `batch(steps)`.
"""
import numpy as np

from .replay import Batch
from .sum_tree import SumTree


class PrioritizedReplay:
    def __init__(self, memory, alpha: float = 0.6, eps: float = 1e-6):
        if eps <= 0:
            raise ValueError(f"eps must be > 0 so that every transition stays drawable, got {eps}")
        if len(memory) > 0:
            raise ValueError("wrap an empty memory: the priorities start with its first transition")
        self.memory, self.alpha, self.eps = memory, alpha, eps
        self.tree = SumTree(memory.capacity)                          # leaf = slot, value = p^α
        self.valid = np.zeros(memory.capacity, dtype=bool)            # (C,) slot holds a sampleable step
        self.max_priority = 1.0                                       # the largest p^α given so far

    @staticmethod
    def bytes_per_slot(capacity: int) -> int:
        """What prioritizing adds to each of `capacity` slots, rounded up: the sum-tree's
        nodes (between 16 and 32 bytes a slot) and the valid flag (1 byte)."""
        return -(-SumTree.bytes_for(capacity) // capacity) + 1

    @property
    def rng(self) -> np.random.Generator:
        return self.memory.rng

    def __len__(self) -> int:
        return len(self.memory)

    def add(self, *args, **kwargs) -> None:
        """memory.add(...), then: the steps that became sampleable enter at max priority,
        those that stopped being sampleable (the ring overwrote them) leave with priority 0."""
        old_oldest, old_newest = self.memory.sampleable_steps()
        self.memory.add(*args, **kwargs)
        oldest, newest = self.memory.sampleable_steps()
        gone = np.arange(old_oldest, oldest)                          # fell off the old end
        came = np.arange(max(old_newest + 1, oldest), newest + 1)     # newly sampleable
        ok = self.memory.usable(came)
        c = self.memory.capacity
        self.valid[gone % c] = False
        self.valid[came % c] = ok                 # second: a slot can lose a step and gain one
        # one tree update, newcomers last, so that such a slot (ReplayMemory overwriting its
        # oldest transition) ends up with the newcomer's priority
        priorities = np.concatenate([np.zeros(len(gone)), np.where(ok, self.max_priority, 0.0)])
        self.tree.update(np.concatenate([gone, came]) % c, priorities)

    def sample(self, batch_size: int, rng: np.random.Generator, beta: float) -> tuple[Batch, np.ndarray, np.ndarray]:
        """A minibatch drawn with P(i) ∝ p_i^α: (Batch, indices (B,) int, weights (B,) float32).

        indices are the memory slots to hand back to update_priorities; weights are the
        w_i = (N P(i))^-β / max_j w_j that multiply each sample's loss."""
        slots = self.tree.sample(batch_size, rng)                     # (B,)
        t, c = self.memory.t, self.memory.capacity
        steps = t - 1 - (t - 1 - slots) % c                           # (B,) the newest step in each slot
        p = self.tree.priorities(slots) / self.tree.total             # (B,) P(i)
        w = (len(self.memory) * p) ** -beta
        return self.memory.batch(steps), slots, (w / w.max()).astype(np.float32)

    def update_priorities(self, indices: np.ndarray, td_errors: np.ndarray) -> None:
        """p_i^α = (|δ_i| + ε)^α for the slots (B,) just learned from, with their TD errors
        δ = Q(s, a; θ) - y (B,) (for C51, their KL divergences, rl/dqn.py).  A slot the memory
        stopped sampling meanwhile stays at 0."""
        p = (np.abs(td_errors).astype(np.float64) + self.eps) ** self.alpha   # (B,)
        keep = self.valid[indices]
        self.tree.update(indices[keep], p[keep])
        self.max_priority = max(self.max_priority, float(p.max()))
