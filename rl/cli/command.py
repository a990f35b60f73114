"""The command line shared by `run.py cartpole` and `run.py atari`.

    train:   run.py <cmd> [--seed S] [--steps N] [--out DIR] [any config flag ...]
    resume:  run.py <cmd> --resume DIR [--steps N]
    watch:   run.py <cmd> --eval PATH [--episodes K] [--gif FILE] [--filters FILE]

A command is described by a `Command` (its name, its config dataclass and
how to build its Task); `run_command` does the rest.  Following one flag,
`--lr`, from the command line to the update:

    AtariConfig.lr (atari/cli.py) -> add_flags: --lr (flags.py) -> run_command: cfg.lr
    -> train: make_optimizer(cfg, ...) (rl/train.py) -> Adam(lr=...) (nnpy/optim.py)

Bad input (an impossible value, a missing or wrong checkpoint, an
unwritable folder) ends with one line on stderr and exit status 2.
"""
import argparse
import dataclasses
import json
import os
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..dqn import DQNAgent
from ..dqn_config import DQNConfig
from ..train import Task, play_episode, train
from .checkpoints import load_policy
from .flags import add_flags, from_args
from .pictures import filters_picture, q_value_frames, save_gif

GIF_MAX_FRAMES = 2_000       # keeps a GIF of a long Atari game to a few MB
FEATURE_STEP = 50            # --filters shows the feature maps of episode 1's state at this step


@dataclass(frozen=True)
class Command:
    """One `run.py <name>` command that trains DQN; its flags are `config`'s fields."""
    name: str                                   # run.py <name>, and the prefix of its error lines
    description: str                            # the first line of --help
    config: type                                # a DQNConfig subclass: defaults, docs, validate()
    make_task: Callable[[DQNConfig], Task]      # what to train on, built from the config


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line instead of the whole usage block (~40 flags)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _check_writable(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, ".write-test")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"cannot write to --out {folder!r}: {e.strerror or e}") from None


def _resumed_config(cfg: DQNConfig, folder: str, argv: list[str]) -> DQNConfig:
    """--resume DIR: the config saved in DIR, except that a --steps given now extends the run."""
    saved = os.path.join(folder, "config.json")
    if not os.path.isfile(os.path.join(folder, "checkpoint.npz")) or not os.path.isfile(saved):
        raise UsageError(f"--resume {folder!r}: no checkpoint.npz and config.json there")
    with open(saved) as f:
        names = {f.name for f in dataclasses.fields(cfg)}
        values = {k: v for k, v in json.load(f).items() if k in names}
    if any(a == "--steps" or a.startswith("--steps=") for a in argv):
        values["steps"] = cfg.steps
    return dataclasses.replace(cfg, **values)


def _watch(cfg: DQNConfig, task: Task, path: str, episodes: int, gif: str | None,
           filters: str | None = None) -> None:
    """--eval: play `episodes` episodes with a saved network, optionally recording episode 1
    as a GIF (the game, each action's Q-value, the trace of V(s) = max_a Q(s, a)) and a
    picture of the first layer's filters and feature maps (rl/cli/pictures.py).

    Episodes are seeded as evaluate() seeds them, so `--seed S` replays the evaluation a run
    made with seed S: a run with --seed R ends with its final
    evaluation at S = R + FINAL_EVAL_SEED (rl/train.py)."""
    if episodes < 1:
        raise UsageError(f"--episodes must be a positive integer, got {episodes}")
    net, _ = load_policy(path, task.env_id)
    agent = DQNAgent(net, input_scale=task.input_scale)           # acting only: no optimizer
    rng = np.random.default_rng(cfg.seed)
    env = task.make_eval_env(cfg.seed, render=gif is not None)
    episode1 = []                     # per step of episode 1: (screen or None, Q(s, ·; θ), s)

    def record(e, obs):
        if len(episode1) < GIF_MAX_FRAMES:
            episode1.append((e.render() if gif else None, agent.q_values(obs[None])[0], obs))

    returns = []
    for k in range(episodes):
        returns.append(play_episode(agent, env, cfg.eval_epsilon, rng, seed=cfg.seed if k == 0 else None,
                                    on_frame=record if k == 0 and (gif or filters) else None))
        print(f"episode {k + 1}: return {returns[-1]:g}", file=sys.stderr)
    if gif is not None:
        names = getattr(env, "meanings", None) or [str(a) for a in range(agent.n_actions)]
        images = q_value_frames([f for f, _, _ in episode1], [q for _, q, _ in episode1], names)
        save_gif(images, gif)
        print(f"wrote {gif} ({len(images)} frames of episode 1, with Q-values)", file=sys.stderr)
    if filters is not None:
        step = min(FEATURE_STEP, len(episode1) - 1)
        filters_picture(net, agent.prep(episode1[step][2][None])[0]).save(filters)
        print(f"wrote {filters} (first-layer weights; feature maps of episode 1, step {step})",
              file=sys.stderr)
    print(f"mean_return={np.mean(returns):g} episodes={episodes}")


def run_command(argv: list[str], command: Command) -> int:
    """Parse flags, then train, resume or --eval.  Returns the exit status."""
    prog = f"run.py {command.name}"
    parser = OneLineParser(prog=prog, description=command.description)
    add_flags(parser, command.config)
    example = os.path.join("runs", command.config().run_name())
    parser.add_argument("--out", metavar="DIR", help=f"output folder (default: runs/<name>-<seed>, e.g. {example})")
    parser.add_argument("--resume", metavar="DIR", help="continue the interrupted run in DIR")
    parser.add_argument("--eval", metavar="PATH", help="play a saved best.npz / checkpoint.npz instead of training")
    parser.add_argument("--episodes", type=int, default=10, help="episodes to play with --eval (default: 10)")
    parser.add_argument("--gif", metavar="FILE", help="with --eval: save episode 1 as an animated GIF, "
                        "with each action's Q-value and the trace of V(s) = max_a Q(s, a) beside the game")
    parser.add_argument("--filters", metavar="FILE", help="with --eval: save a PNG of the first layer's "
                        f"weights and of the feature maps of episode 1's state at step {FEATURE_STEP}")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)          # argparse itself exits with status 2 on bad flags

    try:
        cfg = from_args(command.config, args)
        if args.resume:
            cfg = _resumed_config(cfg, args.resume, argv)
        cfg.validate()
        task = command.make_task(cfg)
        if args.eval:
            _watch(cfg, task, args.eval, args.episodes, args.gif, args.filters)
            return 0
        if args.gif or args.filters:
            raise UsageError(f"--{'gif' if args.gif else 'filters'} works only together with --eval PATH")
        out = args.resume or args.out or os.path.join("runs", cfg.run_name())
        _check_writable(out)
    except (UsageError, OSError, ValueError) as e:      # CheckpointError is a ValueError
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2

    if not args.quiet:
        print(f"{'resuming' if args.resume else 'training'} {task.env_id} -> {out}", file=sys.stderr)
    try:
        result = train(cfg, task, out, resume=bool(args.resume), quiet=args.quiet)
    except KeyboardInterrupt:
        # a second Ctrl-C, or one during the final evaluation: checkpoint.npz on disk is
        # the last complete one (saves are atomic), so say how to go on rather than dump a traceback
        print(f"\n{prog}: interrupted; {out}/checkpoint.npz holds the last saved state. "
              f"Continue with --resume {out}", file=sys.stderr)
        return 130
    return 130 if result.interrupted else 0
