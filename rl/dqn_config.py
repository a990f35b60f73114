"""The hyperparameters of Algorithm 1, shared by every DQN run.

CartPole and Atari subclass DQNConfig with their own defaults.  A field's
docstring is its --help text (rl/cli/flags.py builds the flags from this
class), and the registries in CHOICES are the only lists of allowed names:
`--optimizer`, `--loss` (and Atari's `--arch`) offer exactly their keys.
"""
import dataclasses
import os
from dataclasses import dataclass
from typing import ClassVar

from nnpy import LOSSES, OPTIMIZERS


def check_ranges(cfg, rules: dict) -> None:
    """rules: field -> (predicate, 'allowed values' text). Raise ValueError naming the flag."""
    for name, (ok, allowed) in rules.items():
        value = getattr(cfg, name)
        if not ok(value):
            raise ValueError(f"--{name.replace('_', '-')} must be {allowed}, got {value!r}")


POSITIVE = (lambda v: v > 0, "a positive integer")
AT_LEAST_0 = (lambda v: v >= 0, "0 or more")
PROBABILITY = (lambda v: 0 <= v <= 1, "in [0, 1]")


@dataclass
class DQNConfig:
    #: field -> registry whose keys are its allowed values (flags, validation and help use it)
    CHOICES: ClassVar[dict] = {"optimizer": OPTIMIZERS, "loss": LOSSES}
    #: field -> (setting, value): the field does something only when the setting has that
    #: value; run.py refuses it otherwise, as it would be ignored.  (--replay false is the
    #: exception by design: it overrides the memory's four knobs, see resolved().)
    ONLY_WITH: ClassVar[dict] = {
        "adam_eps": ("optimizer", "adam"), "rmsprop_min_sq": ("optimizer", "centered_rmsprop"),
        "priority_alpha": ("prioritized", True), "priority_beta0": ("prioritized", True),
        "priority_beta_steps": ("prioritized", True),
        "target_update_every": ("target_network", True), "tau": ("target_network", True),
    }
    #: the headings of --help, first what to run, then the hyperparameters by what they are
    #: for; a name the class does not have (a subclass's field) is skipped
    GROUPS: ClassVar[tuple] = (
        ("what to run and watch", ("game", "seed", "steps")),
        ("the network and its optimizer", ("arch", "hidden", "activation", "dueling", "noisy",
                                           "c51", "atoms", "v_min", "v_max",
                                           "optimizer", "lr", "adam_eps", "rmsprop_min_sq", "loss",
                                           "max_grad_norm")),
        ("replay memory and the learning step", ("buffer_size", "batch_size", "gamma", "n_step",
                                                 "double", "learning_starts", "train_every",
                                                 "gradient_steps", "replay", "prioritized",
                                                 "priority_alpha", "priority_beta0",
                                                 "priority_beta_steps")),
        ("the target network", ("target_update_every", "tau", "target_network")),
        ("exploration", ("eps_start", "eps_end", "eps_decay_steps")),
        ("evaluation, the best network and the early stop", (
            "eval_every", "eval_episodes", "eval_epsilon", "confirm_episodes", "eval_give_up",
            "final_eval_episodes", "sticky_eval_episodes", "stop_after_solved", "stop_margin",
            "best_over")),
        ("the Atari environment", ("full_action_space", "sticky_actions", "noop_max", "luminance")),
        ("logging and checkpoints", ("log_every", "checkpoint_every")),
        ("speed", ("threads",)),
    )

    seed: int = 0
    """seed for network initialisation, environments, exploration and replay sampling"""
    threads: int = 0
    """threads for the learning step, 1 or 2 (0: two if there are); results do not change

    The Atari step is cut into two halves, so more than two threads would have nothing to do."""
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
    """optimizer (nnpy/optim.py); centered_rmsprop is the one of Mnih et al. 2015"""
    lr: float = 1e-3
    """learning rate"""
    adam_eps: float = 1e-8
    """Adam's ε (larger values, e.g. 1.5e-4, damp steps on rarely-updated weights)"""
    rmsprop_min_sq: float = 0.01
    """centered_rmsprop's constant under the square root, as the 2015 paper gives it

    The paper's value is for a gradient summed over the minibatch; our losses average, so the
    optimizer gets it / batch_size²."""
    loss: str = "huber"
    """loss ℓ on the TD error; huber (δ = 1) is the 2015 paper's error clipping

    The losses are in nnpy/losses.py."""
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
    target_network: bool = True
    """false: no θ⁻, the target uses the online θ at every gradient step (an ablation)

    Note that --target-update-every 1 still freezes θ⁻ during a phase of several gradient steps."""
    max_grad_norm: float = 10.0
    """clip the global gradient norm to this (0 = no clipping)"""
    eps_start: float = 1.0
    """initial exploration rate ε"""
    eps_end: float = 0.05
    """final exploration rate ε"""
    eps_decay_steps: int = 10_000
    """steps over which ε falls linearly from eps_start to eps_end"""
    eval_every: int = 2_500
    """environment steps between evaluations (ε_eval-greedy, eval_epsilon)"""
    eval_episodes: int = 10
    """episodes per periodic evaluation"""
    eval_epsilon: float = 0.0
    """ε during evaluation"""
    confirm_episodes: int = 0
    """more episodes when an evaluation reaches the goal, scored with it (0 = off)

    Luck on a few episodes then counts for less. The extra episodes are other ones, the same
    every time; a lucky few episodes then neither count as solved nor become the best network."""
    eval_give_up: bool = False
    """end an evaluation once its mean can no longer reach the goal (needs a highest score)

    Pong: 5 games at +18 allow 15 points short of 21-0 in all; once more are lost, the games
    left cannot lift the mean to +18, so they are not played. An evaluation that can still
    pass plays every game; one that gave up reports the mean of the games it played and how
    many (progress.csv's eval_episodes)."""
    final_eval_episodes: int = 20
    """episodes of the final evaluation of the best network"""
    sticky_eval_episodes: int = 0
    """after the final evaluation, the best network's episodes with sticky actions (0 = none)

    Atari: the previous action repeats with probability 0.25 at each frame (Machado et al.
    2018), so a network that only replays a timing learned in the deterministic emulator
    shows it. In summary.json as sticky_eval_mean_return; not played by a sticky run."""
    log_every: int = 1_000
    """environment steps between progress.csv rows / printed lines"""
    checkpoint_every: int = 10_000
    """environment steps between checkpoint.npz writes (also written at the end and on Ctrl-C)"""
    replay: bool = True
    """false: no replay memory, one update per step on the transition just seen (an ablation)

    Online Q-learning with a network: as if --buffer-size 1 --batch-size 1 --train-every 1
    --gradient-steps 1."""
    stop_after_solved: int = 0
    """stop after this many evaluations in a row at the goal + stop_margin (0 = never)

    The goals: CartPole 475, Pong +18."""
    stop_margin: float = 0.0
    """the early stop needs goal + this margin: the network must pass fresh episodes too

    Not just the ones it was chosen on."""
    prioritized: bool = False
    """prioritized replay (Schaul et al. 2016): draw transitions ∝ (|δ| + ε)^α

    The proportional variant; each loss is weighted by (N P(i))^−β / max w, β annealed
    linearly from priority_beta0 to 1 over priority_beta_steps."""
    priority_alpha: float = 0.6
    """α of prioritized replay: 0 is uniform, 1 fully by priority (Schaul et al.: 0.6)"""
    priority_beta0: float = 0.4
    """β of prioritized replay at the start of training (Schaul et al.: 0.4)"""
    priority_beta_steps: int = 50_000
    """steps over which β rises to 1, then stays at 1

    Schaul et al. reach β = 1 at the end of training. A fixed length instead keeps what a
    run learns independent of its budget, --steps, which a --resume may change."""
    best_over: int = 1
    """score a network by the lowest of its last best_over evaluations; best.npz: the best

    A network's score is the lowest of its evaluation and the best_over − 1 before it. With 2,
    one lucky evaluation right after a poor one does not make a network the best."""

    @staticmethod
    def completed(saved: dict) -> dict:
        """A config.json written before a setting existed, given the value that does what the
        code of its time did: prioritized replay's β then rose to 1 over the budget, --steps;
        an Atari run (one with a game) had no C51."""
        if "priority_beta_steps" not in saved and "steps" in saved:
            saved = {**saved, "priority_beta_steps": saved["steps"]}
        if "c51" not in saved and "game" in saved:
            saved = {**saved, "c51": False}
        return saved

    def resolved(self) -> "DQNConfig":
        """The config the run uses: with replay false, the four knobs that make D a memory of
        one transition, learned from once as it comes (written so to config.json)."""
        if self.replay:
            return self
        return dataclasses.replace(self, buffer_size=1, batch_size=1, train_every=1, gradient_steps=1)

    def cores(self) -> int:
        """The threads the learning step runs on: threads, or as many of this process's CPUs as
        there are halves of a batch (two)."""
        return min(self.threads or len(os.sched_getaffinity(0)), 2)

    def run_name(self) -> str:
        """The default run folder is runs/<run_name()>, e.g. runs/cartpole-0."""
        return f"dqn-{self.seed}"

    def validate(self) -> None:
        """Raise ValueError naming the first impossible value."""
        for name, registry in self.CHOICES.items():
            value = getattr(self, name)
            if value not in registry:
                raise ValueError(f"--{name.replace('_', '-')} must be one of "
                                 f"{', '.join(registry)}, got {value!r}")
        check_ranges(self, {
            "steps": POSITIVE, "buffer_size": POSITIVE, "batch_size": POSITIVE, "n_step": POSITIVE,
            "train_every": POSITIVE, "gradient_steps": POSITIVE, "target_update_every": POSITIVE,
            "eval_every": POSITIVE, "eval_episodes": POSITIVE, "final_eval_episodes": POSITIVE,
            "log_every": POSITIVE, "checkpoint_every": POSITIVE, "priority_beta_steps": POSITIVE,
            "seed": AT_LEAST_0, "learning_starts": AT_LEAST_0, "eps_decay_steps": AT_LEAST_0,
            "threads": (lambda v: v in (0, 1, 2), "0, 1 or 2"),
            "stop_after_solved": AT_LEAST_0, "confirm_episodes": AT_LEAST_0,
            "sticky_eval_episodes": AT_LEAST_0,
            "best_over": POSITIVE, "stop_margin": AT_LEAST_0,
            "gamma": PROBABILITY, "priority_alpha": PROBABILITY, "priority_beta0": PROBABILITY,
            "lr": (lambda v: v > 0, "> 0"),
            "adam_eps": (lambda v: v > 0, "> 0"),
            "rmsprop_min_sq": (lambda v: v > 0, "> 0"),
            "tau": (lambda v: 0 < v <= 1, "in (0, 1]"),
            "max_grad_norm": (lambda v: v >= 0, "0 (off) or more"),
            "eps_start": PROBABILITY, "eps_end": PROBABILITY, "eval_epsilon": PROBABILITY,
        })
