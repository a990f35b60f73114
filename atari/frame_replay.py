"""Replay memory for Atari frames: each 84 × 84 frame stored once.

Consecutive states share 3 of their 4 frames, so storing stacks would keep
every frame 8 times (4 in s, 4 in s').  Instead slot i keeps, for step t
(i = t mod N), the newest frame of s_t plus a_t, r_t and two flags, and
the 4-frame stacks of s and s' are rebuilt when a minibatch is sampled:

    memory per transition = 84·84 (frame) + 8 (action) + 4 (reward) + 3 (flags)
                          ≈ 7,071 bytes ≈ 7 KB;  1M transitions ≈ 7.1 GB, 100k ≈ 0.7 GB.

Rebuilding follows the same rule as the acting FrameStack: a stack never
reaches back across the start of an episode; those older slots are zeros.
Frame t-k belongs to s_t's episode iff none of steps t-k+1 .. t was the
first step of an episode.

n-step returns (Sutton 1988; Hessel et al. 2018) come for free from the
same arrays: the target for step t is

    R = Σ_{k<m} γ^k r_{t+k},   y = R + γ^n (1 − terminated) max_a' Q(s_{t+n}, a'; θ⁻)

where m = n, or fewer if a terminal state comes first (then nothing is
bootstrapped); R and m come from rl/replay.py's `n_step_returns`, the rule
both memories share.  They differ in one place, for a reason: ReplayMemory
stores s' with every transition, so a window cut by a time limit bootstraps
from that s' with γ^m.  Here s_{t+m} is only ever stored as the *next* step's
frame, and after a truncation the next step is a new episode's first frame,
so a window that runs into a time-limit truncation is never sampled.
"""
import numpy as np

from rl.replay import Batch, n_step_returns

from .preprocess import FRAME_SIZE, HISTORY


class FrameReplay:
    def __init__(self, capacity: int, gamma: float = 0.99, n_step: int = 1, seed: int = 0,
                 history: int = HISTORY, size: int = FRAME_SIZE):
        if capacity < history + n_step + 1:
            raise ValueError(f"replay capacity must be at least {history + n_step + 1}, got {capacity}")
        self.capacity, self.gamma, self.n, self.history = capacity, gamma, n_step, history
        self.frames = np.zeros((capacity, size, size), dtype=np.uint8)    # newest frame of s_t
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=bool)
        self.truncated = np.zeros(capacity, dtype=bool)
        self.first = np.zeros(capacity, dtype=bool)                        # s_t began an episode
        self.rng = np.random.default_rng(seed)
        self.t = 0                                                         # steps ever added

    @staticmethod
    def bytes_per_transition(size: int = FRAME_SIZE) -> int:
        """What one slot of the arrays above takes: frame + action + reward + 3 flags
        (asked before allocating: rl/cli/memory.py)."""
        return size * size * 1 + 8 + 4 + 3 * 1

    def __len__(self) -> int:
        return min(self.t, self.capacity)

    def add(self, s: np.ndarray, a: int, r: float, s2: np.ndarray, terminated: bool,
            truncated: bool, first: bool) -> None:
        """Store step t: s (84, 84, 4) -> only s[..., -1] is kept; s2 arrives as the next s."""
        i = self.t % self.capacity
        self.frames[i] = s[..., -1]
        self.actions[i], self.rewards[i] = a, r
        self.terminated[i], self.truncated[i], self.first[i] = terminated, truncated, first
        self.t += 1

    def stacks(self, steps: np.ndarray) -> np.ndarray:
        """States ending at the given steps (B,) -> (B, 84, 84, HISTORY) uint8, oldest first."""
        out = np.zeros((len(steps), *self.frames.shape[1:], self.history), dtype=np.uint8)  # (B, H, W, HISTORY)
        same_episode = np.ones(len(steps), dtype=bool)
        for k in range(self.history):                   # k = 0 is the newest frame
            if k > 0:
                same_episode &= ~self.first[(steps - k + 1) % self.capacity]
            rows = np.flatnonzero(same_episode)
            out[rows, :, :, self.history - 1 - k] = self.frames[(steps[rows] - k) % self.capacity]
        return out

    def _n_step(self, steps: np.ndarray):
        """For start steps (B,): n-step return R, terminated, and whether the sample is usable."""
        ks = steps[:, None] + np.arange(self.n)                             # (B, n)
        slots = ks % self.capacity
        term, trunc = self.terminated[slots], self.truncated[slots]
        ret, m = n_step_returns(self.rewards[slots], term | trunc, self.gamma)
        last = slots[np.arange(len(steps)), m - 1]                          # the window's last step
        cut = self.truncated[last] & ~self.terminated[last]                 # ended by a time limit
        return ret, self.terminated[last], ~cut

    def sampleable_steps(self) -> tuple[int, int]:
        """(oldest, newest): the steps t whose stacks s_t and s_{t+n} are both stored.  A step
        in that range is sampled only if it is also `usable`."""
        oldest = max(0, self.t - self.capacity) + self.history - 1   # whole stack still stored
        newest = self.t - 1 - self.n                                  # s_{t+n} already stored
        return oldest, newest

    def usable(self, steps: np.ndarray) -> np.ndarray:
        """(B,) bool: the n-step window of each step (B,) is not cut by a time limit."""
        return self._n_step(steps)[2]

    def sample(self, batch_size: int) -> Batch:
        """Uniform minibatch of usable transitions with n-step targets."""
        oldest, newest = self.sampleable_steps()
        if newest < oldest:
            raise ValueError(f"frame replay holds {len(self)} steps; too few to sample from")
        chosen = np.empty(0, dtype=np.int64)
        while len(chosen) < batch_size:
            cand = self.rng.integers(oldest, newest + 1, size=2 * batch_size)
            chosen = np.concatenate([chosen, cand[self.usable(cand)]])
        return self.batch(chosen[:batch_size])

    def batch(self, steps: np.ndarray) -> Batch:
        """The transitions starting at the given sampleable steps (B,), with n-step targets."""
        ret, done, _ = self._n_step(steps)
        return Batch(s=self.stacks(steps), a=self.actions[steps % self.capacity], r=ret,
                     s2=self.stacks(steps + self.n), terminated=done.astype(np.float32),
                     discount=np.full(len(steps), self.gamma ** self.n, dtype=np.float32))
