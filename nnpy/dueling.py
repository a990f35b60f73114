"""Dueling head (Wang et al. 2016, eq. 9): Q split into a state value and action advantages.

    Q(s, a) = V(s) + A(s, a) − 1/|A| Σ_a' A(s, a')

Two streams read the same features x: a value stream ending in one unit V(s), and an
advantage stream ending in one unit per action.  Every update of any Q(s, a) moves V(s),
so the value of a state is learned from all its actions at once.  Without the mean,
V + c and A − c would give the same Q and nothing would pin V down; with it,
V(s) = mean_a Q(s, a), while A is still free up to a constant (Wang et al. §3).

    forward : x (N, D) -> Q (N, A)
              value:     x -> Dense(D, H) -> ReLU -> Dense(H, 1)   = V (N, 1)
              advantage: x -> Dense(D, H) -> ReLU -> Dense(H, A)   = A (N, A)
    backward: dout (N, A) -> dx (N, D) = dx_value + dx_advantage, from
              dV = Σ_a dout (N, 1)                  (V enters every Q(s, a))
              dA = dout − mean_a dout (N, A)        (∂Q_a/∂A_b = [a = b] − 1/|A|)

With noisy=True the four affine layers are NoisyDense (Hessel et al. 2018 combine both).
Wang et al. also scale the gradient entering the last convolution by 1/√2 (§4.2); this
head does not.
"""
import numpy as np

from .activations import ReLU
from .dense import Dense
from .layer import Layer, check_input
from .network import Sequential
from .noisy import NoisyDense


class Dueling(Layer):
    """x (N, D) -> Q (N, n_actions) through a value and an advantage stream (module docstring).

    Each stream is a Sequential; params and grads are the streams' own arrays, named
    "value.i.name" and "advantage.i.name" (i the layer within the stream), so an optimizer,
    a checkpoint and a target-network copy see them like any layer's.
    """

    def __init__(self, in_features: int, hidden: int, n_actions: int,
                 rng: np.random.Generator | None = None, dtype=np.float32, noisy: bool = False):
        # no Layer.__init__: params and grads are read from the streams (properties below)
        self.d, self.hidden, self.n_actions, self.noisy = in_features, hidden, n_actions, noisy
        rng = rng if rng is not None else np.random.default_rng()
        affine = NoisyDense if noisy else Dense
        self.value = Sequential([affine(in_features, hidden, rng=rng, dtype=dtype), ReLU(),
                                 affine(hidden, 1, rng=rng, dtype=dtype)])
        self.advantage = Sequential([affine(in_features, hidden, rng=rng, dtype=dtype), ReLU(),
                                     affine(hidden, n_actions, rng=rng, dtype=dtype)])
        self.sublayers = self.value.layers + self.advantage.layers

    @property
    def params(self) -> dict:
        return {**{"value." + k: v for k, v in self.value.parameters().items()},
                **{"advantage." + k: v for k, v in self.advantage.parameters().items()}}

    @property
    def grads(self) -> dict:
        return {**{"value." + k: v for k, v in self.value.gradients().items()},
                **{"advantage." + k: v for k, v in self.advantage.gradients().items()}}

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input("Dueling", x, ("N", self.d))
        v = self.value.forward(x)                                       # (N, 1)
        a = self.advantage.forward(x)                                   # (N, A)
        return v + a - a.mean(axis=1, keepdims=True)                    # (N, A)

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        dv = dout.sum(axis=1, keepdims=True)                            # (N, 1)
        da = dout - dout.mean(axis=1, keepdims=True)                    # (N, A)
        dx_value = self.value.backward(dv, need_dx)                     # (N, D)
        dx_advantage = self.advantage.backward(da, need_dx)             # (N, D)
        return dx_value + dx_advantage if need_dx else None

    def config(self) -> dict:
        return {"type": "Dueling", "in_features": self.d, "hidden": self.hidden,
                "n_actions": self.n_actions, "noisy": self.noisy}
