"""C51's output head (Bellemare et al. 2017, §4): a distribution over K returns per action.

For each action a the network gives K logits; a softmax over them gives the probabilities
p_i(s, a) of K fixed returns, the atoms z_i = V_min + i Δz, Δz = (V_max − V_min)/(K − 1).
The head outputs log p, whose gradient is stable where p itself underflows:

    forward : logits x (N, A·K) -> log p (N, A·K),  log p_i = x_i − log Σ_k e^{x_k}
              (over each action's own K logits)
    backward: dlog p (N, A·K) -> dx = dlog p − p Σ_k dlog p_k   (per action)

Q is the mean of the distribution, Q(s, a) = Σ_i z_i p_i(s, a): `expected_q` turns log p
into the (N, A) Q-values that acting, evaluation and the average max Q need.  The atoms
travel in the head's config, so a saved network knows what its outputs mean.  With the
cross-entropy loss −Σ_i m_i log p_i (nnpy/losses.py) the two backward steps give the
softmax cross-entropy's gradient dx = p − m for the taken action.
"""
import numpy as np

from .layer import Layer, check_input


class CategoricalHead(Layer):
    """logits (N, n_actions·atoms) -> log p (N, n_actions·atoms): a log-softmax over each
    action's `atoms` logits.  No parameters: the Dense layer before it holds them."""

    def __init__(self, n_actions: int, atoms: int, v_min: float, v_max: float):
        super().__init__()
        if atoms < 2 or not (np.isfinite(v_min) and np.isfinite(v_max) and v_min < v_max):
            raise ValueError(f"CategoricalHead needs atoms >= 2 and finite v_min < v_max, "
                             f"got atoms={atoms}, v_min={v_min}, v_max={v_max}")
        self.n_actions, self.atoms, self.v_min, self.v_max = n_actions, atoms, v_min, v_max
        self.support = np.linspace(v_min, v_max, atoms)                  # (K,) the atoms z_i

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input("CategoricalHead", x, ("N", self.n_actions * self.atoms))
        logits = x.reshape(len(x), self.n_actions, self.atoms)          # (N, A, K)
        shifted = logits - logits.max(axis=2, keepdims=True)            # e^x cannot overflow
        logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))   # (N, A, K)
        self.cache = np.exp(logp)                                       # p (N, A, K)
        return logp.reshape(len(x), -1)                                 # (N, A·K)

    def backward(self, dout: np.ndarray, need_dx: bool = True):
        if not need_dx:
            return None
        p = self.cache                                                  # (N, A, K)
        dlogp = dout.reshape(p.shape)                                   # (N, A, K)
        dx = dlogp - p * dlogp.sum(axis=2, keepdims=True)               # (N, A, K)
        return dx.reshape(len(dout), -1)                                # (N, A·K)

    def probabilities(self, logp: np.ndarray) -> np.ndarray:
        """log p (N, A·K) -> p (N, A, K)."""
        return np.exp(logp).reshape(len(logp), self.n_actions, self.atoms)   # (N, A, K)

    def mean(self, p: np.ndarray) -> np.ndarray:
        """Q(s, a) = Σ_i z_i p_i(s, a): p (N, A, K) -> Q (N, A)."""
        return p @ self.support.astype(p.dtype)                         # (N, A)

    def expected_q(self, logp: np.ndarray) -> np.ndarray:
        """Q from the head's output: log p (N, A·K) -> Q (N, A)."""
        return self.mean(self.probabilities(logp))

    def config(self) -> dict:
        return {"type": "CategoricalHead", "n_actions": self.n_actions, "atoms": self.atoms,
                "v_min": self.v_min, "v_max": self.v_max}
