"""2-D convolution, channels last (NHWC), valid padding — as in the DQN papers.

Shapes and names used throughout:
    x   : (N, H, W, C)        a batch of N images, C channels last
    w   : (KH, KW, C, F)      F filters of size KH x KW over C channels
    b   : (F,)
    out : (N, OH, OW, F)      OH = (H - KH) // stride + 1, OW likewise

The fast path is im2col: copy every KH x KW x C patch into one row of a
matrix, so the whole convolution becomes ONE matrix multiply

    out[n, i, j, f] = sum_{kh, kw, c} x[n, i*s + kh, j*s + kw, c] * w[kh, kw, c, f] + b[f]
    cols (N*OH*OW, KH*KW*C)  @  w (KH*KW*C, F)  ->  (N*OH*OW, F)

and its backward is two more multiplies plus col2im, the adjoint of im2col,
which adds each row of dcols back onto the patch it came from.

Channels last matters for speed: a patch row (KW, C) is contiguous in an
NHWC array, so im2col copies whole runs of memory instead of gathering.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .init import bias_uniform, kaiming_uniform
from .layer import Layer, check_input
from .space_to_depth import conv_s2d_backward, conv_s2d_forward


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Valid convolution: floor((size - kernel) / stride) + 1."""
    return (size - kernel) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, dtype=None, scale: float = 1.0) -> np.ndarray:
    """x (N, H, W, C) -> cols (N*OH*OW, KH*KW*C) of `dtype` (default x's), one patch per row, times scale.

    A strided *view* names every patch without copying; the single copy makes the
    matrix BLAS wants (and converts and scales x on the way, see Conv2D.forward).
    """
    # The patch view is only cheap to copy when a row (KW, C) is one run of
    # memory; a transposed input (e.g. a stack built channels-first) would
    # turn the copy into a slow gather, so make x C-contiguous first.
    x = np.ascontiguousarray(x)
    n, h, w, c = x.shape
    oh, ow = conv_output_size(h, kh, stride), conv_output_size(w, kw, stride)
    sn, sh, sw, sc = x.strides
    patches = as_strided(x, shape=(n, oh, ow, kh, kw, c),
                         strides=(sn, sh * stride, sw * stride, sh, sw, sc),
                         writeable=False)                  # (N, OH, OW, KH, KW, C) view
    cols = np.multiply(patches, scale, dtype=dtype or x.dtype)   # (N, OH, OW, KH, KW, C) copy
    return cols.reshape(n * oh * ow, kh * kw * c)                         # (N*OH*OW, KH*KW*C)


def col2im(cols: np.ndarray, x_shape: tuple, kh: int, kw: int, stride: int) -> np.ndarray:
    """Adjoint of im2col: cols (N*OH*OW, KH*KW*C) -> dx (N, H, W, C).

    Overlapping patches share pixels, so their contributions are summed.
    One strided `+=` per kernel offset (KH*KW of them) does it; each one
    touches every patch at once and no two writes in one `+=` collide.
    """
    n, h, w, c = x_shape
    oh, ow = conv_output_size(h, kh, stride), conv_output_size(w, kw, stride)
    cols6 = cols.reshape(n, oh, ow, kh, kw, c)              # (N, OH, OW, KH, KW, C)
    dx = np.zeros(x_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :] += cols6[:, :, :, i, j, :]
    return dx


def conv2d_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """Reference convolution by explicit loops: x (N,H,W,C), w (KH,KW,C,F) -> (N,OH,OW,F).

    Slow and obviously right; the tests hold the fast path against it.
    """
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    oh, ow = conv_output_size(h, kh, stride), conv_output_size(wd, kw, stride)
    out = np.zeros((n, oh, ow, f), dtype=np.result_type(x, w))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]  # (N, KH, KW, C)
            for k in range(f):
                out[:, i, j, k] = np.sum(patch * w[:, :, :, k], axis=(1, 2, 3)) + b[k]
    return out


class Conv2D(Layer):
    """Valid-padding convolution layer, NHWC, by im2col + one matrix multiply.

    forward : x (N, H, W, C) -> out (N, OH, OW, F)
    backward: dout (N, OH, OW, F) -> dx (N, H, W, C); fills grads w (KH,KW,C,F), b (F,)
        dw   = cols^T @ dout        (the patches each weight saw, weighted by dout)
        db   = sum of dout over N, OH, OW
        dx   = col2im(dout @ w^T)

    A strided layer whose kernel is a multiple of its stride (the DQN's 8x8/4
    and 4x4/2) computes the same sums by space-to-depth instead, which is
    faster (nnpy/space_to_depth.py); `algorithm` says which one a layer uses.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel_size", kernel_size), ("stride", stride)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Conv2D {name} must be a positive integer, got {v!r}")
        self.c, self.f, self.k, self.stride = in_channels, out_channels, kernel_size, stride
        self.algorithm = "space_to_depth" if stride > 1 and kernel_size % stride == 0 else "im2col"
        self.scale = 1.0                        # the last forward's input scale (see forward)
        rng = rng if rng is not None else np.random.default_rng()
        fan_in = kernel_size * kernel_size * in_channels
        self.params = {
            "w": kaiming_uniform((kernel_size, kernel_size, in_channels, out_channels), fan_in, rng, dtype),
            "b": bias_uniform(out_channels, fan_in, rng, dtype),
        }
        self._zero_grads()

    def forward(self, x: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """x (N, H, W, C) of any dtype -> out (N, OH, OW, F); the layer's input is scale · x in
        the weights' dtype (uint8 screens come with scale = 1/255).  Both algorithms copy x once
        anyway, into patches or blocks, and convert and scale it in that copy: it saves a pass
        over every batch of screens.  backward's dx is then dL/dx of the raw x."""
        check_input("Conv2D", x, ("N", "H", "W", self.c))
        n, h, w, _ = x.shape
        if h < self.k or w < self.k:
            raise ValueError(f"Conv2D with a {self.k}x{self.k} kernel needs H, W >= {self.k}, "
                             f"got input {x.shape}")
        self.scale = scale
        if self.algorithm == "space_to_depth":
            out, self.cache = conv_s2d_forward(x, self.params["w"], self.params["b"], self.stride, scale)
            return out                                                  # (N, OH, OW, F)
        oh, ow = conv_output_size(h, self.k, self.stride), conv_output_size(w, self.k, self.stride)
        cols = im2col(x, self.k, self.k, self.stride, self.params["w"].dtype, scale)  # (N*OH*OW, KH*KW*C)
        w2 = self.params["w"].reshape(-1, self.f)                       # (KH*KW*C, F)
        out = cols @ w2                                                 # (N*OH*OW, F)
        out += self.params["b"]
        self.cache = (x.shape, cols)
        return out.reshape(n, oh, ow, self.f)                           # (N, OH, OW, F)

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        if self.algorithm == "space_to_depth":
            dx, self.grads["w"], self.grads["b"] = conv_s2d_backward(
                dout, self.cache, self.params["w"], self.stride, need_dx)
        else:
            x_shape, cols = self.cache
            dout2 = dout.reshape(-1, self.f)                            # (N*OH*OW, F)
            w2 = self.params["w"].reshape(-1, self.f)                   # (KH*KW*C, F)
            self.grads["w"] = (cols.T @ dout2).reshape(self.params["w"].shape)  # (KH, KW, C, F)
            self.grads["b"] = dout2.sum(axis=0)                         # (F,)
            dx = col2im(dout2 @ w2.T, x_shape, self.k, self.k, self.stride) if need_dx else None  # (N, H, W, C)
        if dx is not None and self.scale != 1.0:
            dx *= self.scale                    # the input was scale · x: dL/dx = scale · dL/d(input)
        return dx

    def config(self) -> dict:
        return {"type": "Conv2D", "in_channels": self.c, "out_channels": self.f,
                "kernel_size": self.k, "stride": self.stride}
