"""The 2013 paper's second progress measure: the average max Q over a fixed set of states.

Mnih et al. (2013, §5.1, Fig. 2) collect a set of states once, before training, by
running a random policy, and during training track

    avg max Q = 1/|S_held| Σ_{s ∈ S_held} max_a Q(s, a; θ)

The average return of training episodes is noisy, because a small change to the
weights changes which states the policy visits; this average is taken over the
same states every time, so it rises smoothly as the network's value estimates grow.
It says how much reward the network *expects*, not how much it gets: a rising
curve is a sign of learning, not a proof of it (estimates can also grow too high).

The states come from their own environment and random-number generator, so
collecting them changes nothing in the training run (same seed, same trajectory).
"""
from typing import Any, Callable

import numpy as np

HELD_OUT_STATES = 500        # how many states; a random CartPole episode lasts ~20 steps
HELD_OUT_SEED = 30_000       # the environment and the random policy are seeded seed + this


def collect_states(make_env: Callable[[int], Any], n_actions: int, seed: int,
                   count: int = HELD_OUT_STATES) -> np.ndarray:
    """`count` states seen by the uniform random policy on a fresh environment: (count, ...)."""
    env = make_env(seed)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    states = []
    while len(states) < count:
        states.append(obs)
        obs, _, terminated, truncated, _ = env.step(int(rng.integers(n_actions)))
        if terminated or truncated:
            obs, _ = env.reset()
    return np.stack(states)


def average_max_q(q_values: Callable[[np.ndarray], np.ndarray], states: np.ndarray,
                  batch: int = 100) -> float:
    """1/N Σ_s max_a Q(s, a): q_values maps (B, ...) observations to (B, A) Q-values."""
    best = [q_values(states[i:i + batch]).max(axis=1) for i in range(0, len(states), batch)]
    return float(np.mean(np.concatenate(best)))
