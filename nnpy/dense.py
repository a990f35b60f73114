"""Fully connected (affine) layer: out = x @ w + b."""
import numpy as np

from .init import bias_uniform, kaiming_uniform
from .layer import Layer, check_input


class Dense(Layer):
    """Affine map.

    forward : x (N, D) -> out (N, M),   out = x @ w + b,  w (D, M), b (M,)
    backward: dout (N, M) -> dx (N, D) = dout @ w^T;  dw = x^T @ dout;  db = sum_N dout
    """

    def __init__(self, in_features: int, out_features: int,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Dense {name} must be a positive integer, got {v!r}")
        self.d, self.m = in_features, out_features
        rng = rng if rng is not None else np.random.default_rng()
        self.params = {"w": kaiming_uniform((in_features, out_features), in_features, rng, dtype),
                       "b": bias_uniform(out_features, in_features, rng, dtype)}
        self._zero_grads()

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input("Dense", x, ("N", self.d))
        self.cache = x
        out = x @ self.params["w"]                                      # (N, M)
        out += self.params["b"]
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        x, w = self.cache, self.params["w"]
        self.grads["w"] = x.T @ dout                                    # (D, M)
        self.grads["b"] = dout.sum(axis=0)                              # (M,)
        return dout @ w.T if need_dx else None                          # (N, D)

    def config(self) -> dict:
        return {"type": "Dense", "in_features": self.d, "out_features": self.m}
