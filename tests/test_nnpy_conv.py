"""Convolution: im2col/col2im are adjoint, the fast conv equals the loop conv,
and wrong shapes are refused with a message that says what was expected."""
import re

import numpy as np
import pytest

from nnpy import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, col2im, conv2d_naive, conv_output_size, im2col
from nnpy.space_to_depth import depth_to_space, space_to_depth


def random_geometry(seed: int) -> dict:
    """A random conv problem: batch, non-square image, channels, kernel, stride."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 6))
    return {"n": int(rng.integers(1, 4)), "h": int(rng.integers(k, 13)), "w": int(rng.integers(k, 13)),
            "c": int(rng.integers(1, 6)), "f": int(rng.integers(1, 7)), "k": k,
            "stride": int(rng.integers(1, 5)), "rng": rng}


@pytest.mark.parametrize("seed", range(20))
def test_im2col_col2im_are_adjoint(seed):
    """<im2col(x), c> == <x, col2im(c)> for every x and c: col2im is im2col transposed."""
    g = random_geometry(seed)
    x = g["rng"].standard_normal((g["n"], g["h"], g["w"], g["c"]))
    cols = im2col(x, g["k"], g["k"], g["stride"])
    oh, ow = conv_output_size(g["h"], g["k"], g["stride"]), conv_output_size(g["w"], g["k"], g["stride"])
    assert cols.shape == (g["n"] * oh * ow, g["k"] * g["k"] * g["c"])
    c = g["rng"].standard_normal(cols.shape)
    lhs = np.sum(cols * c)
    rhs = np.sum(x * col2im(c, x.shape, g["k"], g["k"], g["stride"]))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_fast_conv_equals_naive_conv(seed):
    g = random_geometry(seed)
    layer = Conv2D(g["c"], g["f"], g["k"], g["stride"], rng=g["rng"], dtype=np.float64)
    x = g["rng"].standard_normal((g["n"], g["h"], g["w"], g["c"]))
    expected = conv2d_naive(x, layer.params["w"], layer.params["b"], g["stride"])
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


def strided_geometry(seed: int) -> dict:
    """A random conv problem whose kernel is a multiple of its stride (the space-to-depth path)."""
    rng = np.random.default_rng(100 + seed)
    s, m = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    k = m * s
    return {"n": int(rng.integers(1, 4)), "h": int(rng.integers(k, k + 9)), "w": int(rng.integers(k, k + 9)),
            "c": int(rng.integers(1, 5)), "f": int(rng.integers(1, 6)), "k": k, "stride": s, "rng": rng}


@pytest.mark.parametrize("seed", range(20))
def test_space_to_depth_and_depth_to_space_are_adjoint(seed):
    """<space_to_depth(x), c> == <x, depth_to_space(c)>, also when trailing rows are dropped."""
    g = strided_geometry(seed)
    s = g["stride"]
    hb, wb = g["h"] // s - int(g["rng"].integers(0, 2) if g["h"] >= 2 * s else 0), g["w"] // s
    x = g["rng"].standard_normal((g["n"], g["h"], g["w"], g["c"]))
    xb = space_to_depth(x, s, hb, wb)
    assert xb.shape == (g["n"], hb, wb, s * s * g["c"])
    np.testing.assert_array_equal(xb[:, -1, -1, -g["c"]:], x[:, hb * s - 1, wb * s - 1])   # last pixel of a block
    c = g["rng"].standard_normal(xb.shape)
    assert np.sum(xb * c) == pytest.approx(np.sum(x * depth_to_space(c, s, x.shape)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_space_to_depth_conv_equals_naive_conv_and_im2col(seed):
    """Forward against the loop reference; backward (dx, dw, db) against the im2col path."""
    g = strided_geometry(seed)
    fast = Conv2D(g["c"], g["f"], g["k"], g["stride"], rng=g["rng"], dtype=np.float64)
    plain = Conv2D(g["c"], g["f"], g["k"], g["stride"], dtype=np.float64)
    plain.algorithm = "im2col"
    for k in fast.params:
        plain.params[k][...] = fast.params[k]
    assert fast.algorithm == "space_to_depth"
    x = g["rng"].standard_normal((g["n"], g["h"], g["w"], g["c"]))
    out = fast.forward(x)
    np.testing.assert_allclose(out, conv2d_naive(x, fast.params["w"], fast.params["b"], g["stride"]),
                               rtol=1e-12, atol=1e-12)
    plain.forward(x)
    dout = g["rng"].standard_normal(out.shape)
    np.testing.assert_allclose(fast.backward(dout), plain.backward(dout), rtol=1e-12, atol=1e-12)
    for k in fast.grads:
        np.testing.assert_allclose(fast.grads[k], plain.grads[k], rtol=1e-12, atol=1e-12)


def test_each_dqn_layer_uses_the_algorithm_meant_for_it():
    assert Conv2D(4, 16, 8, 4).algorithm == "space_to_depth"      # 8x8/4 -> 2x2 over 21x21x64
    assert Conv2D(16, 32, 4, 2).algorithm == "space_to_depth"     # 4x4/2 -> 2x2 over 10x10x64
    assert Conv2D(64, 64, 3, 1).algorithm == "im2col"             # stride 1: nothing to fold
    assert Conv2D(3, 4, 3, 2).algorithm == "im2col"               # 3 is no multiple of 2


def test_fast_conv_equals_naive_conv_on_the_dqn_first_layer():
    """84x84x4 screens, 16 filters 8x8 stride 4 (Mnih et al. 2013) -> (N, 20, 20, 16), float32."""
    rng = np.random.default_rng(0)
    layer = Conv2D(4, 16, 8, 4, rng=rng)
    x = rng.random((2, 84, 84, 4), dtype=np.float32)
    out = layer.forward(x)
    assert out.shape == (2, 20, 20, 16) and out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_naive(x, layer.params["w"], layer.params["b"], 4),
                               rtol=1e-4, atol=1e-5)


def test_conv_backward_without_dx_still_fills_grads():
    rng = np.random.default_rng(1)
    layer = Conv2D(3, 4, 3, 2, rng=rng, dtype=np.float64)
    x, dout = rng.standard_normal((2, 7, 7, 3)), rng.standard_normal((2, 3, 3, 4))
    layer.forward(x)
    layer.backward(dout, need_dx=True)
    full = {k: g.copy() for k, g in layer.grads.items()}
    for g in layer.grads.values():
        g[...] = 0
    assert layer.backward(dout, need_dx=False) is None
    for k in full:
        np.testing.assert_array_equal(layer.grads[k], full[k])


def test_sequential_backward_skips_dx_of_the_first_layer():
    rng = np.random.default_rng(2)
    net = Sequential([Conv2D(1, 2, 3, rng=rng), MaxPool2D(2)])
    out = net.forward(rng.random((1, 6, 6, 1), dtype=np.float32))
    assert net.backward(np.ones_like(out)) is None
    assert net.backward(np.ones_like(out), need_dx=True).shape == (1, 6, 6, 1)


def test_maxpool_equals_a_loop():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 9, 3))
    out = MaxPool2D(3, 2).forward(x)
    assert out.shape == (2, 3, 4, 3)
    for i in range(3):
        for j in range(4):
            np.testing.assert_array_equal(out[:, i, j], x[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3].max(axis=(1, 2)))


def test_maxpool_sends_a_tied_windows_gradient_to_its_first_maximum():
    """After a ReLU, ties are common (every 0 of a silent window); the gradient goes to one input,
    the first maximum in row-major order, not shared and not the last."""
    pool = MaxPool2D(2)
    x = np.array([[0.0, 0.0, 1.0, 3.0],
                  [0.0, 0.0, 3.0, 3.0]]).reshape(1, 2, 4, 1)      # (N, H, W, C): two 2x2 windows
    np.testing.assert_array_equal(pool.forward(x).ravel(), [0.0, 3.0])
    dx = pool.backward(np.array([5.0, 7.0]).reshape(1, 1, 2, 1)).reshape(2, 4)   # (H, W)
    np.testing.assert_array_equal(dx, [[5.0, 0.0, 0.0, 7.0],
                                       [0.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("layer, x, message", [
    (Conv2D(4, 16, 8, 4), np.zeros((32, 84, 84)), "Conv2D expected input (N, H, W, 4), got (32, 84, 84)"),
    (Conv2D(4, 16, 8, 4), np.zeros((32, 84, 84, 3)), "Conv2D expected input (N, H, W, 4), got (32, 84, 84, 3)"),
    (Conv2D(4, 16, 8, 4), [[0.0]], "Conv2D expected input (N, H, W, 4), got list"),
    (Conv2D(4, 16, 8, 4), np.zeros((1, 7, 84, 4)), "Conv2D with a 8x8 kernel needs H, W >= 8, got input (1, 7, 84, 4)"),
    (Dense(3136, 512), np.zeros((32, 7, 7, 64)), "Dense expected input (N, 3136), got (32, 7, 7, 64)"),
    (MaxPool2D(2), np.zeros((5, 5)), "MaxPool2D expected input (N, H, W, C), got (5, 5)"),
])
def test_shape_errors_say_what_was_expected(layer, x, message):
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        layer.forward(x)


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(4, 16, 0), "Conv2D kernel_size must be a positive integer, got 0"),
    (lambda: Conv2D(4, 16, 8, stride=1.5), "Conv2D stride must be a positive integer, got 1.5"),
    (lambda: Dense(0, 2), "Dense in_features must be a positive integer, got 0"),
    (lambda: MaxPool2D(2, stride=-1), "MaxPool2D stride must be a positive integer, got -1"),
])
def test_bad_layer_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize("algorithm", ["im2col", "space_to_depth"])
def test_uint8_input_with_a_scale_equals_scaling_first(algorithm):
    """forward(uint8 x, 1/255) converts and scales in its own copy: the same floats, bit for bit,
    as scaling in a pass of its own; dx is then the gradient with respect to the raw x."""
    rng = np.random.default_rng(8)
    layer = Conv2D(4, 6, 8, 4, rng=rng)
    layer.algorithm = algorithm
    screens = rng.integers(0, 256, (3, 36, 40, 4), dtype=np.uint8)
    scaled = np.multiply(screens, 1 / 255, dtype=np.float32)
    expected = layer.forward(scaled)
    dout = rng.standard_normal(expected.shape).astype(np.float32)
    dx_scaled = layer.backward(dout)
    dw_scaled = layer.grads["w"].copy()
    np.testing.assert_array_equal(layer.forward(screens, scale=1 / 255), expected)
    np.testing.assert_array_equal(layer.backward(dout), dx_scaled * np.float32(1 / 255))
    np.testing.assert_array_equal(layer.grads["w"], dw_scaled)


def test_sequential_takes_uint8_screens_and_an_input_scale():
    """Conv2D first: scaled in the layer's copy; Dense first: converted by Sequential. Both equal
    feeding the scaled floats, bit for bit."""
    rng = np.random.default_rng(9)
    conv_net = Sequential([Conv2D(4, 3, 4, 2, rng=rng), ReLU(), Flatten(), Dense(3 * 4 * 4, 2, rng=rng)])
    mlp = Sequential([Dense(5, 3, rng=rng), ReLU(), Dense(3, 2, rng=rng)])
    for net, shape in ((conv_net, (2, 10, 10, 4)), (mlp, (2, 5))):
        screens = rng.integers(0, 256, shape, dtype=np.uint8)
        scaled = np.multiply(screens, 1 / 255, dtype=np.float32)
        np.testing.assert_array_equal(net.forward(screens, input_scale=1 / 255), net.forward(scaled))
        assert net.forward(screens, input_scale=1 / 255).dtype == np.float32
