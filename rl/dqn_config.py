"""The hyperparameters every DQN run shares; CartPole and Atari subclass it with their own defaults."""
from dataclasses import dataclass

from .config import check_ranges


@dataclass
class DQNConfig:
    seed: int = 0
    """seed for network initialisation, environments, exploration and replay sampling"""
    steps: int = 50_000
    """environment steps to train for (agent steps; an Atari step is 4 frames)"""
    buffer_size: int = 50_000
    """replay memory capacity N, in transitions"""
    batch_size: int = 64
    """minibatch size for each gradient step"""
    gamma: float = 0.99
    """discount factor γ"""
    n_step: int = 1
    """n-step returns: bootstrap after n rewards (1 = the papers' one-step target)"""
    optimizer: str = "adam"
    """adam | rmsprop | centered_rmsprop (Mnih et al. 2015) | sgd"""
    lr: float = 1e-3
    """learning rate"""
    adam_eps: float = 1e-8
    """Adam's ε (larger values, e.g. 1.5e-4, damp steps on rarely-updated weights)"""
    loss: str = "huber"
    """huber (δ = 1: the 2015 paper's error clipping) | mse"""
    double: bool = True
    """Double DQN target (van Hasselt et al. 2016)"""
    learning_starts: int = 1_000
    """steps of experience collected before learning begins"""
    train_every: int = 1
    """environment steps between learning phases"""
    gradient_steps: int = 1
    """gradient steps per learning phase"""
    target_update_every: int = 1_000
    """environment steps between target-network updates (C)"""
    tau: float = 1.0
    """target update weight: 1 copies θ into θ⁻, < 1 is a soft (Polyak) update"""
    max_grad_norm: float = 10.0
    """clip the global gradient norm to this (0 = no clipping)"""
    eps_start: float = 1.0
    """initial exploration rate ε"""
    eps_end: float = 0.05
    """final exploration rate ε"""
    eps_decay_steps: int = 10_000
    """steps over which ε falls linearly from eps_start to eps_end"""
    eval_every: int = 2_500
    """environment steps between greedy evaluations"""
    eval_episodes: int = 10
    """episodes per periodic evaluation"""
    eval_epsilon: float = 0.0
    """ε during evaluation"""
    final_eval_episodes: int = 20
    """episodes of the final evaluation of the best network"""
    log_every: int = 1_000
    """environment steps between progress.csv rows / printed lines"""
    checkpoint_every: int = 10_000
    """environment steps between checkpoint.npz writes (also written at the end and on Ctrl-C)"""

    def validate(self) -> None:
        """Raise ValueError naming the first impossible value."""
        positive = (lambda v: v > 0, "a positive integer")
        check_ranges(self, {
            "steps": positive, "buffer_size": positive, "batch_size": positive, "n_step": positive,
            "train_every": positive, "gradient_steps": positive, "target_update_every": positive,
            "eval_every": positive, "eval_episodes": positive, "final_eval_episodes": positive,
            "log_every": positive, "checkpoint_every": positive,
            "seed": (lambda v: v >= 0, "0 or more"),
            "learning_starts": (lambda v: v >= 0, "0 or more"),
            "eps_decay_steps": (lambda v: v >= 0, "0 or more"),
            "gamma": (lambda v: 0 <= v <= 1, "in [0, 1]"),
            "lr": (lambda v: v > 0, "> 0"),
            "adam_eps": (lambda v: v > 0, "> 0"),
            "tau": (lambda v: 0 < v <= 1, "in (0, 1]"),
            "max_grad_norm": (lambda v: v >= 0, "0 (off) or more"),
            "eps_start": (lambda v: 0 <= v <= 1, "in [0, 1]"),
            "eps_end": (lambda v: 0 <= v <= 1, "in [0, 1]"),
            "eval_epsilon": (lambda v: 0 <= v <= 1, "in [0, 1]"),
            "optimizer": (lambda v: v in ("adam", "rmsprop", "centered_rmsprop", "sgd"),
                          "one of adam, rmsprop, centered_rmsprop, sgd"),
            "loss": (lambda v: v in ("huber", "mse"), "one of huber, mse"),
        })
