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
"""
import numpy as np


def _check(name: str, q: np.ndarray, y: np.ndarray) -> None:
    if q.shape != y.shape:
        raise ValueError(f"{name} needs predictions and targets of one shape, got {q.shape} and {y.shape}")


def mse(q: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Half mean squared error: q, y (N,) -> (loss, dq (N,))."""
    _check("mse", q, y)
    e = q - y
    return float(0.5 * np.mean(e * e)), e / e.size


def huber(q: np.ndarray, y: np.ndarray, delta: float = 1.0) -> tuple[float, np.ndarray]:
    """Huber loss with threshold δ: q, y (N,) -> (loss, dq (N,))."""
    _check("huber", q, y)
    e = q - y
    a = np.abs(e)
    loss = np.where(a <= delta, 0.5 * e * e, delta * (a - 0.5 * delta))
    return float(np.mean(loss)), np.clip(e, -delta, delta) / e.size


LOSSES = {"mse": mse, "huber": huber}
