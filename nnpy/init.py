"""Weight initialisation.

PyTorch initialises Conv2d and Linear weights with
`kaiming_uniform_(w, a=sqrt(5))` (He et al. 2015, "Delving Deep into
Rectifiers"), i.e. w ~ U(-bound, bound) with

    bound = gain * sqrt(3 / fan_in),   gain = sqrt(2 / (1 + a²))

With a = √5 the gain is sqrt(1/3), so bound = 1 / sqrt(fan_in); the bias
is drawn from the same U(-1/sqrt(fan_in), 1/sqrt(fan_in)).  We use exactly
that default, so a network built here starts from the same distribution as
the PyTorch DQN implementations people compare against.  Despite the name,
this is not He initialisation: its variance is bound²/3 = 1/(3 fan_in), where
He's is 2/fan_in and LeCun's 1/fan_in.  Torch7's nn.Linear and
nn.SpatialConvolution, which DeepMind's DQN code used, drew their weights
from the same U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""
import math

import numpy as np


def kaiming_uniform(shape: tuple, fan_in: int, rng: np.random.Generator,
                    dtype=np.float32, a: float = math.sqrt(5)) -> np.ndarray:
    """Draw an array of `shape` from U(-bound, bound), bound = gain·sqrt(3/fan_in)."""
    gain = math.sqrt(2.0 / (1.0 + a * a))
    bound = gain * math.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def bias_uniform(size: int, fan_in: int, rng: np.random.Generator,
                 dtype=np.float32) -> np.ndarray:
    """PyTorch's default bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), shape (size,)."""
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=size).astype(dtype)
