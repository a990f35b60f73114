"""φ on synthetic frames: the luminance weights on known pixels, the two-frame max, the
84 × 84 uint8 output, pillow's bilinear resize against a plain numpy one, and the
oldest-first order of the frame stack."""
import numpy as np
import pytest

from atari.preprocess import LUMINANCE, FrameStack, luminance, max_frames, phi_frame, resize


def screen(rgb=(0, 0, 0)) -> np.ndarray:
    """A raw Atari screen (210, 160, 3) uint8 of one colour."""
    return np.broadcast_to(np.array(rgb, dtype=np.uint8), (210, 160, 3)).copy()


@pytest.mark.parametrize("name, w", [("rec709", (0.2126, 0.7152, 0.0722)),   # BT.709: this project's default
                                     ("rec601", (0.299, 0.587, 0.114))])     # BT.601: DeepMind's rgb2y
def test_luminance_weights_by_hand(name, w):
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]],
                       [[255, 255, 255], [0, 0, 0], [10, 100, 200]]], dtype=np.uint8)   # (2, 3, 3)
    y = luminance(pixels, LUMINANCE[name])
    assert y.shape == (2, 3)
    # Y = w_R R + w_G G + w_B B, by hand; white stays white because the weights sum to 1
    expected = [[w[0] * 255, w[1] * 255, w[2] * 255],
                [255.0, 0.0, w[0] * 10 + w[1] * 100 + w[2] * 200]]
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-4)


def test_the_default_luminance_is_rec709():
    pixels = np.array([[[10, 100, 200]]], dtype=np.uint8)
    np.testing.assert_array_equal(luminance(pixels), luminance(pixels, LUMINANCE["rec709"]))
    assert luminance(pixels, LUMINANCE["rec601"])[0, 0] != luminance(pixels)[0, 0]


def test_two_frame_max_keeps_what_either_frame_shows():
    prev, last = screen(), screen()
    prev[50:60, 40:50] = (200, 200, 200)              # drawn only on the earlier frame (flicker)
    last[100:110, 80:90] = (0, 200, 0)               # drawn only on the later one
    last[50:60, 40:50, 0] = 250                       # overlap: the max is taken per channel
    both = max_frames(prev, last)
    np.testing.assert_array_equal(both, np.maximum(prev, last))
    np.testing.assert_array_equal(both[55, 45], [250, 200, 200])
    np.testing.assert_array_equal(both[105, 85], [0, 200, 0])
    # φ sees both objects, whichever frame held them
    frame = phi_frame(prev, last)
    np.testing.assert_array_equal(frame, phi_frame(last, prev))
    assert frame[84 * 55 // 210, 84 * 45 // 160] > 0 and frame[84 * 105 // 210, 84 * 85 // 160] > 0


def test_phi_gives_an_84_by_84_uint8_frame():
    rng = np.random.default_rng(0)
    prev, last = (rng.integers(0, 256, (210, 160, 3), dtype=np.uint8) for _ in range(2))
    frame = phi_frame(prev, last)
    assert frame.shape == (84, 84) and frame.dtype == np.uint8


def triangle_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) row-normalised weights of a bilinear (triangle) resample.

    Output pixel j is centred at c_j = (j + 0.5)·n_in/n_out in input coordinates, and input
    pixel i (centred at i + 0.5) gets weight max(0, 1 − |i + 0.5 − c_j| / r).  Shrinking by
    n_in/n_out > 1 widens the triangle to r = n_in/n_out, so every input pixel counts
    (anti-aliasing, as pillow does); enlarging keeps r = 1, plain linear interpolation.
    """
    r = max(n_in / n_out, 1.0)
    centres = (np.arange(n_out) + 0.5) * n_in / n_out                      # (n_out,)
    w = np.maximum(0.0, 1.0 - np.abs(np.arange(n_in) + 0.5 - centres[:, None]) / r)   # (n_out, n_in)
    return w / w.sum(axis=1, keepdims=True)


def resize_by_numpy(y: np.ndarray, size: int = 84) -> np.ndarray:
    """(H, W) -> (size, size): rows first, then columns, rounded to grey levels after each."""
    grey = np.clip(np.rint(y), 0, 255)
    rows = np.clip(np.rint(grey @ triangle_weights(y.shape[1], size).T), 0, 255)   # (H, size)
    return np.clip(np.rint(triangle_weights(y.shape[0], size) @ rows), 0, 255)    # (size, size)


def test_resize_is_a_bilinear_resample_of_the_whole_image():
    """Against the plain numpy resample on random and striped screens.  Pillow computes in
    fixed point, so a pixel may differ by one grey level; a nearest-neighbour resize or a
    transposed image differs by up to 255 on the random screen, and on the stripes gives
    0s and 200s where averaging gives about 100."""
    rng = np.random.default_rng(0)
    stripes = np.zeros((210, 160), dtype=np.float32)
    stripes[:, 1::2] = 200                                              # every other column lit
    for y in (rng.uniform(0, 255, (210, 160)).astype(np.float32), stripes):
        diff = np.abs(resize(y).astype(int) - resize_by_numpy(y).astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (diff.max(), (diff > 0).mean())
    inner = resize(stripes)[:, 1:-1]                                    # (84, 82): away from the edges
    assert inner.min() >= 95 and inner.max() <= 105                     # the stripes averaged: about 100


def test_resizing_a_constant_image_keeps_it_constant():
    for value in (0.0, 87.0, 87.4, 255.0):
        np.testing.assert_array_equal(resize(np.full((210, 160), value, dtype=np.float32)),
                                      np.full((84, 84), round(value), dtype=np.uint8))
    # a constant colour -> its luminance, rounded, everywhere
    y = round(0.2126 * 30 + 0.7152 * 140 + 0.0722 * 220)              # 122.426 -> 122
    np.testing.assert_array_equal(phi_frame(screen((30, 140, 220)), screen((30, 140, 220))),
                                  np.full((84, 84), y, dtype=np.uint8))


def test_frame_stack_is_oldest_first_with_zeros_before_the_first_frame():
    frames = [np.full((84, 84), k + 1, dtype=np.uint8) for k in range(6)]
    stack = FrameStack()
    s = stack.reset(frames[0])
    assert s.shape == (84, 84, 4) and s.dtype == np.uint8
    np.testing.assert_array_equal(s[0, 0], [0, 0, 0, 1])            # no past yet: zeros
    s = stack.push(frames[1])
    np.testing.assert_array_equal(s[0, 0], [0, 0, 1, 2])
    for frame in frames[2:]:
        s = stack.push(frame)
    np.testing.assert_array_equal(s[0, 0], [3, 4, 5, 6])            # s[..., 3] is the newest
    np.testing.assert_array_equal(s[..., 3], frames[-1])
    s = stack.reset(frames[0])                                       # a new episode forgets the old one
    np.testing.assert_array_equal(s[0, 0], [0, 0, 0, 1])
