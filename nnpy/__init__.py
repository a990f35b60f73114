"""nnpy: a small neural-network engine in pure numpy, written to be read.

Layers (forward and backward side by side), losses, optimizers, a
Sequential container, safe checkpoint files, and a gradient checker.
"""
from .activations import ACTIVATIONS, Flatten, ReLU, Sigmoid, Tanh
from .categorical import CategoricalHead
from .checkpoint import CheckpointError, atomic_file, load_npz, save_npz
from .conv import Conv2D, col2im, conv2d_naive, conv_output_size, im2col
from .dense import Dense
from .gradcheck import check_layer, numerical_gradient, rel_error
from .losses import LOSSES, cross_entropy, huber, mse
from .network import Sequential
from .noisy import NoisyDense, noise_off, reset_noise, set_noise
from .optim import OPTIMIZERS, SGD, Adam, CenteredRMSProp, RMSProp, clip_grad_norm
from .pool import MaxPool2D
