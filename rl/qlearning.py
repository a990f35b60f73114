"""Tabular Q-learning: Q* from sampled transitions alone (Watkins 1989; Watkins & Dayan 1992).

After each step (s, a, r, s', done) of an ε-greedy episode:

    Q(s, a) ← Q(s, a) + α [r + γ (1 - done) max_a' Q(s', a') − Q(s, a)]

Compare value iteration's update for Q* (rl/value_iteration.py, q_value_iteration):

    Q(s, a) ← Σ_s' T(s, a, s') [R(s, a, s') + γ max_a' Q(s', a')]

Value iteration averages over every s' with the weights T, which it is given.
Q-learning never sees T or R: it gets one sampled s' per step and averages the
targets over time, each new one weighted by α. With every (s, a) tried infinitely
often and α_n(s, a) decaying so that Σ_n α_n = ∞ and Σ_n α_n² < ∞, Q converges to
Q* with probability 1 (Watkins & Dayan 1992). Our schedule, α_n = α_0 / (1 + d n)
with n the number of updates (s, a) has had so far, meets both conditions for d > 0.

Q-learning is off-policy: it behaves ε-greedily, yet its target uses max_a' and so
estimates the values of the greedy policy, which is why ε can stay constant.
"""
import numpy as np


def q_update(Q: np.ndarray, s: int, a: int, r: float, s_next: int, done: bool,
             alpha: float, discount: float) -> None:
    """Q(s, a) ← Q(s, a) + α [r + γ (1 - done) max_a' Q(s', a') − Q(s, a)], in place.

    Q: (S, A) float. `done` means s' is terminal, whose value is 0 by definition,
    so it contributes no bootstrap (whatever Q[s_next] happens to hold).
    """
    target = r + discount * (1 - done) * Q[s_next].max()
    Q[s, a] += alpha * (target - Q[s, a])


def epsilon_greedy(q: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """A uniformly random action with probability ε, else argmax_a q(a). q: (A,) -> action.

    Ties among the best actions are broken at random; always taking the first would
    make the untrained agent (all Q = 0) walk N every time.
    """
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))
    best = np.flatnonzero(q == q.max())
    return int(best[rng.integers(len(best))])


def q_learning(env, *, episodes: int, epsilon: float, learning_rate: float,
               learning_rate_decay: float, exploring_starts: bool, max_steps: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Q-learning: learn Q from `episodes` ε-greedy episodes.

    env: anything with n_states, n_actions, discount, reset(rng, exploring_start)
         -> s and step(s, a, rng) -> (s', r, done); the learner uses nothing else,
         in particular no transition or reward table.
    exploring_starts: begin each episode in a random non-exit cell instead of S.
    An episode also stops after max_steps steps; that cut is not a terminal state,
    so the last update still bootstraps from Q(s', ·).
    Returns (Q: (S, A) float64, n: (S, A) int, how many updates each Q(s, a) had);
    a state with no updates was never left, so Q-learning knows nothing about it.
    The same seed gives the same result.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    if max_steps < 1:
        raise ValueError(f"max steps must be at least 1, got {max_steps}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    if not 0.0 < learning_rate <= 1.0:
        raise ValueError(f"learning rate must be in (0, 1], got {learning_rate}")
    if not learning_rate_decay >= 0.0:
        raise ValueError(f"learning rate decay must be >= 0, got {learning_rate_decay}")

    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, env.n_actions))                    # (S, A)
    updates = np.zeros((env.n_states, env.n_actions), dtype=int)   # n(s, a), sets α for (s, a)
    for _ in range(episodes):
        s = env.reset(rng, exploring_start=exploring_starts)
        for _ in range(max_steps):
            a = epsilon_greedy(Q[s], epsilon, rng)
            s_next, r, done = env.step(s, a, rng)
            alpha = learning_rate / (1.0 + learning_rate_decay * updates[s, a])
            q_update(Q, s, a, r, s_next, done, alpha, env.discount)
            updates[s, a] += 1
            if done:
                break
            s = s_next
    return Q, updates
