"""Sequential: a stack of layers, and the network-level operations DQN needs.

    forward : x -> layer_1 -> layer_2 -> ... -> out
    backward: dout -> ... -> layer_2.backward -> layer_1.backward
              (the chain rule, applied in reverse order; the first layer is
              told need_dx=False, because nobody needs dL/d(screen))

Parameters are addressed by "index.name", e.g. "0.w" for the first layer's
weights, so an optimizer, a checkpoint and a target-network copy all agree
on what is what.
"""
import copy

import numpy as np

from .activations import Flatten, ReLU, Sigmoid, Tanh
from .categorical import CategoricalHead
from .checkpoint import CheckpointError
from .conv import Conv2D
from .dense import Dense
from .layer import Layer
from .noisy import NoisyDense
from .pool import MaxPool2D

class Sequential:
    def __init__(self, layers: list[Layer]):
        self.layers = list(layers)

    def forward(self, x: np.ndarray, input_scale: float = 1.0) -> np.ndarray:
        """The network's input is input_scale · x in its own float dtype; x may be of any dtype.

        A DQN keeps its screens as uint8 and calls forward(screens, 1/255).  A Conv2D first
        layer converts and scales x in the one copy of it it makes anyway; any other first
        layer gets x converted here, in one pass.
        """
        first, rest = self.layers[0], self.layers[1:]
        if isinstance(first, Conv2D):
            x = first.forward(x, scale=input_scale)
        else:
            if input_scale != 1.0 or (isinstance(x, np.ndarray) and x.dtype != self.dtype()):
                x = np.multiply(x, input_scale, dtype=self.dtype())
            x = first.forward(x)
        for layer in rest:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray, need_dx: bool = False):
        """Backpropagate dL/dout; fills every layer's grads. Returns dL/dx if need_dx."""
        for i in range(len(self.layers) - 1, -1, -1):
            dout = self.layers[i].backward(dout, need_dx=need_dx or i > 0)
        return dout

    __call__ = forward

    def parameters(self) -> dict:
        """name -> the layer's own parameter array (mutate in place to train)."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def gradients(self) -> dict:
        """name -> gradient array from the last backward, same names as parameters()."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def leaf_layers(self) -> list[Layer]:
        """The layers, a layer made of layers (a dueling head's `sublayers`) by its parts."""
        return [sub for layer in self.layers for sub in getattr(layer, "sublayers", [layer])]

    def architecture(self) -> list[dict]:
        return [layer.config() for layer in self.layers]

    def dtype(self):
        return next(iter(self.parameters().values())).dtype

    def copy(self) -> "Sequential":
        """An independent deep copy (the DQN target network θ⁻ starts as one)."""
        return copy.deepcopy(self)

    def load_weights_from(self, other: "Sequential") -> None:
        """θ <- θ_other, exactly, in place (the periodic target-network sync)."""
        mine, theirs = self.parameters(), other.parameters()
        if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
            raise ValueError("load_weights_from needs two networks of the same architecture")
        for k in mine:
            np.copyto(mine[k], theirs[k])

    def soft_update_from(self, other: "Sequential", tau: float) -> None:
        """Polyak averaging θ <- (1 - τ) θ + τ θ_other (Lillicrap et al. 2016)."""
        for k, p in self.parameters().items():
            p *= 1 - tau
            p += tau * other.parameters()[k]

    # -- checkpoints: parameters by name (the files are written by rl/cli/checkpoints.py)
    def state_arrays(self, prefix: str = "") -> dict:
        return {prefix + k: v for k, v in self.parameters().items()}

    def load_state_arrays(self, arrays: dict, prefix: str = "", source: str = "checkpoint") -> None:
        """Copy arrays named prefix + "i.name" into the parameters, checking every shape."""
        for k, p in self.parameters().items():
            if prefix + k not in arrays:
                raise CheckpointError(f"{source} is missing parameter {prefix + k!r}")
            a = arrays[prefix + k]
            if a.shape != p.shape:
                raise CheckpointError(f"{source}: parameter {prefix + k!r} has shape {a.shape}, "
                                      f"the network expects {p.shape}")
            p[...] = a

    @classmethod
    def from_architecture(cls, arch: list[dict], dtype=np.float32, rng=None,
                          source: str = "architecture") -> "Sequential":
        """Build a freshly initialised network from a list of layer configs (architecture()).

        `arch` and `dtype` usually come from a checkpoint's JSON metadata, so both are
        checked and a bad one is a CheckpointError naming `source`.
        """
        if not isinstance(arch, list) or not arch:
            raise CheckpointError(f"{source}: the architecture must be a non-empty list of layers, "
                                  f"got {type(arch).__name__}")
        try:
            checked = np.dtype(dtype)
        except TypeError:
            checked = None
        if checked not in (np.float32, np.float64):
            raise CheckpointError(f"{source}: dtype must be float32 or float64, got {dtype!r}")
        layers = []
        for i, spec in enumerate(arch):
            if not isinstance(spec, dict) or spec.get("type") not in LAYER_TYPES:
                raise CheckpointError(f"{source}: layer {i} has unknown type "
                                      f"{spec.get('type') if isinstance(spec, dict) else spec!r}; "
                                      f"known: {', '.join(LAYER_TYPES)}")
            kwargs = {k: v for k, v in spec.items() if k != "type"}
            layer_cls = LAYER_TYPES[spec["type"]]
            if layer_cls in (Conv2D, Dense, NoisyDense, Dueling):
                kwargs.update(rng=rng, dtype=checked)
            try:
                layers.append(layer_cls(**kwargs))
            except (TypeError, ValueError) as e:
                raise CheckpointError(f"{source}: layer {i} ({spec['type']}) is malformed: {e}") from None
        return cls(layers)


# Last: a dueling head's two streams are themselves Sequentials, so nnpy/dueling.py needs
# Sequential defined before it is imported (nnpy/__init__.py imports this module first).
from .dueling import Dueling  # noqa: E402

#: config()["type"] -> layer class: what from_architecture can rebuild from a checkpoint
LAYER_TYPES = {cls.__name__: cls for cls in (Conv2D, Dense, ReLU, Sigmoid, Tanh, Flatten, MaxPool2D,
                                             NoisyDense, Dueling, CategoricalHead)}
