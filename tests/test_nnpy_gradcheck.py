"""Gradient checks: every backward agrees with centered differences, in float64.

    df/dx[i] ≈ (f(x + h e_i) - f(x - h e_i)) / (2h),   rel_error = max|a - n| / max(|a| + |n|)

Single layers and the losses are smooth where they are evaluated (random
inputs stay far from the ReLU / max / Huber kinks), so they must agree to
1e-7.  The whole network goes through several ReLUs, so it gets 1e-6.
Measured (numpy 2.4, h = 1e-6): layers ≤ 1.3e-9 (the space-to-depth
convolutions included), losses ≤ 3e-9.  The DQN loss through the same
network is checked on DQNAgent.learn in test_dqn.py.
"""
import numpy as np
import pytest

from nnpy import (Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, check_layer,
                  huber, mse, numerical_gradient, rel_error)

LAYER_TOL = 1e-7
NET_TOL = 1e-6
F64 = np.float64


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    num = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    assert rel_error(num, 3 * x ** 2) < 1e-9
    assert np.array_equal(x, [[1.0, -2.0], [0.5, 3.0]])   # perturbations were undone


def test_rel_error():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == 1.0


class ScaledBackward(Dense):
    """A Dense layer with a deliberately wrong backward (dx is 1% too large)."""

    def backward(self, dout, need_dx=True):
        return 1.01 * super().backward(dout, need_dx)


def test_check_layer_catches_a_wrong_backward():
    rng = np.random.default_rng(0)
    errors = check_layer(ScaledBackward(5, 3, rng=rng, dtype=F64), rng.standard_normal((4, 5)))
    assert errors["x"] > 1e-3
    assert errors["w"] < LAYER_TOL and errors["b"] < LAYER_TOL


LAYERS = {
    # name: (layer factory, input shape)
    "conv 3x3 stride 1": (lambda rng: Conv2D(3, 4, 3, 1, rng=rng, dtype=F64), (2, 6, 5, 3)),
    "conv 3x3 stride 2": (lambda rng: Conv2D(2, 3, 3, 2, rng=rng, dtype=F64), (2, 7, 8, 2)),
    "conv 4x4 stride 3": (lambda rng: Conv2D(2, 3, 4, 3, rng=rng, dtype=F64), (2, 10, 9, 2)),
    "conv 1x1": (lambda rng: Conv2D(3, 2, 1, 1, rng=rng, dtype=F64), (2, 3, 4, 3)),
    "conv 2x2 stride 3 (skips pixels)": (lambda rng: Conv2D(1, 2, 2, 3, rng=rng, dtype=F64), (2, 8, 7, 1)),
    "conv 4x4 stride 2 (space-to-depth)": (lambda rng: Conv2D(3, 4, 4, 2, rng=rng, dtype=F64), (2, 8, 10, 3)),
    "conv 6x6 stride 3 (space-to-depth, drops a row)": (lambda rng: Conv2D(2, 3, 6, 3, rng=rng, dtype=F64),
                                                        (2, 13, 12, 2)),
    "conv 2x2 stride 2 (space-to-depth, m = 1)": (lambda rng: Conv2D(2, 3, 2, 2, rng=rng, dtype=F64), (2, 7, 6, 2)),
    "dense": (lambda rng: Dense(7, 5, rng=rng, dtype=F64), (4, 7)),
    "relu": (lambda rng: ReLU(), (3, 4, 5, 2)),
    "flatten": (lambda rng: Flatten(), (3, 4, 5, 2)),
    "maxpool 2/2": (lambda rng: MaxPool2D(2), (2, 6, 6, 3)),
    "maxpool 3/2 (overlapping)": (lambda rng: MaxPool2D(3, 2), (2, 7, 7, 3)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradients(name):
    make, shape = LAYERS[name]
    rng = np.random.default_rng(1)
    layer = make(rng)
    errors = check_layer(layer, rng.standard_normal(shape))
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < LAYER_TOL, errors


@pytest.mark.parametrize("loss_fn, delta", [(mse, None), (huber, 0.5), (huber, 1.0), (huber, 2.0)])
def test_loss_gradients(loss_fn, delta):
    rng = np.random.default_rng(2)
    q, y = 3 * rng.standard_normal(16), 3 * rng.standard_normal(16)
    kwargs = {} if delta is None else {"delta": delta}
    if delta is not None:   # both branches of the Huber loss are exercised
        assert np.any(np.abs(q - y) < delta) and np.any(np.abs(q - y) > delta)
    _, dq = loss_fn(q, y, **kwargs)
    num = numerical_gradient(lambda: loss_fn(q, y, **kwargs)[0], q)
    assert rel_error(dq, num) < LAYER_TOL


def test_loss_values_by_hand():
    q, y = np.array([0.5, 3.0]), np.array([0.0, 0.0])
    loss, dq = mse(q, y)
    assert loss == pytest.approx((0.5 * 0.25 + 0.5 * 9.0) / 2)
    np.testing.assert_allclose(dq, [0.25, 1.5])
    loss, dq = huber(q, y, delta=1.0)           # 0.5 is quadratic, 3 is linear
    assert loss == pytest.approx((0.5 * 0.25 + 1.0 * (3.0 - 0.5)) / 2)
    np.testing.assert_allclose(dq, [0.25, 0.5])  # clip(e, -1, 1) / N
    with pytest.raises(ValueError, match=r"one shape, got \(2,\) and \(3,\)"):
        mse(q, np.zeros(3))


def small_dqn(rng) -> Sequential:
    """The DQN architecture in miniature: conv, conv, dense, dense -> 3 actions."""
    return Sequential([
        Conv2D(2, 3, 4, stride=2, rng=rng, dtype=F64), ReLU(),    # (N, 11, 11, 2) -> (N, 4, 4, 3), space-to-depth
        Conv2D(3, 4, 3, stride=1, rng=rng, dtype=F64), ReLU(),    # -> (N, 2, 2, 4), im2col
        Flatten(),                                                # -> (N, 16)
        Dense(16, 8, rng=rng, dtype=F64), ReLU(),
        Dense(8, 3, rng=rng, dtype=F64),                          # -> (N, 3) Q-values
    ])


def test_whole_network():
    """Backprop through the whole stack (conv, ReLU, flatten, dense) for L = Σ c ⊙ net(x).
    The DQN loss on top of it is checked through DQNAgent.learn itself, in test_dqn.py."""
    rng = np.random.default_rng(3)
    net = small_dqn(rng)
    x = rng.standard_normal((5, 11, 11, 2))
    c = rng.standard_normal((5, 3))                             # dL/d(out)

    def loss():
        return float(np.sum(c * net.forward(x)))

    loss()
    dx = net.backward(c, need_dx=True)
    analytic = {k: g.copy() for k, g in net.gradients().items()}
    errors = {k: rel_error(analytic[k], numerical_gradient(loss, p)) for k, p in net.parameters().items()}
    errors["x"] = rel_error(dx, numerical_gradient(loss, x))
    assert max(errors.values()) < NET_TOL, errors
    assert all(np.any(analytic[k] != 0) for k in analytic)   # every layer got a gradient


@pytest.mark.parametrize("loss_fn, delta", [(mse, None), (huber, 0.5), (huber, 1.0)])
def test_weighted_loss_gradients(loss_fn, delta):
    """L = 1/N Σ w_i ℓ(e_i): the importance weights of prioritized replay scale each term."""
    rng = np.random.default_rng(4)
    q, y, w = 3 * rng.standard_normal(16), 3 * rng.standard_normal(16), rng.random(16)
    kwargs = {} if delta is None else {"delta": delta}
    _, dq = loss_fn(q, y, weights=w, **kwargs)
    num = numerical_gradient(lambda: loss_fn(q, y, weights=w, **kwargs)[0], q)
    assert rel_error(dq, num) < LAYER_TOL


def test_weighted_loss_by_hand_and_unweighted_bit_for_bit():
    q, y, w = np.array([0.5, 3.0]), np.array([0.0, 0.0]), np.array([0.5, 0.25])
    loss, dq = mse(q, y, weights=w)
    assert loss == pytest.approx((0.5 * 0.5 * 0.25 + 0.25 * 0.5 * 9.0) / 2)
    np.testing.assert_allclose(dq, [0.5 * 0.25, 0.25 * 1.5])
    loss, dq = huber(q, y, delta=1.0, weights=w)
    assert loss == pytest.approx((0.5 * 0.5 * 0.25 + 0.25 * 2.5) / 2)
    np.testing.assert_allclose(dq, [0.5 * 0.25, 0.25 * 0.5])
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):   # no weights is exactly weights of one
        q, y = rng.standard_normal(32).astype(dtype), rng.standard_normal(32).astype(dtype)
        for loss_fn in (mse, huber):
            loss, dq = loss_fn(q, y)
            loss_w, dq_w = loss_fn(q, y, weights=np.ones(32))
            assert loss == loss_w and dq.dtype == dtype and dq.tobytes() == dq_w.tobytes()
    with pytest.raises(ValueError, match=r"one weight per prediction, got \(3,\) for \(2,\)"):
        mse(np.zeros(2), np.zeros(2), weights=np.ones(3))
