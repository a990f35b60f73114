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

Only *terminated* is stored: a time-limit *truncation* is not the end of
the MDP, so its target still bootstraps from s'.
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
                 seed: int = 0):
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1, got {capacity}")
        self.capacity, self.gamma = capacity, gamma
        self.states = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.next_states = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.rng = np.random.default_rng(seed)
        self.t = 0                              # transitions ever added

    def __len__(self) -> int:
        return min(self.t, self.capacity)

    def add(self, s, a: int, r: float, s2, terminated: bool, truncated: bool = False,
            first: bool = False) -> None:
        """Store (s, a, r, s', terminated).  `truncated` and `first` are for the frame memory's
        interface; here s' is stored whole, so neither needs keeping."""
        i = self.t % self.capacity
        self.states[i], self.actions[i], self.rewards[i] = s, a, r
        self.next_states[i], self.terminated[i] = s2, float(terminated)
        self.t += 1

    def sample(self, batch_size: int) -> Batch:
        """Uniform minibatch (with replacement) of stored transitions."""
        idx = self.rng.integers(0, len(self), size=batch_size)
        return Batch(self.states[idx], self.actions[idx], self.rewards[idx], self.next_states[idx],
                     self.terminated[idx], np.full(batch_size, self.gamma, dtype=np.float32))

    def rng_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state
