"""The two DQN convolutional networks, input (N, 84, 84, 4) -> Q-values (N, n_actions)
(with C51: log-probabilities (N, n_actions·atoms)).

dqn2013 (Mnih et al. 2013, §5): conv 16 8×8/4 -> conv 32 4×4/2 -> dense 256
dqn2015 (Mnih et al. 2015, Methods): conv 32 8×8/4 -> conv 64 4×4/2 -> conv 64 3×3/1 -> dense 512
Spatial sizes (valid padding): 84 -8/4-> 20 -4/2-> 9 -3/1-> 7.

dqn2013_pool is an experiment, from no paper: the 2013 net with a 2×2 max pool after the
first convolution, 84 -8/4-> 20 -pool-> 10 -4/2-> 4, so the dense layer sees 4·4·32 = 512
inputs.  Pooling keeps *that* a feature fired in each 2×2 window and drops *where*; in a
game the position of the ball is the point (this project's reasoning: the papers use no
pooling and do not say why).
`python -c "from atari.networks import *; from nnpy.summary import summary;
print(summary(build_net('dqn2013_pool', 6, np.random.default_rng(0)), (84, 84, 4)))"` shows it.
"""
import numpy as np

from nnpy import (CategoricalHead, Conv2D, Dense, Flatten, MaxPool2D, NoisyDense, ReLU, Sequential,
                  conv_output_size)
from nnpy.dueling import Dueling

from .preprocess import FRAME_SIZE, HISTORY

POOL = "maxpool 2x2"
#: arch name -> (conv layers as (in channels, filters, kernel, stride) or POOL, dense units)
ARCHS = {
    "dqn2013": ([(HISTORY, 16, 8, 4), (16, 32, 4, 2)], 256),
    "dqn2015": ([(HISTORY, 32, 8, 4), (32, 64, 4, 2), (64, 64, 3, 1)], 512),
    "dqn2013_pool": ([(HISTORY, 16, 8, 4), POOL, (16, 32, 4, 2)], 256),
}


def build_net(arch: str, n_actions: int, rng: np.random.Generator, size: int = FRAME_SIZE,
              dueling: bool = False, noisy: bool = False, atoms: int = 0,
              v_min: float = -10.0, v_max: float = 10.0) -> Sequential:
    """The network ARCHS[arch]: (N, size, size, HISTORY) -> (N, n_actions), or with atoms
    (N, n_actions·atoms).

    After the convolutions, the plain head is dense(hidden) -> ReLU -> dense(n_actions).
    dueling: instead a value and an advantage stream, each dense(hidden) -> ReLU -> dense
    (1 or n_actions units), combined as Q = V + A − mean A (Wang et al. 2016; nnpy/dueling.py).
    noisy: every dense layer of the head is a NoisyDense (Fortunato et al. 2018; nnpy/noisy.py).
    atoms > 0: C51 (Bellemare et al. 2017; nnpy/categorical.py): the last dense layer has
    n_actions·atoms units and a CategoricalHead turns them into log-probabilities of the
    atoms v_min ... v_max: (N, n_actions·atoms).  Not with dueling.
    """
    if atoms and dueling:
        raise ValueError("a C51 network with a dueling head is not built here: choose one of them")
    convs, hidden = ARCHS[arch]
    layers, side = [], size
    for spec in convs:
        if spec == POOL:
            layers.append(MaxPool2D(2))
            side = conv_output_size(side, 2, 2)
            continue
        c_in, c_out, k, s = spec
        layers += [Conv2D(c_in, c_out, k, s, rng=rng), ReLU()]
        side = conv_output_size(side, k, s)
    flat = side * side * convs[-1][1]                   # 9·9·32 = 2592 or 7·7·64 = 3136
    layers.append(Flatten())
    affine = NoisyDense if noisy else Dense
    if dueling:
        layers.append(Dueling(flat, hidden, n_actions, rng=rng, noisy=noisy))
    else:
        outputs = n_actions * atoms if atoms else n_actions
        layers += [affine(flat, hidden, rng=rng), ReLU(), affine(hidden, outputs, rng=rng)]
    if atoms:
        layers.append(CategoricalHead(n_actions, atoms, v_min, v_max))
    return Sequential(layers)
