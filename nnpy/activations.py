"""Parameter-free layers: the activations ReLU, sigmoid and tanh, and Flatten.

An activation is applied elementwise, so its backward is dout times its own
derivative at each entry.  Sigmoid and tanh have derivatives that can be
written with their outputs, so the cache holds `out`:

    relu    : out = max(0, x)                 dx = dout * [x > 0]
    sigmoid : out = 1 / (1 + e^-x)            dx = dout * out (1 - out)
    tanh    : out = (e^x - e^-x)/(e^x + e^-x) dx = dout * (1 - out²)

Sigmoid and tanh saturate: for |x| of a few units their slope is nearly 0, so
little gradient flows back through them.  ReLU does not saturate for x > 0,
which is why the DQN networks (and most deep networks since 2012) use it.
"""
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


class Sigmoid(Layer):
    """out = σ(x) = 1 / (1 + e^-x), any shape, in (0, 1).  backward: dx = dout * out (1 - out).

    The smooth version of the McCulloch-Pitts neuron's 0/1 step: the step's
    derivative is 0 everywhere (and undefined at 0), so gradient descent cannot
    learn through it; σ's can.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        # e^-x overflows for very negative x; this form never exponentiates a positive number
        z = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        self.cache = out
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        out = self.cache
        return dout * out * (1 - out) if need_dx else None

    def config(self) -> dict:
        return {"type": "Sigmoid"}


class Tanh(Layer):
    """out = tanh(x) = 2 σ(2x) - 1, any shape, in (-1, 1).  backward: dx = dout * (1 - out²)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.tanh(x)
        self.cache = out
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        out = self.cache
        return dout * (1 - out * out) if need_dx else None

    def config(self) -> dict:
        return {"type": "Tanh"}


#: name -> activation layer class (CartPole's --activation offers exactly these)
ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


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
