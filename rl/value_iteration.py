"""Value iteration: solve Bellman's optimality equations by repeating them as updates.

    V*(s)    = max_a Σ_s' T(s, a, s') [R(s, a, s') + γ V*(s')]                (1)
    Q*(s, a) =       Σ_s' T(s, a, s') [R(s, a, s') + γ max_a' Q*(s', a')]     (2)

(Bellman 1957; Sutton & Barto 2018, §3.6 and §4.4.) Value iteration starts from V_0 = 0
and applies the right side of (1) to get V_1, V_2, ...; Q-value iteration does the same
with (2) for Q. For γ < 1 each update is a γ-contraction in the max norm, so the
iterates converge to the unique fixed point. We stop when the largest change
max_s |V_{k+1}(s) - V_k(s)| falls below a tolerance ε; then ||V_{k+1} - V*||_∞ is
at most γ ε / (1 - γ) (the contraction again; Puterman 1994, §6.3), and the greedy
policy of V_{k+1} loses at most 2 γ ε / (1 - γ) against the optimal one (Williams & Baird 1993).

Value iteration reads the tables T and R: it plans with a model and never acts.
Contrast rl/qlearning.py, which only sees sampled transitions.
"""
from typing import Callable

import numpy as np

from rl.gridworld import GridWorld


def bellman_backup(mdp: GridWorld, V: np.ndarray) -> np.ndarray:
    """Q(s, a) = Σ_s' T(s, a, s') [R(s, a, s') + γ V(s')]: one look ahead from V.

    V: (S,) float; returns Q: (S, A) float64.
    """
    return (mdp.T * (mdp.R + mdp.discount * V)).sum(axis=2)   # V broadcasts over s': (S, A, S)


def bellman_update(mdp: GridWorld, V: np.ndarray) -> np.ndarray:
    """V_{k+1}(s) = max_a Σ_s' T(s, a, s') [R(s, a, s') + γ V_k(s')]: the right side of (1). V: (S,)."""
    return bellman_backup(mdp, V).max(axis=1)


def value_iterates(mdp: GridWorld, k: int) -> list[np.ndarray]:
    """[V_0, V_1, ..., V_k] from V_0 = 0: how values spread out from the exits, one step a sweep."""
    V = [np.zeros(mdp.n_states)]
    for _ in range(k):
        V.append(bellman_update(mdp, V[-1]))
    return V


def value_iteration(mdp: GridWorld, *, tolerance: float,
                    max_iterations: int) -> tuple[np.ndarray, int]:
    """Value iteration: V_{k+1}(s) = max_a Σ_s' T(s, a, s') [R(s, a, s') + γ V_k(s')], V_0 = 0.

    Returns (V*: (S,) float64, number of updates made).
    """
    return _until_converged(lambda V: bellman_update(mdp, V),
                            np.zeros(mdp.n_states), tolerance, max_iterations)


def q_value_iteration(mdp: GridWorld, *, tolerance: float,
                      max_iterations: int) -> tuple[np.ndarray, int]:
    """Q-value iteration: Q_{k+1}(s, a) = Σ_s' T(s, a, s') [R(s, a, s') + γ max_a' Q_k(s', a')], Q_0 = 0.

    Returns (Q*: (S, A) float64, number of updates made).
    """
    return _until_converged(lambda Q: bellman_backup(mdp, Q.max(axis=1)),
                            np.zeros((mdp.n_states, mdp.n_actions)), tolerance, max_iterations)


def bellman_residual(mdp: GridWorld, V: np.ndarray) -> float:
    """max_s |max_a Σ_s' T [R + γ V(s')] - V(s)|: how far V is from solving (1). V: (S,)."""
    return float(np.abs(bellman_update(mdp, V) - V).max())


def greedy_policy(Q: np.ndarray) -> np.ndarray:
    """π(s) = argmax_a Q(s, a), ties to the first action in ACTIONS. Q: (S, A) -> (S,) int.

    For a policy from V, look one step ahead first: greedy_policy(bellman_backup(mdp, V)).
    """
    return Q.argmax(axis=1)


def _until_converged(update: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                     tolerance: float, max_iterations: int) -> tuple[np.ndarray, int]:
    """Apply x <- update(x) until max |change| < tolerance; return (x, updates made).

    Value and Q-value iteration are the same loop with a different update, so it lives here once.
    """
    if not tolerance > 0:
        raise ValueError(f"tolerance must be positive, got {tolerance}")
    if max_iterations < 1:
        raise ValueError(f"max iterations must be at least 1, got {max_iterations}")
    for k in range(1, max_iterations + 1):
        x_new = update(x)
        change = float(np.abs(x_new - x).max())
        x = x_new
        if change < tolerance:
            return x, k
    # With γ = 1 and a living reward > 0 the values may grow forever: V* does not exist.
    raise ValueError(f"value iteration did not converge in {max_iterations} iterations (largest "
                     f"change still {change:.3g}); allow more iterations, or, with discount 1, "
                     f"the values may have no limit")
