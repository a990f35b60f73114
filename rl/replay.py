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
minibatch is drawn, by `n_step_returns`, the one rule both replay memories
use (atari/frame_replay.py is the other).  For a transition t the memory returns

    R = Σ_{k<m} γ^k r_{t+k},   s' = s'_{t+m-1},   discount = γ^m

where m = n, or fewer if the episode ends first or transition t+m has not
happened yet; with n = 1 this is the stored (r, s') and γ.  Because this
memory stores s' with every transition, a window cut short by a time limit
still bootstraps, from the s' stored with its last transition.
"""
from dataclasses import dataclass

import numpy as np


def n_step_returns(rewards: np.ndarray, ended: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """The n-step window of each sampled transition t.

    rewards, ended: (B, n), the rewards of steps t .. t+n-1 and whether each of those
    steps ended the episode.  Returns R (B,) float32 and m (B,) int:

        m = n, or k + 1 for the first k whose step ended the episode,
        R = Σ_{k<m} γ^k r_{t+k}          (nothing after the end belongs to R)
    """
    n = rewards.shape[1]
    counted = (np.cumsum(ended, axis=1) - ended) == 0                  # (B, n): no end before k
    ret = np.sum(counted * gamma ** np.arange(n) * rewards, axis=1)    # (B,)
    return ret.astype(np.float32), counted.sum(axis=1)


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

    @staticmethod
    def bytes_per_transition(obs_shape: tuple, obs_dtype=np.float32) -> int:
        """What one slot of the arrays above takes: s and s' + action + reward + terminated +
        ended (asked before allocating: rl/cli/memory.py)."""
        return 2 * int(np.prod(obs_shape)) * np.dtype(obs_dtype).itemsize + 8 + 4 + 4 + 1

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

    def sampleable_steps(self) -> tuple[int, int]:
        """(oldest, newest): the transitions still stored, all of them sampleable."""
        return max(0, self.t - self.capacity), self.t - 1

    def usable(self, steps: np.ndarray) -> np.ndarray:
        """(B,) bool, all True: every stored transition has its own s' to bootstrap from."""
        return np.ones(len(steps), dtype=bool)

    def sample(self, batch_size: int) -> Batch:
        """Uniform minibatch (with replacement) of stored transitions, with n-step returns."""
        if self.t == 0:
            raise ValueError("cannot sample from an empty replay memory")
        oldest, newest = self.sampleable_steps()
        return self.batch(self.rng.integers(oldest, newest + 1, size=batch_size))  # (B,) steps

    def batch(self, start: np.ndarray) -> Batch:
        """The transitions starting at the given stored steps (B,), with n-step returns."""
        steps = start[:, None] + np.arange(self.n)                        # (B, n): t .. t+n-1
        slots = steps % self.capacity
        # the newest transition ends every window for now: what follows it has not happened
        ended = self.ended[slots] | (steps == self.t - 1)
        ret, m = n_step_returns(self.rewards[slots], ended, self.gamma)
        i, j = start % self.capacity, (start + m - 1) % self.capacity      # s from t, s' from t+m-1
        discount = (self.gamma ** m).astype(np.float32)                    # γ^m
        return Batch(self.states[i], self.actions[i], ret, self.next_states[j], self.terminated[j],
                     discount)
