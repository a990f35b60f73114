"""Max pooling, NHWC — included for reading, left out of the DQN.

Pooling buys translation invariance: the max over a window is the same
wherever in the window the feature sits.  Mnih et al. use no pooling and
do not say why; this project's reading is that in a game *where* the ball
is matters as much as *that* it is, and the strided convolutions already
shrink the image.  Try adding a MaxPool2D to
see the difference for yourself.

    forward : x (N, H, W, C) -> out (N, OH, OW, C),
              out[n,i,j,c] = max_{kh,kw} x[n, i*s+kh, j*s+kw, c]
    backward: the whole dout[n,i,j,c] flows to the one input that was the
              max (the first one on ties); every other input gets 0.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .conv import conv_output_size
from .layer import Layer, check_input


class MaxPool2D(Layer):
    def __init__(self, kernel_size: int = 2, stride: int | None = None):
        super().__init__()
        stride = kernel_size if stride is None else stride
        for name, v in (("kernel_size", kernel_size), ("stride", stride)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"MaxPool2D {name} must be a positive integer, got {v!r}")
        self.k, self.stride = kernel_size, stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input("MaxPool2D", x, ("N", "H", "W", "C"))
        n, h, w, c = x.shape
        if h < self.k or w < self.k:
            raise ValueError(f"MaxPool2D with a {self.k}x{self.k} window needs H, W >= {self.k}, got {x.shape}")
        oh, ow = conv_output_size(h, self.k, self.stride), conv_output_size(w, self.k, self.stride)
        sn, sh, sw, sc = x.strides
        windows = as_strided(x, shape=(n, oh, ow, c, self.k, self.k),
                             strides=(sn, sh * self.stride, sw * self.stride, sc, sh, sw),
                             writeable=False)                          # (N, OH, OW, C, KH, KW) view
        windows = windows.reshape(n, oh, ow, c, self.k * self.k)       # (N, OH, OW, C, KH*KW) copy
        argmax = windows.argmax(axis=-1)                               # (N, OH, OW, C)
        self.cache = (x.shape, argmax)
        return np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]  # (N, OH, OW, C)

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        if not need_dx:
            return None
        x_shape, argmax = self.cache
        _, oh, ow, _ = dout.shape
        dx = np.zeros(x_shape, dtype=dout.dtype)
        s = self.stride
        for i in range(self.k):
            for j in range(self.k):
                winner = argmax == i * self.k + j                      # (N, OH, OW, C)
                dx[:, i:i + s * oh:s, j:j + s * ow:s, :] += dout * winner
        return dx

    def config(self) -> dict:
        return {"type": "MaxPool2D", "kernel_size": self.k, "stride": self.stride}
