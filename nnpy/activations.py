"""Parameter-free layers: ReLU and Flatten."""
import numpy as np

from .layer import Layer


class ReLU(Layer):
    """out = max(0, x), any shape.  backward: dx = dout * [x > 0].

    The gradient at exactly 0 is taken as 0 (the subgradient PyTorch uses).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.maximum(x, 0)
        self.cache = out                    # out > 0 exactly where x > 0
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        return dout * (self.cache > 0) if need_dx else None

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
