"""`python run.py cartpole`: DQN on CartPole-v1.

CartPole is small enough to solve in seconds, so it is where the DQN
machinery gets tested before it meets pixels.  The defaults below were
tuned on this project's 2-core machine (bench/cartpole.py runs seeds 0-4).
"""
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from nnpy import Dense, ReLU, Sequential

from .cli import run_command
from .dqn_config import DQNConfig
from .replay import ReplayMemory
from .train import Task

ENV_ID = "CartPole-v1"


@dataclass
class CartPoleConfig(DQNConfig):
    steps: int = 50_000
    """environment steps to train for (the goal: solved within 50,000)"""
    hidden: int = 256
    """units in each of the two hidden layers of the MLP 4 -> hidden -> hidden -> 2"""
    buffer_size: int = 50_000
    """replay memory capacity N (here: every transition of the run)"""
    batch_size: int = 64
    """minibatch size"""
    lr: float = 2.3e-3
    """Adam learning rate; large, because the learning phases are few and long"""
    learning_starts: int = 1_000
    """random-ish steps collected before the first update"""
    train_every: int = 256
    """learn in phases every 256 steps: cheap (no per-step update) and stable"""
    gradient_steps: int = 128
    """updates per phase: half an update per environment step on average"""
    target_update_every: int = 10
    """sync θ⁻ every 10 steps, i.e. once before every learning phase: the target is
    frozen during a phase and refreshed between phases"""
    eps_end: float = 0.04
    """final ε"""
    eps_decay_steps: int = 8_000
    """ε reaches its final value after 16% of the run"""


def build_mlp(hidden: int, rng: np.random.Generator) -> Sequential:
    """Q-network for CartPole: (B, 4) -> (B, 2)."""
    return Sequential([Dense(4, hidden, rng=rng), ReLU(), Dense(hidden, hidden, rng=rng), ReLU(),
                       Dense(hidden, 2, rng=rng)])


def make_task(cfg: CartPoleConfig) -> Task:
    if cfg.hidden < 1:
        raise ValueError(f"--hidden must be a positive integer, got {cfg.hidden}")
    return Task(
        env_id=ENV_ID,
        make_env=lambda seed: gym.make(ENV_ID),
        make_eval_env=lambda seed, render=False: gym.make(ENV_ID, render_mode="rgb_array" if render else None),
        build_net=lambda rng: build_mlp(cfg.hidden, rng),
        make_memory=lambda: ReplayMemory(cfg.buffer_size, (4,), np.float32, cfg.gamma, seed=cfg.seed),
        reward_threshold=475.0,
    )


def main(argv: list[str]) -> int:
    return run_command(argv, "cartpole", CartPoleConfig, make_task,
                       default_out=lambda seed: f"runs/cartpole-{seed}",
                       description="Train DQN on CartPole-v1, or watch a trained network with --eval.",
                       choices={"optimizer": ["adam", "rmsprop", "centered_rmsprop", "sgd"],
                                "loss": ["huber", "mse"]})
