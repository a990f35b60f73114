"""The DQN agent: a Q-network, its target network, and the learning step.

Deep Q-learning (Mnih et al. 2013, Algorithm 1; 2015, Methods) fits
Q(s, a; θ) to the Bellman optimality target

    y = r + γ (1 − terminated) max_a' Q(s', a'; θ⁻)                      (DQN)

where θ⁻ is a *target network*: a copy of θ refreshed only every C steps,
so the regression target does not move with every update.  Double DQN
(van Hasselt et al. 2016) lets the online network choose a' and the target
network value it, which reduces max's upward bias (it does not remove it):

    y = r + γ (1 − terminated) Q(s', argmax_a' Q(s', a'; θ); θ⁻)          (Double DQN)

The loss touches only the action that was taken: L = mean ℓ(Q(s, a; θ) − y).
With n-step returns (Sutton 1988; Hessel et al. 2018) r is the discounted sum
of n rewards and γ becomes γⁿ; the memory supplies both, per transition.

A C51 network (Bellemare et al. 2017; nnpy/categorical.py) predicts a distribution
over K returns z_i for each action, and Q is its mean.  Its target is a distribution
too, the next state's moved onto r + γ z and shared back onto the atoms by the
projection Φ (rl/c51.py), and it is fitted by cross-entropy:

    Q(s, a) = Σ_i z_i p_i(s, a)
    m = Φ(r + γ (1 − terminated) z, p(s', a*; θ⁻)),   a* = argmax_a' Q(s', a'; θ⁻)   (C51)
    L = −1/B Σ_j w_j Σ_i m_ji log p_i(s_j, a_j; θ)
"""
import numpy as np

from nnpy import LOSSES, CategoricalHead, Sequential, clip_grad_norm, cross_entropy, reset_noise
from nnpy.noisy import noisy_layers
from nnpy.optim import Optimizer
from nnpy.parallel import HalfBatches, step_in_halves

from .c51 import categorical_projection
from .replay import Batch


def bellman_target(r: np.ndarray, terminated: np.ndarray, discount: np.ndarray,
                   q_next_target: np.ndarray, q_next_online: np.ndarray | None = None) -> np.ndarray:
    """Targets y (B,) from rewards r (B,), terminal flags (B,), discounts γ (B,),
    Q(s', ·; θ⁻) (B, A) and, for Double DQN, Q(s', ·; θ) (B, A)."""
    if q_next_online is None:
        next_value = q_next_target.max(axis=1)                             # max_a' Q(s', a'; θ⁻)
    else:
        a_star = q_next_online.argmax(axis=1)                              # argmax_a' Q(s', a'; θ)
        next_value = q_next_target[np.arange(len(a_star)), a_star]         # Q(s', a*; θ⁻)
    return r + discount * (1.0 - terminated) * next_value


class DQNAgent:
    """Online network θ, target network θ⁻ (a visible deep copy), optimizer, loss.

    The optimizer is built on the network's own parameters before the agent:
        DQNAgent(net, Adam(net.parameters(), lr=1e-4), ...)
    An agent without one (optimizer=None) can only act: --eval and the final evaluation.
    With target_network=False there is no θ⁻: the target is computed with θ itself, which
    moves with every update (the ablation of Mnih et al. 2015, Extended Data Table 3).
    obs are scaled by `input_scale` on the way in (1/255 for uint8 screens),
    so the memory can keep compact uint8 frames.  With half_batches, learn runs every forward
    and the backward on two half batches at once (nnpy/parallel.py): for networks large
    enough to keep two cores busy, such as the Atari ones.
    """

    def __init__(self, net: Sequential, optimizer: Optimizer | None = None, loss: str = "huber",
                 double: bool = False, max_grad_norm: float = 0.0, input_scale: float = 1.0,
                 target_network: bool = True, half_batches: bool = False):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        self.online, self.target = net, net.copy() if target_network else net
        self.opt, self.loss_name, self.loss_fn = optimizer, loss, LOSSES[loss]
        self.double, self.max_grad_norm, self.input_scale = double, max_grad_norm, input_scale
        self.dtype = net.dtype()
        last, out = net.layers[-1], net.layers[-1].config()     # the output layer: per action, one unit or K
        self.n_actions = out.get("n_actions", out.get("out_features"))
        self.noisy = bool(noisy_layers(net))                    # noisy nets explore by their weights
        self.head = last if isinstance(last, CategoricalHead) else None   # C51: log p over atoms, not Q
        self.updates = 0
        self.td_error = None                                    # δ = Q(s, a; θ) − y (C51: the KL) of the last learn
        # θ and θ⁻ as learn runs them, and the optimizer's step: whole, or in two halves at once
        self.learning_online, self.learning_target = self.online, self.target
        self.half_batches = half_batches
        if half_batches:
            self.learning_online = HalfBatches(self.online)
            self.learning_target = HalfBatches(self.target) if target_network else self.learning_online

    def prep(self, obs: np.ndarray) -> np.ndarray:
        """obs (B, ...) of any dtype -> network input in the network's float dtype."""
        if self.input_scale == 1.0:
            return obs.astype(self.dtype)
        # one pass: convert and scale together (a uint8 batch of screens is ~1M values)
        return np.multiply(obs, self.input_scale, dtype=self.dtype)

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, ·; θ) for a batch of observations of any dtype: (B, ...) -> (B, A).
        A C51 network's Q is the mean of its distribution, Σ_i z_i p_i."""
        out = self.online.forward(obs, self.input_scale)
        return out if self.head is None else self.head.expected_q(out)

    def act(self, obs: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
        """ε-greedy: a random action with probability ε, else argmax_a Q(s, a; θ).  A noisy
        network draws new noise (from rng) for every greedy action, unless its noise is off."""
        if rng.random() < epsilon:
            return int(rng.integers(self.n_actions))
        if self.noisy and noisy_layers(self.online)[0].noise:
            reset_noise(self.online, rng)
        return int(self.q_values(obs[None])[0].argmax())

    def learn(self, batch: Batch, weights: np.ndarray | None = None,
              noise_rng: np.random.Generator | None = None) -> float:
        """One gradient step on L = 1/B Σ_j w_j ℓ(Q(s_j, a_j; θ) − y_j), or C51's
        cross-entropy. Returns the loss and keeps each sample's error in self.td_error (B,),
        for prioritized replay's new priorities: δ_j, or C51's KL divergence.

        weights (B,): prioritized replay's importance weights (None: all 1).  A noisy network
        draws new noise for θ and for θ⁻ first, from noise_rng (Fortunato et al. 2018, Alg. 1).
        """
        if self.opt is None:
            raise ValueError("this DQNAgent was built without an optimizer: it can act, not learn")
        if self.noisy:
            if noise_rng is None:
                raise ValueError("a noisy network learns with new noise each step: pass noise_rng")
            reset_noise(self.online, noise_rng)
            if self.target is not self.online:
                reset_noise(self.target, noise_rng)
        if self.head is None:
            loss, dout = self.q_learning_loss(batch, weights)
        else:
            loss, dout = self.distribution_loss(batch, weights)
        self.learning_online.backward(dout)
        grads = self.online.gradients()
        if self.max_grad_norm > 0:
            clip_grad_norm(grads, self.max_grad_norm)
        if self.half_batches:
            step_in_halves(self.opt, grads)     # self.opt.step(grads), its rows in two halves at once
        else:
            self.opt.step(grads)
        self.updates += 1
        return loss

    def q_learning_loss(self, batch: Batch, weights: np.ndarray | None) -> tuple[float, np.ndarray]:
        """The loss of Q(s, a; θ) against the Bellman target y and its gradient dL/dQ (B, A),
        which is 0 but at the taken actions; sets self.td_error = Q(s, a; θ) − y (B,)."""
        online, target, scale = self.learning_online, self.learning_target, self.input_scale
        # uint8 screens go in as they are: the first layer scales them in its own copy of them
        q_next_target = target.forward(batch.s2, scale)                         # Q(s', ·; θ⁻) (B, A)
        q_next_online = online.forward(batch.s2, scale) if self.double else None  # Q(s', ·; θ) (B, A)
        q = online.forward(batch.s, scale)      # Q(s, ·; θ) (B, A), last: backward needs its caches
        y = bellman_target(batch.r, batch.terminated, batch.discount, q_next_target, q_next_online)  # (B,)
        rows = np.arange(len(batch.a))
        q_taken, y = q[rows, batch.a], y.astype(q.dtype)                  # only Q(s, a) is fitted
        loss, dq_taken = self.loss_fn(q_taken, y, weights=weights)
        self.td_error = q_taken - y                                         # (B,)
        dq = np.zeros_like(q)                                              # (B, A)
        dq[rows, batch.a] = dq_taken
        return loss, dq

    def distribution_loss(self, batch: Batch, weights: np.ndarray | None) -> tuple[float, np.ndarray]:
        """C51's loss (Bellemare et al. 2017, Algorithm 1) and its gradient dL/dlog p (B, A·K),
        0 but at the taken actions:

            m_j = Φ(r_j + γ_j (1 − terminated_j) z, p(s'_j, a*_j; θ⁻))      (B, K)
            a*_j = argmax_a' Σ_i z_i p_i(s'_j, a'; θ⁻), or of θ for Double DQN
            L = −1/B Σ_j w_j Σ_i m_ji log p_i(s_j, a_j; θ)

        Sets self.td_error to each sample's KL(m_j ‖ p(s_j, a_j; θ)) (B,), the priority of
        Hessel et al. 2018."""
        online, target, scale, head = self.learning_online, self.learning_target, self.input_scale, self.head
        rows = np.arange(len(batch.a))
        p_next = head.probabilities(target.forward(batch.s2, scale))        # p(s', ·; θ⁻) (B, A, K)
        q_next = head.expected_q(online.forward(batch.s2, scale)) if self.double else head.mean(p_next)
        a_star = q_next.argmax(axis=1)                                      # (B,)
        m = categorical_projection(batch.r, batch.terminated, batch.discount,
                                   p_next[rows, a_star], head.support)      # (B, K)
        logp = online.forward(batch.s, scale)   # (B, A·K), last: backward needs its caches
        logp = logp.reshape(len(rows), head.n_actions, head.atoms)          # (B, A, K)
        logp_taken, m = logp[rows, batch.a], m.astype(logp.dtype)           # (B, K) each
        loss, dlogp_taken = cross_entropy(logp_taken, m, weights)           # only p(s, a) is fitted
        log_m = np.log(np.where(m > 0, m, 1))                               # 0 log 0 = 0
        self.td_error = (m * (log_m - logp_taken)).sum(axis=1)              # KL(m ‖ p) (B,)
        dlogp = np.zeros_like(logp)                                         # (B, A, K)
        dlogp[rows, batch.a] = dlogp_taken
        return loss, dlogp.reshape(len(rows), -1)                           # (B, A·K)

    def sync_target(self, tau: float = 1.0) -> None:
        """θ⁻ <- θ (hard copy, tau = 1) or θ⁻ <- (1 − τ) θ⁻ + τ θ (soft update)."""
        if self.target is self.online:          # no target network: θ⁻ is θ already
            return
        if tau >= 1.0:
            self.target.load_weights_from(self.online)
        else:
            self.target.soft_update_from(self.online, tau)

    # -- checkpointing ----------------------------------------------------------------
    def state_arrays(self) -> dict:
        arrays = self.online.state_arrays("online/")
        arrays.update(self.target.state_arrays("target/"))
        arrays.update({"optim/" + k: v for k, v in self.opt.state_arrays().items()})
        return arrays

    def load_state_arrays(self, arrays: dict, optim_t: int, source: str) -> None:
        self.online.load_state_arrays(arrays, "online/", source)
        self.target.load_state_arrays(arrays, "target/", source)
        self.opt.load_state_arrays({k[len("optim/"):]: v for k, v in arrays.items()
                                    if k.startswith("optim/")}, optim_t)
