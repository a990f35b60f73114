"""Numerical gradient checking by centered differences.

For a scalar function f and an array x,

    df/dx[i] ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)

with error O(h²).  Run it in float64: in float32 the rounding error of f
(~1e-7 relative) divided by 2h swamps the answer.  Compare with
rel_error = max|a - n| / max(|a| + |n|) over all entries.

To check a layer, make its output a scalar with a fixed random projection
L = Σ out * R; then dL/dout = R, and backward(R) must agree with the
numerical derivative of L with respect to the input and every parameter.
"""
import numpy as np


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centered-difference gradient of scalar f() with respect to array x (perturbed in place)."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|); 0 when both are all zero."""
    denom = np.max(np.abs(a) + np.abs(b))
    return 0.0 if denom == 0 else float(np.max(np.abs(a - b)) / denom)


def check_layer(layer, x: np.ndarray, seed: int = 0, h: float = 1e-6) -> dict:
    """Gradient-check one layer at input x (use float64).

    Returns {"x": err, "<param>": err, ...}: relative errors between the
    analytic gradients from layer.backward and centered differences.
    """
    r = np.random.default_rng(seed).standard_normal(layer.forward(x).shape)

    def loss():
        return float(np.sum(layer.forward(x) * r))

    layer.forward(x)
    dx = layer.backward(r)
    errors = {"x": rel_error(dx, numerical_gradient(loss, x, h))}
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    for k, p in layer.params.items():
        errors[k] = rel_error(analytic[k], numerical_gradient(loss, p, h))
    return errors
