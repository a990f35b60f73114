"""Parameter-free layers: ReLU and Flatten."""
import numpy as np

from .lanes import split_rows
from .layer import Layer


class ReLU(Layer):
    """out = max(0, x), any shape.  backward: dx = dout * [x > 0].

    The gradient at exactly 0 is taken as 0 (the subgradient PyTorch uses).
    Both passes share the batch rows between threads (nnpy/lanes.py).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        split_rows(lambda lo, hi: np.maximum(x[lo:hi], 0, out=out[lo:hi]), len(x), x.size)
        self.cache = out                    # out > 0 exactly where x > 0
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        if not need_dx:
            return None
        dx = np.empty_like(dout)
        split_rows(lambda lo, hi: np.multiply(dout[lo:hi], self.cache[lo:hi] > 0, out=dx[lo:hi]),
                   len(dout), dout.size)
        return dx

    def config(self) -> dict:
        return {"type": "ReLU"}


class Flatten(Layer):
    """(N, H, W, C) -> (N, H*W*C), row-major, so Dense sees channels fastest."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.ndim < 2:
            raise ValueError(f"Flatten expected input (N, ...), got {getattr(x, 'shape', type(x).__name__)}")
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)    # (N, H*W*C)

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        return dout.reshape(self.cache) if need_dx else None   # (N, H, W, C)

    def config(self) -> dict:
        return {"type": "Flatten"}
