"""Optimizers, with their state in plain visible dicts.

Every optimizer is built on a dict of parameters (name -> array, the
network's own arrays) and updates them in place from a dict of gradients
with the same names.  `state[name]` holds that parameter's running
quantities (velocity, mean square, ...), so you can print them.
"""
import math

import numpy as np

# Running averages decay geometrically wherever a weight stops getting
# gradient (a dead ReLU unit, say) and sink into float32's *subnormal* range
# (below 1.2e-38), where x86 arithmetic is ~50x slower.  Measured here: half
# of Adam's m went subnormal during a CartPole run and made each update 5x
# slower.  numpy cannot switch on the CPU's flush-to-zero mode, so every
# FLUSH_EVERY steps we set state entries below TINY to exactly 0 ourselves.
# At 1e-30 they are far too small to change any update, and a value decaying
# by β = 0.9 per step needs ~170 steps to fall from TINY to subnormal, so
# flushing every 10 steps catches every one of them, at a tenth of the cost.
TINY = 1e-30
FLUSH_EVERY = 10


def flush_tiny(a: np.ndarray) -> None:
    """a[|a| < TINY] = 0, in place."""
    a[np.abs(a) < TINY] = 0


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most max_norm.

    g <- g * min(1, max_norm / ||g||),  ||g|| = sqrt(Σ over every array of Σ g²).
    Returns the norm before clipping.
    """
    # Σ g² as one BLAS dot product per array (g·g): no squared temporary, ten times faster
    # than np.sum(g * g) on the DQN's gradients.
    total = float(np.sqrt(sum(float(np.dot(g.reshape(-1), g.reshape(-1))) for g in grads.values())))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for g in grads.values():
            g *= scale
    return total


class Optimizer:
    #: names of the per-parameter state arrays, in the order `state` holds them
    slots: tuple = ()

    def __init__(self, params: dict, lr: float):
        if not lr > 0:
            raise ValueError(f"{type(self).__name__} learning rate must be > 0, got {lr}")
        self.params, self.lr, self.t = params, lr, 0
        self.state = {k: {s: np.zeros_like(p) for s in self.slots} for k, p in params.items()}

    def step(self, grads: dict) -> None:
        """One update of every parameter from its gradient (same names as params)."""
        self.t += 1
        self.update_rows(grads)

    def update_rows(self, grads: dict, lo: float = 0.0, hi: float = 1.0) -> None:
        """Update the rows from fraction lo to fraction hi of every parameter (a bias's rows are
        its entries), all by default, at step t (step() has counted it).  An update is
        elementwise, so updating a parameter's rows in parts gives the whole update
        (nnpy/parallel.py updates two halves at once)."""
        for k, p in self.params.items():
            rows = slice(round(lo * len(p)), round(hi * len(p)))
            state = {s: a[rows] for s, a in self.state[k].items()}          # views
            self.update(p[rows], grads[k][rows], state)
            if self.t % FLUSH_EVERY == 0:
                for a in state.values():
                    flush_tiny(a)

    def update(self, p: np.ndarray, g: np.ndarray, st: dict) -> None:
        raise NotImplementedError

    # -- checkpointing: arrays by "param/slot", plus the step counter ----------------
    def state_arrays(self) -> dict:
        return {f"{k}/{s}": a for k, st in self.state.items() for s, a in st.items()}

    def load_state_arrays(self, arrays: dict, t: int) -> None:
        for k, st in self.state.items():
            for s in st:
                key = f"{k}/{s}"
                if key not in arrays or arrays[key].shape != st[s].shape:
                    raise ValueError(f"optimizer state {key!r} missing or of the wrong shape")
                st[s][...] = arrays[key]
        self.t = t


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum μ:
        v <- μ v + g;   θ <- θ - lr v          (μ = 0 is plain SGD)
    """
    slots = ("velocity",)

    def __init__(self, params: dict, lr: float, momentum: float = 0.0):
        super().__init__(params, lr)
        self.momentum = momentum

    def update(self, p, g, st):
        v = st["velocity"]
        v *= self.momentum
        v += g
        p -= self.lr * v


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012, Coursera lecture 6.5):
        s <- ρ s + (1 - ρ) g²;   θ <- θ - lr g / (sqrt(s) + ε)
    Dividing by the running RMS gives every weight a step of about lr,
    however large or small its gradients are.
    """
    slots = ("square_avg",)

    def __init__(self, params: dict, lr: float, rho: float = 0.99, eps: float = 1e-8):
        super().__init__(params, lr)
        self.rho, self.eps = rho, eps

    def update(self, p, g, st):
        s = st["square_avg"]
        s *= self.rho
        s += (1 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class CenteredRMSProp(Optimizer):
    """The RMSProp of DeepMind's DQN (Mnih et al. 2015; Graves 2013, eq. 38-41):
        m <- β m + (1 - β) g            (gradient momentum 0.95)
        s <- ρ s + (1 - ρ) g²           (squared-gradient momentum 0.95)
        θ <- θ - lr g / sqrt(s - m² + min_sq)
    Graves's eq. 40 also carries a momentum Δ of past steps; DeepMind's code
    sets it to 0, and so does this.  s - m² estimates the gradient's
    *variance*, so steps shrink where the gradient is noisy, not merely where
    it is large.  With β = ρ, as here, s - m² >= 0 (Cauchy-Schwarz: m and s
    weight the same past gradients, with weights summing to at most 1); with
    β ≠ ρ it can go negative, so the constructor refuses that.  min_sq then
    bounds the denominator below by sqrt(min_sq) (0.1 for 0.01): a step is at
    most lr |g| / sqrt(min_sq), i.e. 10 lr |g| for min_sq = 0.01.

    min_sq is not scale-free: it competes with g².  DeepMind's 0.01 was for g
    *summed* over the minibatch; nnpy's losses average over it, so g is B times
    smaller and, with the same 0.01, min_sq acts B² times larger (1,024x for
    B = 32).  Since sqrt(s_sum - m_sum² + 0.01) = B sqrt(s - m² + 0.01 / B²),
    min_sq = 0.01 / B² with the same lr gives exactly the paper's update;
    rl/train.py's make_optimizer does that conversion.
    """
    slots = ("grad_avg", "square_avg")

    def __init__(self, params: dict, lr: float = 2.5e-4, grad_momentum: float = 0.95,
                 square_momentum: float = 0.95, min_sq: float = 0.01):   # min_sq: for a summed g, see above
        super().__init__(params, lr)
        if grad_momentum != square_momentum:
            raise ValueError(f"CenteredRMSProp needs grad_momentum == square_momentum (else s - m² can be "
                             f"negative), got {grad_momentum} and {square_momentum}")
        self.beta, self.rho, self.min_sq = grad_momentum, square_momentum, min_sq

    def update(self, p, g, st):
        m, s = st["grad_avg"], st["square_avg"]
        m *= self.beta
        m += (1 - self.beta) * g
        s *= self.rho
        s += (1 - self.rho) * g * g
        p -= self.lr * g / np.sqrt(s - m * m + self.min_sq)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1):
        m <- β1 m + (1 - β1) g;   v <- β2 v + (1 - β2) g²
        m̂ = m / (1 - β1^t);      v̂ = v / (1 - β2^t)
        θ <- θ - lr m̂ / (sqrt(v̂) + ε)
    computed, as §2 of the paper suggests, with the two bias corrections moved
    into scalars (the same value, exactly, in real arithmetic):
        θ <- θ - lr_t m / (sqrt(v) + ε_t),   lr_t = lr sqrt(1 - β2^t) / (1 - β1^t),  ε_t = ε sqrt(1 - β2^t)
    """
    slots = ("m", "v")

    def __init__(self, params: dict, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def update(self, p, g, st):
        m, v = st["m"], st["v"]
        m *= self.beta1                                      # m <- β1 m + (1 - β1) g
        m += (1 - self.beta1) * g
        v *= self.beta2                                      # v <- β2 v + (1 - β2) g²
        v += (1 - self.beta2) * g * g
        lr_t = self.lr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        eps_t = self.eps * math.sqrt(1 - self.beta2 ** self.t)
        p -= lr_t * (m / (np.sqrt(v) + eps_t))              # θ <- θ - lr_t m / (sqrt(v) + ε_t)


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSProp, "centered_rmsprop": CenteredRMSProp, "adam": Adam}
