"""Regression losses for the Q-learning update, each returning (loss, dpred).

Both take the predictions Q(s, a; θ) at the taken actions and the Bellman
targets y, shapes (N,), and average over the batch:

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


LOSSES = {"mse": mse, "huber": huber}
