"""Sigmoid and tanh: values by hand, the identity that links them, and float64 gradient checks
(the same check the ReLU gets in test_nnpy_gradcheck.py)."""
import numpy as np
import pytest

from nnpy import check_layer
from nnpy.activations import Sigmoid, Tanh

LAYER_TOL = 1e-7        # smooth everywhere: no kinks, so the centered difference is O(h²)


def test_sigmoid_values_by_hand():
    x = np.array([0.0, np.log(3.0), -np.log(3.0)])
    np.testing.assert_allclose(Sigmoid().forward(x), [0.5, 0.75, 0.25])


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise"):
        out = Sigmoid().forward(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_tanh_is_a_shifted_scaled_sigmoid():
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(Tanh().forward(x), 2 * Sigmoid().forward(2 * x) - 1, atol=1e-15)


def test_saturation_shrinks_the_gradient():
    """Why deep nets moved to ReLU: at |x| = 7 the slope is under 1% of its peak."""
    x = np.array([0.0, 7.0])
    for layer, peak in ((Sigmoid(), 0.25), (Tanh(), 1.0)):
        layer.forward(x)
        slope = layer.backward(np.ones(2))
        assert slope[0] == pytest.approx(peak)
        assert slope[1] < 0.01 * peak


@pytest.mark.parametrize("make", [Sigmoid, Tanh])
def test_gradients_float64(make):
    rng = np.random.default_rng(4)
    errors = check_layer(make(), 2 * rng.standard_normal((3, 4, 5)))
    assert set(errors) == {"x"}
    assert errors["x"] < LAYER_TOL, errors


@pytest.mark.parametrize("make", [Sigmoid, Tanh])
def test_config_names_the_layer(make):
    assert make().config() == {"type": make.__name__}


def test_a_network_with_sigmoid_and_tanh_rebuilds_from_its_architecture():
    """Checkpoints store architecture(); --eval rebuilds the net from it, so both must be known."""
    from nnpy import Dense, Sequential
    rng = np.random.default_rng(0)
    net = Sequential([Dense(3, 4, rng=rng), Sigmoid(), Dense(4, 2, rng=rng), Tanh()])
    copy = Sequential.from_architecture(net.architecture())
    copy.load_state_arrays(net.state_arrays())
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(copy.forward(x), net.forward(x))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_cartpole_mlp_with_a_classic_activation(activation):
    from rl.cli.cartpole import build_mlp
    net = build_mlp(8, np.random.default_rng(0), activation)
    assert [layer.config()["type"] for layer in net.layers[1::2]] == [activation.title(), activation.title()]
