"""Fully connected (affine) layer: out = x @ w + b."""
import numpy as np

from .init import bias_uniform, kaiming_uniform
from .lanes import both
from .layer import Layer, check_input


class Dense(Layer):
    """Affine map.

    forward : x (N, D) -> out (N, M),   out = x @ w + b,  w (D, M), b (M,)
    backward: dout (N, M) -> dx (N, D) = dout @ w^T;  dw = x^T @ dout;  db = sum_N dout
              (dw and dx are computed at once on two lanes, nnpy/lanes.py)
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

        def weight_grads():
            # out= writes the products straight into the gradient arrays: assigning a fresh
            # product would copy it, and the 2015 net's dw is 1.6M floats (6.4 MB).
            np.matmul(x.T, dout, out=self.grads["w"])                   # (D, M)
            np.sum(dout, axis=0, out=self.grads["b"])                   # (M,)

        # dw and dx both need only dout: two independent multiplies, one lane each
        _, dx = both(weight_grads, lambda: dout @ w.T if need_dx else None,   # dx (N, D)
                     size=x.size + w.size + dout.size if need_dx else 0)
        return dx

    def config(self) -> dict:
        return {"type": "Dense", "in_features": self.d, "out_features": self.m}
