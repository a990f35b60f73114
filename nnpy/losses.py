"""The losses of the Q-learning update, each returning (loss, dpred).

The two regression losses take the predictions Q(s, a; θ) at the taken
actions and the Bellman targets y, shapes (N,), and average over the batch:

    mse   : L = 1/N Σ ½ (q - y)²                     dL/dq = (q - y) / N
    huber : L = 1/N Σ ½ e²           if |e| <= δ      dL/dq = clip(e, -δ, δ) / N
                      δ (|e| - ½ δ)  otherwise         with e = q - y

The ½ in the MSE makes the two losses identical for small errors, so the
only difference is what happens to a large TD error: MSE follows it
linearly, Huber caps its gradient at δ.  With δ = 1 that is exactly the
"clip the error term to [-1, 1]" of Mnih et al. 2015 (Methods, Training
algorithm), which keeps one surprising transition from kicking the weights.

Both take optional per-sample weights w (N,), the importance-sampling
weights of prioritized replay (Schaul et al. 2016, Algorithm 1, line 12):

    L = 1/N Σ w_i ℓ(e_i),    dL/dq_i = w_i ℓ'(e_i) / N

Without weights (w = None) every w_i is 1, and multiplying by 1.0 is exact,
so the result is the unweighted loss bit for bit.

C51 (Bellemare et al. 2017, Algorithm 1) fits a distribution, not a number: the
cross-entropy between the projected target distribution m and the predicted one,
given as log-probabilities (N, K), with the same optional weights:

    cross_entropy : L = 1/N Σ_n w_n (−Σ_i m_ni log p_ni)    dL/dlog p = −w m / N

It is not one of LOSSES (the choices of --loss): C51 always uses it.
"""
import numpy as np


def _check(name: str, q: np.ndarray, y: np.ndarray, weights: np.ndarray | None):
    """The weights as the factor to apply: 1.0 without weights, else w (N,) in q's dtype."""
    if q.shape != y.shape:
        raise ValueError(f"{name} needs predictions and targets of one shape, got {q.shape} and {y.shape}")
    if weights is None:
        return 1.0
    if np.shape(weights) != q.shape:
        raise ValueError(f"{name} needs one weight per prediction, got {np.shape(weights)} for {q.shape}")
    return np.asarray(weights, dtype=q.dtype)


def mse(q: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Half mean squared error: q, y, weights (N,) -> (loss, dq (N,))."""
    w = _check("mse", q, y, weights)
    e = q - y
    return float(0.5 * np.mean(e * e * w)), w * e / e.size


def huber(q: np.ndarray, y: np.ndarray, delta: float = 1.0,
          weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Huber loss with threshold δ: q, y, weights (N,) -> (loss, dq (N,))."""
    w = _check("huber", q, y, weights)
    e = q - y
    a = np.abs(e)
    loss = np.where(a <= delta, 0.5 * e * e, delta * (a - 0.5 * delta))
    return float(np.mean(loss * w)), w * np.clip(e, -delta, delta) / e.size


def cross_entropy(logp: np.ndarray, m: np.ndarray,
                  weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """−Σ_i m_i log p_i, averaged: logp, m (N, K), weights (N,) -> (loss, dlogp (N, K))."""
    if logp.shape != m.shape:
        raise ValueError(f"cross_entropy needs log-probabilities and targets of one shape, "
                         f"got {logp.shape} and {m.shape}")
    w = _check("cross_entropy", logp[:, 0], m[:, 0], weights)          # 1.0 or (N,)
    per_sample = -(m * logp).sum(axis=1)                                # (N,)
    # w as a column, (N, 1) or (1, 1) without weights, so it scales each row of m
    return float(np.mean(w * per_sample)), -np.reshape(w, (-1, 1)) * m / len(m)   # (N, K)


LOSSES = {"mse": mse, "huber": huber}
