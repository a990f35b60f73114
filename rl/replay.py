"""Replay memory D (Mnih et al. 2013, Algorithm 1): the last N transitions.

Learning from consecutive transitions is learning from strongly correlated
samples; drawing minibatches uniformly from a large memory breaks the
correlation and lets each transition be used in many updates.

Storage is preallocated arrays used as a ring buffer: slot `i = t mod N`
receives transition t, overwriting the oldest one once the memory is full.

    states, next_states : (N, *obs_shape)
    actions             : (N,) int64
    rewards             : (N,) float32
    terminated          : (N,) float32   1.0 where s' is terminal (no bootstrap)
    ended               : (N,) bool      the episode ended at s' (terminated or truncated)

A time-limit *truncation* is not the end of the MDP, so its target still
bootstraps from s'; `ended` only keeps an n-step return from running on
into the next episode.

n-step returns (Sutton 1988; Hessel et al. 2018) are summed when a
minibatch is drawn.  For a transition t the memory returns

    R = Σ_{k<m} γ^k r_{t+k},   s' = s'_{t+m-1},   discount = γ^m

where m = n, or fewer if the episode ends first or transition t+m has not
happened yet; with n = 1 this is the stored (r, s') and γ.
"""
from dataclasses import dataclass

import numpy as np


@dataclass
class Batch:
    """A minibatch. s, s2: (B, *obs_shape); a: (B,) int; r, terminated, discount: (B,)."""
    s: np.ndarray
    a: np.ndarray
    r: np.ndarray
    s2: np.ndarray
    terminated: np.ndarray
    discount: np.ndarray


class ReplayMemory:
    def __init__(self, capacity: int, obs_shape: tuple, obs_dtype=np.float32, gamma: float = 0.99,
                 n_step: int = 1, seed: int = 0):
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1, got {capacity}")
        if n_step < 1:
            raise ValueError(f"n_step must be >= 1, got {n_step}")
        self.capacity, self.gamma, self.n = capacity, gamma, n_step
        self.states = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.next_states = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.ended = np.zeros(capacity, dtype=bool)
        self.rng = np.random.default_rng(seed)
        self.t = 0                              # transitions ever added

    def __len__(self) -> int:
        return min(self.t, self.capacity)

    def add(self, s, a: int, r: float, s2, terminated: bool, truncated: bool = False,
            first: bool = False) -> None:
        """Store transition t = (s, a, r, s', terminated) in slot t mod N.  `first` is for the
        frame memory's interface; here s is stored whole, so it needs no keeping."""
        i = self.t % self.capacity
        self.states[i], self.actions[i], self.rewards[i] = s, a, r
        self.next_states[i], self.terminated[i] = s2, float(terminated)
        self.ended[i] = terminated or truncated
        self.t += 1

    def sample(self, batch_size: int) -> Batch:
        """Uniform minibatch (with replacement) of stored transitions, with n-step returns."""
        if self.t == 0:
            raise ValueError("cannot sample from an empty replay memory")
        start = self.rng.integers(max(0, self.t - self.capacity), self.t, size=batch_size)  # (B,) steps
        ret = np.zeros(batch_size, dtype=np.float32)
        last = start.copy()                     # the step whose s' ends the n-step window
        running = np.ones(batch_size, dtype=bool)
        for k in range(self.n):
            step = start + k
            running &= step < self.t            # transition t+k has happened
            slot = step % self.capacity
            ret += running * self.gamma ** k * self.rewards[slot]
            last = np.where(running, step, last)
            running &= ~self.ended[slot]        # nothing after the episode's end belongs to R
        i, j = start % self.capacity, last % self.capacity
        discount = (self.gamma ** (last - start + 1)).astype(np.float32)   # γ^m
        return Batch(self.states[i], self.actions[i], ret, self.next_states[j], self.terminated[j],
                     discount)
