"""The categorical projection of distributional DQN, C51 (Bellemare et al. 2017, §4, Algorithm 1).

C51 predicts, for each action, a distribution over K fixed returns (atoms)
z_i = V_min + i Δz, Δz = (V_max − V_min)/(K − 1), with probabilities p_i.  The Bellman
update moves atom z_j to r + γ z_j, which is in general no atom; the projection Φ shares
each moved atom's probability between the two atoms on either side of it, in proportion
to how near it lies (eq. 7):

    (Φ T̂Z)_i = Σ_j [1 − |clip(r + γ (1 − terminated) z_j, V_min, V_max) − z_i| / Δz]₀¹ p_j

With b_j = (T̂z_j − V_min)/Δz, l = ⌊b_j⌋, u = ⌈b_j⌉ that is: m_l += p_j (1 − (b_j − l)),
m_u += p_j (b_j − l).  A b_j that lands on an atom (l = u) gives it all of p_j, where
Algorithm 1's (u − b_j) and (b_j − l) would both be 0 and lose the mass.  The projected
m is the target of a cross-entropy loss −Σ_i m_i log p_i(s, a).
"""
import numpy as np


def categorical_projection(r: np.ndarray, terminated: np.ndarray, discount: np.ndarray,
                           probs: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Project the distribution r + γ (1 − terminated) Z onto the support.

    r, terminated, discount: (B,); probs: (B, K), the next state's p_j(s', a*) (rows sum
    to 1); support: (K,) evenly spaced atoms z.  Returns m (B, K), rows summing to 1.
    """
    B, K = probs.shape
    v_min, v_max = support[0], support[-1]
    dz = (v_max - v_min) / (K - 1)
    tz = r[:, None] + (discount * (1.0 - terminated))[:, None] * support[None, :]   # (B, K)
    b = np.clip((np.clip(tz, v_min, v_max) - v_min) / dz, 0, K - 1)     # (B, K) atom positions
    lo, hi = np.floor(b).astype(np.int64), np.ceil(b).astype(np.int64)  # (B, K) each
    frac = b - lo                                                       # (B, K) nearness to hi
    row = np.arange(B)[:, None] * K                                     # (B, 1) offset of row
    # scatter-add each row's shares into its own K bins of one flat (B*K,) array
    m = (np.bincount((row + lo).ravel(), (probs * (1 - frac)).ravel(), minlength=B * K)
         + np.bincount((row + hi).ravel(), (probs * frac).ravel(), minlength=B * K))
    return m.reshape(B, K)                                              # (B, K)


def categorical_projection_naive(r: np.ndarray, terminated: np.ndarray, discount: np.ndarray,
                                 probs: np.ndarray, support: np.ndarray) -> np.ndarray:
    """eq. 7 as written, one output atom i and one moved atom j at a time: the reference."""
    B, K = probs.shape
    dz = (support[-1] - support[0]) / (K - 1)
    m = np.zeros((B, K))
    for n in range(B):
        for j in range(K):
            tz = np.clip(r[n] + discount[n] * (1 - terminated[n]) * support[j], support[0], support[-1])
            for i in range(K):
                m[n, i] += np.clip(1 - abs(tz - support[i]) / dz, 0, 1) * probs[n, j]
    return m
