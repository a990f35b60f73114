"""NoisyDense: the forward by hand with f(ε) = sgn(ε)√|ε| and factorised noise, gradients
of μ and σ for fixed noise against centered differences (float64), the paper's
initialisation, noise off as the mean network, and build_net's noisy option."""
import numpy as np
import pytest

from atari.networks import build_net
from nnpy import NoisyDense, Sequential, check_layer, reset_noise, set_noise
from nnpy.dueling import Dueling
from nnpy.noisy import noisy_layers

LAYER_TOL = 1e-7
F64 = np.float64


class FixedNormals:
    """Stands in for a Generator in reset_noise: hands out the given 'standard normals'."""

    def __init__(self, *draws):
        self.draws = list(draws)

    def standard_normal(self, size):
        out = np.asarray(self.draws.pop(0), dtype=F64)
        assert out.shape == (size,)
        return out


def test_forward_by_hand():
    layer = NoisyDense(2, 1, rng=np.random.default_rng(0), dtype=F64)
    layer.params["mu_w"][...] = [[1.0], [2.0]]
    layer.params["sigma_w"][...] = [[0.5], [0.25]]
    layer.params["mu_b"][...] = [0.1]
    layer.params["sigma_b"][...] = [1.0]
    layer.reset_noise(FixedNormals([4.0, -9.0], [0.25]))    # f: (2, −3) and (0.5)
    # ε_w = (2, −3)ᵀ (0.5) = (1, −1.5): w = (1 + 0.5, 2 − 0.375);  b = 0.1 + 1 · 0.5
    x = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(layer.forward(x), [[1.5 + 2 * 1.625 + 0.6]])
    layer.noise = False                                     # the mean network: x μ_w + μ_b
    np.testing.assert_allclose(layer.forward(x), [[1.0 + 4.0 + 0.1]])


@pytest.mark.parametrize("noise", [True, False])
def test_gradients_for_fixed_noise(noise):
    rng = np.random.default_rng(1)
    layer = NoisyDense(6, 4, rng=rng, dtype=F64)
    layer.noise = noise
    errors = check_layer(layer, rng.standard_normal((5, 6)))
    assert set(errors) == {"x", "mu_w", "sigma_w", "mu_b", "sigma_b"}
    assert max(errors.values()) < LAYER_TOL, errors
    layer.forward(rng.standard_normal((5, 6)))
    layer.backward(rng.standard_normal((5, 4)))
    assert np.any(layer.grads["sigma_w"] != 0) == noise     # σ learns only when it acts


def test_initialisation_is_the_papers():
    layer = NoisyDense(400, 30, rng=np.random.default_rng(2), dtype=F64)
    bound = 1 / np.sqrt(400)
    for k in ("mu_w", "mu_b"):                               # U(−1/√p, 1/√p)
        assert np.all(np.abs(layer.params[k]) <= bound) and np.abs(layer.params[k]).max() > 0.9 * bound
    assert np.all(layer.params["sigma_w"] == 0.5 * bound)    # σ0/√p, σ0 = 0.5
    assert np.all(layer.params["sigma_b"] == 0.5 * bound)


def test_noise_is_factorised_and_scaled_by_f():
    layer = NoisyDense(3, 4, rng=np.random.default_rng(3), dtype=F64)
    layer.params["mu_w"][...] = 0.0
    layer.params["sigma_w"][...] = 1.0                      # so w = ε_w
    rng, x = np.random.default_rng(4), np.eye(3)            # x = I reads w's rows out
    products = []
    for _ in range(4000):
        layer.reset_noise(rng)
        w = layer.forward(x) - (layer.params["mu_b"] + layer.params["sigma_b"] * layer.eps_out)
        assert np.linalg.matrix_rank(w) <= 1                 # an outer product
        products.append(w)
    # E[(f(ε) f(ε'))²] = E|ε| E|ε'| = 2/π for independent normals; without f it would be 1
    assert np.mean(np.square(products)) == pytest.approx(2 / np.pi, rel=0.03)


def test_reset_noise_and_set_noise_reach_every_noisy_layer():
    rng = np.random.default_rng(5)
    net = Sequential([NoisyDense(4, 5, rng=rng), Dueling(5, 3, 2, rng=rng, noisy=True)])
    layers = noisy_layers(net)
    assert len(layers) == 5                                  # 1 + 2 streams of 2
    before = [layer.eps_out.copy() for layer in layers]
    reset_noise(net, rng)
    assert all(not np.array_equal(b, layer.eps_out) for b, layer in zip(before, layers))
    x = rng.standard_normal((3, 4)).astype(np.float32)
    noisy_q = net.forward(x)
    set_noise(net, False)
    mean_q = net.forward(x)
    reset_noise(net, rng)
    np.testing.assert_array_equal(net.forward(x), mean_q)   # off: new noise changes nothing
    assert not np.allclose(noisy_q, mean_q)
    set_noise(net, True)
    assert not np.allclose(net.forward(x), mean_q)


@pytest.mark.parametrize("dueling", [False, True])
def test_noisy_nets_rebuild_from_their_checkpoint_description(dueling):
    rng = np.random.default_rng(6)
    net = build_net("dqn2013", 6, rng, dueling=dueling, noisy=True)
    assert len(noisy_layers(net)) == (4 if dueling else 2)
    assert not any(type(layer).__name__ == "Dense" for layer in net.layers)
    copy = Sequential.from_architecture(net.architecture())
    copy.load_state_arrays(net.state_arrays())
    set_noise(net, False)
    set_noise(copy, False)
    x = rng.integers(0, 256, (2, 84, 84, 4), dtype=np.uint8)
    np.testing.assert_array_equal(copy.forward(x, 1 / 255), net.forward(x, 1 / 255))
