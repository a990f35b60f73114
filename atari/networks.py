"""The two DQN convolutional networks, input (N, 84, 84, 4) -> Q-values (N, n_actions).

dqn2013 (Mnih et al. 2013, §5): conv 16 8×8/4 -> conv 32 4×4/2 -> dense 256
dqn2015 (Mnih et al. 2015, Methods): conv 32 8×8/4 -> conv 64 4×4/2 -> conv 64 3×3/1 -> dense 512
Spatial sizes (valid padding): 84 -8/4-> 20 -4/2-> 9 -3/1-> 7.
"""
import numpy as np

from nnpy import Conv2D, Dense, Flatten, ReLU, Sequential, conv_output_size

from .preprocess import FRAME_SIZE, HISTORY

#: arch name -> (conv layers as (in channels, filters, kernel, stride), dense units)
ARCHS = {
    "dqn2013": ([(HISTORY, 16, 8, 4), (16, 32, 4, 2)], 256),
    "dqn2015": ([(HISTORY, 32, 8, 4), (32, 64, 4, 2), (64, 64, 3, 1)], 512),
}


def build_net(arch: str, n_actions: int, rng: np.random.Generator, size: int = FRAME_SIZE) -> Sequential:
    """The network ARCHS[arch]: (N, size, size, HISTORY) -> (N, n_actions)."""
    convs, hidden = ARCHS[arch]
    layers, side = [], size
    for c_in, c_out, k, s in convs:
        layers += [Conv2D(c_in, c_out, k, s, rng=rng), ReLU()]
        side = conv_output_size(side, k, s)
    flat = side * side * convs[-1][1]                   # 9·9·32 = 2592 or 7·7·64 = 3136
    layers += [Flatten(), Dense(flat, hidden, rng=rng), ReLU(), Dense(hidden, n_actions, rng=rng)]
    return Sequential(layers)
