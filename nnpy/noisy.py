"""Noisy affine layer with factorised Gaussian noise (Fortunato et al. 2018, §3).

The weights themselves are random, with a learned mean and a learned spread, so the
network explores by acting greedily on a perturbed Q-function instead of by ε-greedy,
and learns where to stop exploring by shrinking σ:

    forward : x (N, D) -> out (N, M),   out = x @ w + b
              w = μ_w + σ_w ⊙ ε_w,   ε_w = f(ε_in) f(ε_out)ᵀ    (D, M)   (eq. 10)
              b = μ_b + σ_b ⊙ ε_b,   ε_b = f(ε_out)             (M,)     (eq. 11)
              ε_in ~ N(0, 1)^D, ε_out ~ N(0, 1)^M,   f(x) = sgn(x) √|x|
    backward: dw = x^T @ dout,  db = Σ_N dout,  dx = dout @ w^T
              dμ_w = dw,  dσ_w = dw ⊙ ε_w,  dμ_b = db,  dσ_b = db ⊙ ε_b

Factorised noise draws D + M normals per layer instead of D·M + M.  Initialisation (§3.2):
μ ~ U(−1/√D, 1/√D) and σ = σ0/√D (`sigma0`, the paper's 0.5).

The noise ε stays fixed between calls to `reset_noise(rng)`, so a forward and its
backward see the same w.  With `noise = False` the layer is the mean network
w = μ_w, b = μ_b (for evaluation); dσ is then 0.
`reset_noise(net, rng)` and `set_noise(net, on)` below do the same for every noisy
layer of a network, those inside a dueling head included.
"""
import math
from contextlib import contextmanager

import numpy as np

from .layer import Layer, check_input


def scaled_noise(eps: np.ndarray) -> np.ndarray:
    """f(ε) = sgn(ε) √|ε|, elementwise."""
    return np.sign(eps) * np.sqrt(np.abs(eps))


class NoisyDense(Layer):
    """x (N, D) -> (N, M) with weights μ + σ ⊙ ε (see the module docstring)."""

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator | None = None,
                 dtype=np.float32, sigma0: float = 0.5):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"NoisyDense {name} must be a positive integer, got {v!r}")
        self.d, self.m, self.sigma0, self.dtype = in_features, out_features, sigma0, dtype
        rng = rng if rng is not None else np.random.default_rng()
        bound = 1.0 / math.sqrt(in_features)
        self.params = {"mu_w": rng.uniform(-bound, bound, (in_features, out_features)).astype(dtype),
                       "sigma_w": np.full((in_features, out_features), sigma0 * bound, dtype=dtype),
                       "mu_b": rng.uniform(-bound, bound, out_features).astype(dtype),
                       "sigma_b": np.full(out_features, sigma0 * bound, dtype=dtype)}
        self._zero_grads()
        self.noise = True
        self.eps_in, self.eps_out = np.empty(in_features, dtype), np.empty(out_features, dtype)
        self.reset_noise(rng)

    def reset_noise(self, rng: np.random.Generator) -> None:
        """Draw new ε_in (D,) and ε_out (M,); keep f(ε_in), f(ε_out)."""
        # in place: a replica of the network (nnpy/parallel.py) shares these arrays
        self.eps_in[...] = scaled_noise(rng.standard_normal(self.d))                # (D,)
        self.eps_out[...] = scaled_noise(rng.standard_normal(self.m))               # (M,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, D) -> out (N, M).  w = μ_w + σ_w ⊙ f(ε_in) f(ε_out)ᵀ is never built: since
        x @ (σ_w ⊙ f(ε_in) f(ε_out)ᵀ) = ((x ⊙ f(ε_in)) @ σ_w) ⊙ f(ε_out), two products of the
        (D, M) matrices with x do it, where building w would take three passes over D·M numbers
        for every forward (acting draws new noise for every action)."""
        check_input("NoisyDense", x, ("N", self.d))
        p = self.params
        out = x @ p["mu_w"] + p["mu_b"]                                 # (N, M): the mean network
        if self.noise:
            x_noisy = x * self.eps_in                                   # (N, D) = x ⊙ f(ε_in)
            out += (x_noisy @ p["sigma_w"] + p["sigma_b"]) * self.eps_out   # (N, M)
        else:
            x_noisy = None
        self.cache = x, x_noisy
        return out

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        x, x_noisy = self.cache
        p = self.params
        self.grads["mu_w"], self.grads["mu_b"] = x.T @ dout, dout.sum(axis=0)    # (D, M), (M,)
        if x_noisy is None:                                             # noise off: σ played no part
            self.grads["sigma_w"], self.grads["sigma_b"] = np.zeros_like(p["sigma_w"]), np.zeros_like(p["sigma_b"])
            return dout @ p["mu_w"].T if need_dx else None              # (N, D)
        dout_noisy = dout * self.eps_out                                # (N, M) = dout ⊙ f(ε_out)
        # dσ_w = dw ⊙ ε_w = (x ⊙ f(ε_in))ᵀ (dout ⊙ f(ε_out));  dσ_b = db ⊙ f(ε_out)
        self.grads["sigma_w"], self.grads["sigma_b"] = x_noisy.T @ dout_noisy, dout_noisy.sum(axis=0)
        if not need_dx:
            return None
        return dout @ p["mu_w"].T + (dout_noisy @ p["sigma_w"].T) * self.eps_in   # (N, D) = dout @ wᵀ

    def config(self) -> dict:
        return {"type": "NoisyDense", "in_features": self.d, "out_features": self.m,
                "sigma0": self.sigma0}


def noisy_layers(net) -> list[NoisyDense]:
    """Every NoisyDense of a Sequential, those inside a layer's `sublayers` included."""
    return [layer for layer in net.leaf_layers() if isinstance(layer, NoisyDense)]


def reset_noise(net, rng: np.random.Generator) -> None:
    """New noise in every noisy layer of net."""
    for layer in noisy_layers(net):
        layer.reset_noise(rng)


def set_noise(net, on: bool) -> None:
    """Noise on (training, acting) or off (the mean network, for evaluation) in all of net."""
    for layer in noisy_layers(net):
        layer.noise = on


@contextmanager
def noise_off(net):
    """with noise_off(net): ... runs net as its mean network, then puts each layer's noise
    back as it was."""
    layers = noisy_layers(net)
    before = [layer.noise for layer in layers]
    set_noise(net, False)
    try:
        yield net
    finally:
        for layer, on in zip(layers, before):
            layer.noise = on
