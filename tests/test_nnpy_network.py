"""Sequential: parameter naming, the target-network copy, syncs and soft updates."""
import numpy as np
import pytest

from nnpy import Adam, Conv2D, Dense, Flatten, ReLU, Sequential


def tiny_convnet(seed: int, out: int = 2) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([Conv2D(2, 3, 3, 2, rng=rng), ReLU(), Flatten(), Dense(27, out, rng=rng)])


def train_one_step(net: Sequential, x: np.ndarray) -> None:
    out = net.forward(x)
    net.backward(np.ones_like(out))
    Adam(net.parameters(), lr=0.1).step(net.gradients())


def test_parameters_are_named_by_layer_index():
    net = tiny_convnet(0)
    assert list(net.parameters()) == ["0.w", "0.b", "3.w", "3.b"]
    assert net.parameters()["0.w"] is net.layers[0].params["w"]   # the layer's own array
    assert net.gradients().keys() == net.parameters().keys()
    assert net.architecture()[0] == {"type": "Conv2D", "in_channels": 2, "out_channels": 3,
                                     "kernel_size": 3, "stride": 2}


def test_copy_is_independent():
    net = tiny_convnet(0)
    x = np.random.default_rng(1).random((4, 7, 7, 2), dtype=np.float32)
    before = {k: p.copy() for k, p in net.parameters().items()}
    target = net.copy()
    np.testing.assert_array_equal(target.forward(x), net.forward(x))
    for k, p in target.parameters().items():
        assert not np.shares_memory(p, net.parameters()[k])
    train_one_step(target, x)
    for k, p in net.parameters().items():
        np.testing.assert_array_equal(p, before[k])               # the original did not move
    assert not np.array_equal(target.parameters()["3.w"], before["3.w"])


def test_load_weights_from_copies_exactly_and_in_place():
    net, target = tiny_convnet(0), tiny_convnet(1)
    own_arrays = {k: p for k, p in target.parameters().items()}
    target.load_weights_from(net)
    for k, p in target.parameters().items():
        assert p is own_arrays[k]                                 # updated in place
        np.testing.assert_array_equal(p, net.parameters()[k])     # bit for bit
    train_one_step(net, np.ones((1, 7, 7, 2), dtype=np.float32))
    assert not np.array_equal(target.parameters()["3.w"], net.parameters()["3.w"])


def test_load_weights_from_refuses_another_architecture():
    with pytest.raises(ValueError, match="same architecture"):
        tiny_convnet(0).load_weights_from(tiny_convnet(0, out=3))


def test_soft_update_is_polyak_averaging():
    net, target = tiny_convnet(0), tiny_convnet(1)
    expected = {k: 0.9 * p + 0.1 * net.parameters()[k] for k, p in target.parameters().items()}
    target.soft_update_from(net, tau=0.1)
    for k, p in target.parameters().items():
        np.testing.assert_allclose(p, expected[k], rtol=1e-6)
