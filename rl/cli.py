"""The command line shared by `run.py cartpole` and `run.py atari`.

    train:   run.py <cmd> [--seed S] [--steps N] [--out DIR] [any config flag ...]
    resume:  run.py <cmd> --resume DIR [--steps N]
    watch:   run.py <cmd> --eval PATH [--episodes K] [--gif FILE]

Bad input (an impossible value, a missing or wrong checkpoint, an
unwritable folder) ends with one line on stderr and exit status 2.
"""
import argparse
import dataclasses
import json
import os
import sys

import numpy as np
from PIL import Image

from nnpy import CheckpointError

from .checkpoints import load_policy
from .config import add_flags, from_args
from .dqn import DQNAgent
from .train import play_episode, train

GIF_MAX_FRAMES = 2_000       # keeps a GIF of a long Atari game to a few MB


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


def _watch(cfg, task, path: str, episodes: int, gif: str | None) -> None:
    """--eval: play `episodes` episodes with a saved network, optionally recording a GIF."""
    if episodes < 1:
        raise UsageError(f"--episodes must be a positive integer, got {episodes}")
    net, _ = load_policy(path, task.env_id)
    agent = DQNAgent(net, None, input_scale=task.input_scale)
    rng = np.random.default_rng(cfg.seed)
    env = task.make_eval_env(cfg.seed, render=gif is not None)
    env.reset(seed=cfg.seed)
    frames = []
    returns = []
    for k in range(episodes):
        record = (lambda e: len(frames) < GIF_MAX_FRAMES and frames.append(e.render())) \
            if gif is not None and k == 0 else None
        returns.append(play_episode(agent, env, cfg.eval_epsilon, rng, on_frame=record))
        print(f"episode {k + 1}: return {returns[-1]:g}", file=sys.stderr)
    if gif is not None:
        images = [Image.fromarray(f) for f in frames]
        images[0].save(gif, save_all=True, append_images=images[1:], duration=33, loop=0)
        print(f"wrote {gif} ({len(images)} frames of episode 1)", file=sys.stderr)
    print(f"mean_return={np.mean(returns):g} episodes={episodes}")


def run_command(argv: list[str], prog: str, config_cls, make_task, default_out, description: str,
                choices: dict | None = None, out_help: str = "runs/<name>-<seed>") -> int:
    """Parse flags, then train, resume or --eval. default_out(cfg) names the output folder."""
    parser = OneLineParser(prog=f"run.py {prog}", description=description)
    add_flags(parser, config_cls, choices)
    parser.add_argument("--out", metavar="DIR", help=f"output folder (default: {out_help})")
    parser.add_argument("--resume", metavar="DIR", help="continue the interrupted run in DIR")
    parser.add_argument("--eval", metavar="PATH", help="play a saved best.npz / checkpoint.npz instead of training")
    parser.add_argument("--episodes", type=int, default=10, help="episodes to play with --eval (default: 10)")
    parser.add_argument("--gif", metavar="FILE", help="with --eval: save episode 1 as an animated GIF")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)          # argparse itself exits with status 2 on bad flags

    try:
        cfg = from_args(config_cls, args)
        if args.resume:
            saved = os.path.join(args.resume, "config.json")
            if not os.path.isfile(os.path.join(args.resume, "checkpoint.npz")) or not os.path.isfile(saved):
                raise UsageError(f"--resume {args.resume!r}: no checkpoint.npz and config.json there")
            with open(saved) as f:
                fields = {f.name for f in dataclasses.fields(config_cls)}
                values = {k: v for k, v in json.load(f).items() if k in fields}
            steps_given = any(a == "--steps" or a.startswith("--steps=") for a in argv)
            if steps_given:                 # --steps N extends (or shortens) the saved run
                values["steps"] = args.steps
            cfg = dataclasses.replace(cfg, **values)
        cfg.validate()
        task = make_task(cfg)
        if args.eval:
            _watch(cfg, task, args.eval, args.episodes, args.gif)
            return 0
        if args.gif:
            raise UsageError("--gif works only together with --eval PATH")
        out = args.resume or args.out or default_out(cfg)
        _check_writable(out)
    except (UsageError, ValueError, CheckpointError) as e:
        print(f"run.py {prog}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"run.py {prog}: error: {e}", file=sys.stderr)
        return 2

    if not args.quiet:
        print(f"{'resuming' if args.resume else 'training'} {task.env_id} -> {out}", file=sys.stderr)
    try:
        summary = train(cfg, task, out, resume=bool(args.resume), quiet=args.quiet)
    except KeyboardInterrupt:
        # a second Ctrl-C, or one during the final evaluation: checkpoint.npz on disk is
        # the last complete one (saves are atomic), so say how to go on rather than dump a traceback
        print(f"\nrun.py {prog}: interrupted; {out}/checkpoint.npz holds the last saved state. "
              f"Continue with --resume {out}", file=sys.stderr)
        return 130
    return 130 if summary.get("interrupted") else 0
