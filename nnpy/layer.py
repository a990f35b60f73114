"""What every layer has in common.

A layer is a small object with
  - `params`: dict name -> ndarray, the trainable arrays (updated in place),
  - `grads`:  dict name -> ndarray of the same shapes, written by `backward`,
  - `forward(x)`: computes the output and caches what `backward` needs,
  - `backward(dout, need_dx=True)`: given dL/dout returns dL/dx and fills
    `grads`.  `need_dx=False` lets the first layer skip dL/dx, which no one
    uses (the input is a screen, not a parameter).
  - `config()`: a JSON-able description, enough to rebuild the layer.
"""
import numpy as np


class Layer:
    params: dict
    grads: dict

    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        raise NotImplementedError

    def config(self) -> dict:
        raise NotImplementedError

    def _zero_grads(self):
        """Allocate gradient arrays matching the parameters."""
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}


def shape_str(shape) -> str:
    """(32, 84, 84) -> '(32, 84, 84)'; names like 'N' stay as they are."""
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_input(layer_name: str, x: np.ndarray, expected: tuple) -> None:
    """Raise a ValueError unless x.shape matches `expected`.

    `expected` holds ints for sizes that must match and strings ('N', 'H')
    for free dimensions, e.g. ('N', 'H', 'W', 4).
    """
    ok = isinstance(x, np.ndarray) and x.ndim == len(expected) and all(
        isinstance(e, str) or e == s for e, s in zip(expected, x.shape))
    if not ok:
        got = shape_str(x.shape) if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{layer_name} expected input {shape_str(expected)}, got {got}")
