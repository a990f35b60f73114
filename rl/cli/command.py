"""The command line shared by `run.py cartpole` and `run.py atari`.

    train:   run.py <cmd> [--seed S] [--steps N] [--out DIR [--overwrite]] [any config flag ...]
    resume:  run.py <cmd> --resume DIR [--steps N] [--lr X] [...RESUME_CAN_CHANGE]
    watch:   run.py <cmd> --eval PATH [--episodes K] [--gif FILE] [--filters FILE]

A command is described by a `Command` (its name, its config dataclass and
how to build its Task); `run_command` does the rest.  Following one flag,
`--lr`, from the command line to the update:

    AtariConfig.lr (atari/cli.py) -> add_flags: --lr (flags.py) -> run_command: cfg.lr
    -> train: make_optimizer(cfg, ...) (rl/train.py) -> Adam(lr=...) (nnpy/optim.py)

Bad input (an impossible value, a missing or wrong checkpoint, an
unwritable folder, an --out that holds another run, a replay memory larger
than the free RAM, a flag --resume cannot change or --eval would ignore) ends
with one line on stderr and exit status 2; a fault while
training (a diverging loss, a full disk) with one line and exit status 1,
the last checkpoint intact.
"""
import dataclasses
import json
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnpy import CheckpointError, load_npz

from ..dqn import DQNAgent
from ..dqn_config import DQNConfig
from ..prioritized import PrioritizedReplay
from ..train import Diverged, EvaluationInterrupted, Task, no_learning_warning, play_episode, train
from .checkpoints import check_is_npz, load_policy
from .flags import OneLineParser, add_flags, flag_groups, from_args
from .memory import MemoryTooSmall, check_replay_fits, mem_available
from .progress import count
from .run_folder import WriteError, clear_run, run_files
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
    env_fields: tuple[str, ...] = ()            # config fields that build the environment,
                                                # which --eval uses too (Atari: --game, ...)


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def _check_writable(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, ".write-test")
        with open(probe, "w"):
            pass
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"cannot write to --out {folder!r}: {e.strerror or e}") from None


#: what `--resume DIR` lets a flag change: how long to train, how often to evaluate, log and
#: checkpoint, the step size (lower --lr after a divergence) and the cores (--threads).
#: Everything else (the network, the replay memory, ε's schedule, the seed, ...) is what the
#: checkpoint was made with; changing it mid-run would make a different experiment, so it is
#: refused.
RESUME_CAN_CHANGE = ("steps", "lr", "max_grad_norm", "eval_every", "eval_episodes", "eval_give_up",
                     "final_eval_episodes", "sticky_eval_episodes", "log_every", "checkpoint_every",
                     "stop_after_solved", "threads")


#: settings every config.json has held since the first run: one without them is not a run's
#: (fields added later may be missing from older runs; DQNConfig.completed fills those)
SAVED_ALWAYS = ("seed", "steps", "lr", "gamma", "buffer_size", "batch_size", "learning_starts")


#: what `--eval PATH` uses besides the Command's env_fields: the network comes from PATH,
#: so a flag for anything else (--arch, --lr, --out, ...) would be ignored; it is refused
EVAL_USES = ("eval", "episodes", "gif", "filters", "seed", "eval_epsilon")
EVAL_ONLY = ("episodes", "gif", "filters")

#: what a network was made for, which --eval takes from the network's file unless the flag
#: is given: the actions its outputs score, and the luminance of the screens it learned from
AS_TRAINED = ("full_action_space", "luminance")

#: the path flags, each of which needs a non-empty value, and the pictures' file types
PATH_FLAGS = {"eval": "PATH", "resume": "DIR", "out": "DIR", "gif": "FILE", "filters": "FILE"}
PICTURE_TYPES = {"gif": ".gif", "filters": ".png"}


def flags_given(argv: list[str]) -> set[str]:
    """The flags named on the command line, spelt as fields: "--lr 0.5" and "--lr=0.5" give
    "lr", "--eval x" gives "eval" (the parser takes no abbreviations, so a flag is always
    written out in full)."""
    return {a[2:].split("=")[0].replace("-", "_") for a in argv if a.startswith("--")}


def flag_list(names) -> str:
    return ", ".join("--" + n.replace("_", "-") for n in names)


def _check_paths(args) -> None:
    """An empty path ("" from an unset shell variable) is refused, not taken for no flag; a
    picture's name and folder are checked before any episode is played."""
    for name, what in PATH_FLAGS.items():
        if getattr(args, name) == "":
            raise UsageError(f"--{name} needs a {what}, got an empty string")
    for name, suffix in PICTURE_TYPES.items():
        path = getattr(args, name)
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not path.lower().endswith(suffix) or os.path.isdir(path):
            raise UsageError(f"--{name} {path!r}: give a file name ending in {suffix}")
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise UsageError(f"--{name} {path!r}: {folder} is not a folder this user can write to")


def _as_trained(cfg: DQNConfig, path: str, given: set[str]) -> DQNConfig:
    """cfg with the AS_TRAINED settings saved with the network in `path`, where no flag
    gives them: a network trained on the full action set is played on it without being told."""
    names = [n for n in AS_TRAINED if hasattr(cfg, n) and n not in given]
    if not names:
        return cfg
    check_is_npz(path)
    _, meta = load_npz(path)
    saved = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    return dataclasses.replace(cfg, **{n: saved[n] for n in names
                                       if n in saved and type(saved[n]) is type(getattr(cfg, n))})


def _check_used(cfg: DQNConfig, given: set[str]) -> None:
    """Refuse a flag the run's other settings leave unused (cfg.ONLY_WITH): --atoms without
    --c51 true would change nothing, and saying so beats a run that silently ignores it."""
    for name, (setting, needed) in cfg.ONLY_WITH.items():
        if name in given and getattr(cfg, setting) != needed:      # values as flags spell them
            raise UsageError(f"{flag_list([name])} does something only with {flag_list([setting])} "
                             f"{str(needed).lower()}, and this run has {str(getattr(cfg, setting)).lower()}; "
                             f"drop it")


def _check_mode_flags(args, given: set[str], command: Command) -> None:
    """Refuse a flag the chosen mode (train, --resume, --eval) would silently ignore."""
    if args.eval:
        uses = EVAL_USES + command.env_fields
        ignored = sorted(given - set(uses))
        if ignored:
            raise UsageError(f"--eval plays the network saved in {args.eval}, so it would ignore "
                             f"{flag_list(ignored)}; with --eval give only {flag_list(uses[1:])}")
        return
    for name in EVAL_ONLY:
        if name in given:
            raise UsageError(f"--{name} works only together with --eval PATH")
    if args.resume and args.overwrite:
        raise UsageError(f"--resume {args.resume} continues the run there and --overwrite would "
                         f"delete it; give one of them")
    if args.resume and args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
        raise UsageError(f"--resume {args.resume!r} writes into that folder; drop --out {args.out!r}")


def default_out(cfg: DQNConfig, overwrite: bool) -> str:
    """runs/<run_name>, or if a run is there already (and no --overwrite), the first of
    runs/<run_name>_2, _3, ... that holds none: a new run never mixes with an old one, and
    the tries of docs/GUIDE.md can follow one another (Stable-Baselines3 numbers its log
    folders the same way)."""
    base = out = os.path.join("runs", cfg.run_name())
    k = 1
    while run_files(out) and not overwrite:
        k += 1
        out = f"{base}_{k}"
    return out


def _check_out(out: str, overwrite: bool) -> None:
    """A new run's folder must not hold another run: its files would mix with the new ones."""
    held = run_files(out)
    if held and not overwrite:
        go_on = (f"continue it with --resume {out}, " if "checkpoint.npz" in held else
                 "it stopped before its first checkpoint.npz, so it cannot be continued; ")
        raise UsageError(f"--out {out} already holds a run ({', '.join(held)}); {go_on}"
                         f"replace it with --overwrite, or choose another --out")


def _saved_config(cfg: DQNConfig, folder: str) -> dict:
    """The fields of DIR/config.json, each checked to be of its field's type."""
    saved = os.path.join(folder, "config.json")
    if os.path.isfile(folder):
        raise UsageError(f"--resume takes the run's folder, not a file; did you mean "
                         f"--resume {os.path.dirname(folder) or '.'}?")
    if not os.path.isdir(folder):
        raise UsageError(f"--resume {folder!r}: no such folder ({os.path.abspath(folder)}); "
                         f"give the --out folder of the run to continue")
    missing = [name for name in ("checkpoint.npz", "config.json")
               if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        why = (f"; the run stopped before its first checkpoint (saved every --checkpoint-every "
               f"steps): start it again with --out {folder} --overwrite"
               if missing == ["checkpoint.npz"] else "")
        raise UsageError(f"--resume {folder!r}: no {' and no '.join(missing)} in "
                         f"{os.path.abspath(folder)}{why}")
    try:
        with open(saved) as f:
            values = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"--resume: {saved} is not readable JSON ({e}); it is written by a "
                         f"training run, so restore it or start a new run") from None
    if not isinstance(values, dict):
        raise UsageError(f"--resume: {saved} is not a JSON object of hyperparameters")
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    for name, value in values.items():
        if name in fields:
            kind = type(fields[name].default)
            ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            if not ok and not (kind is float and isinstance(value, int) and not isinstance(value, bool)):
                raise UsageError(f"--resume: {saved} has {name} = {value!r}, expected a {kind.__name__}")
    missing = [name for name in SAVED_ALWAYS if name not in values]
    if missing:
        raise UsageError(f"--resume: {saved} has no {', '.join(missing)}, which every run's "
                         f"config.json holds; restore it, or start a new run")
    return {k: v for k, v in cfg.completed(values).items() if k in fields}


def _resumed_config(cfg: DQNConfig, folder: str, argv: list[str]) -> DQNConfig:
    """--resume DIR: the config saved in DIR; a flag given now replaces its saved value if it
    is one of RESUME_CAN_CHANGE, and is refused (exit 2) if it would change anything else."""
    values = _saved_config(cfg, folder)
    given = flags_given(argv) & {f.name for f in dataclasses.fields(cfg)}
    conflicts = sorted(name for name in given - set(RESUME_CAN_CHANGE)
                       if name in values and getattr(cfg, name) != values[name])
    if conflicts:
        raise UsageError(f"--resume cannot change {', '.join('--' + n.replace('_', '-') for n in conflicts)} "
                         f"(the run was made with {', '.join(f'{n}={values[n]!r}' for n in conflicts)}); "
                         f"it can change only {', '.join('--' + n.replace('_', '-') for n in RESUME_CAN_CHANGE)}")
    for name in given & set(RESUME_CAN_CHANGE):
        values[name] = getattr(cfg, name)
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
    n_env = getattr(env, "n_actions", None) or env.action_space.n
    if agent.n_actions != n_env:
        setting = (f" with --full-action-space {str(cfg.full_action_space).lower()}"
                   if hasattr(cfg, "full_action_space") else "")
        raise UsageError(f"{path} scores {agent.n_actions} actions and {task.env_id} has {n_env}"
                         f"{setting}; play it with the action set it was trained on")
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
        states = [s for _, _, s in episode1]
        inputs = [agent.prep(np.stack(states[k:k + 256])) for k in range(0, len(states), 256)]
        filters_picture(net, agent.prep(states[step][None])[0], inputs).save(filters)
        print(f"wrote {filters} (first-layer weights; feature maps of episode 1, step {step})",
              file=sys.stderr)
    print(f"mean_return={np.mean(returns):g} episodes={episodes}")


def make_parser(command: Command) -> OneLineParser:
    """The command's flags in the order a newcomer needs them: what to run and watch first
    (--game, --seed, --steps, --out, --eval, ...), then the hyperparameters in groups."""
    parser = OneLineParser(prog=f"run.py {command.name}", description=command.description)
    (title, first), *rest = flag_groups(command.config)
    run = parser.add_argument_group(title)
    add_flags(run, command.config, first)
    example = os.path.join("runs", command.config().run_name())
    run.add_argument("--out", metavar="DIR", help=f"the run's folder; refused if it holds a run "
                     f"(default: {example}, else _2, _3, ...)")
    run.add_argument("--eval", metavar="PATH", help="play a saved network (a run's best.npz or "
                     "checkpoint.npz) instead of training")
    run.add_argument("--episodes", type=int, metavar="INT", default=10,
                     help="episodes to play with --eval (default: 10)")
    run.add_argument("--gif", metavar="FILE", help="with --eval: save episode 1 as an animated GIF, "
                     "each action's Q-value beside the game")
    run.add_argument("--filters", metavar="FILE", help="with --eval: save a PNG of the first layer's "
                     f"filters and its feature maps at step {FEATURE_STEP}")
    run.add_argument("--resume", metavar="DIR", help="continue the interrupted run in DIR")
    run.add_argument("--overwrite", action="store_true", help="train into an --out that holds a "
                     "run: that run's files are deleted first")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    for title, names in rest:
        add_flags(parser.add_argument_group(title), command.config, names)
    return parser


def watch_command(command: Command, cfg: DQNConfig, out: str) -> str:
    """The command line that plays the network a run in `out` just saved and records a GIF."""
    policy = os.path.join(out, "best.npz" if os.path.isfile(os.path.join(out, "best.npz"))
                          else "checkpoint.npz")
    defaults = command.config()
    env = "".join(f" --{name.replace('_', '-')} {str(getattr(cfg, name)).lower()}"
                  for name in command.env_fields if getattr(cfg, name) != getattr(defaults, name))
    return (f"python run.py {command.name}{env} --eval {policy} --episodes 1 "
            f"--gif {os.path.join(out, 'episode.gif')}")


def run_command(argv: list[str], command: Command) -> int:
    """Parse flags, then train, resume or --eval.  Returns the exit status."""
    prog = f"run.py {command.name}"
    args = make_parser(command).parse_args(argv)   # argparse itself exits with status 2 on bad flags

    try:
        cfg = from_args(command.config, args)
        given = flags_given(argv)
        _check_mode_flags(args, given, command)
        _check_paths(args)
        if not args.eval and not args.resume:
            _check_used(cfg, given)
        if args.resume:
            cfg = _resumed_config(cfg, args.resume, argv)
        if args.eval:
            cfg = _as_trained(cfg, args.eval, given)
        cfg = cfg.resolved()
        cfg.validate()
        task = command.make_task(cfg)
        if args.eval:
            _watch(cfg, task, args.eval, args.episodes, args.gif, args.filters)
            return 0
        out = args.resume or args.out or default_out(cfg, args.overwrite)
        if not args.resume:
            _check_out(out, args.overwrite)
        # before D is allocated: np.zeros hands out pages lazily, so a memory too large for
        # this machine would otherwise be found out by the OS hours into the run
        per_slot = task.memory_bytes_per_transition + (PrioritizedReplay.bytes_per_slot(cfg.buffer_size)
                                                       if cfg.prioritized else 0)
        fits = check_replay_fits(cfg.buffer_size, per_slot, mem_available())
        _check_writable(out)                    # last: it makes the folder, which a refusal would leave
    except (UsageError, OSError, ValueError, MemoryTooSmall) as e:      # CheckpointError is a ValueError
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2

    if args.overwrite:
        clear_run(out)
    if not args.resume and (warning := no_learning_warning(cfg.steps, cfg.learning_starts)):
        print(f"{prog}: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        cores = cfg.cores() if task.half_batches else 1     # a small MLP learns on one thread
        until = f"up to step {cfg.steps:,}" + (" (stops earlier once solved)" if cfg.stop_after_solved
                                                and task.reward_threshold is not None else "")
        print(f"{'resuming' if args.resume else 'training'} {task.env_id} -> {out} {until} on "
              f"{count(cores, 'thread')}; {fits}", file=sys.stderr)
    checkpoint = os.path.join(out, "checkpoint.npz")
    try:
        with warnings.catch_warnings():
            # overflow / invalid-value warnings from numpy would only repeat, many lines long,
            # what the Diverged line below says once: train() checks the loss and weights itself
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(nnpy|numpy)(\.|$)")
            result = train(cfg, task, out, resume=bool(args.resume), quiet=args.quiet)
    except CheckpointError as e:        # --resume: checkpoint.npz is read first, before any write
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except Diverged as e:
        # nothing was saved after the last finite state: say what is left and how to go on
        left = (f"{checkpoint} holds the last finite state: --resume {out} --lr {cfg.lr / 10:g}"
                if os.path.isfile(checkpoint) else "no checkpoint had been saved yet")
        print(f"{prog}: error: {e}. Try a lower --lr (now {cfg.lr:g}) and keep gradient clipping "
              f"(--max-grad-norm, now {cfg.max_grad_norm:g}); {left}", file=sys.stderr)
        return 1
    except WriteError as e:
        left = (f"{checkpoint} from before is intact (--resume {out} once there is room)"
                if os.path.isfile(checkpoint) else "no checkpoint had been saved yet")
        print(f"{prog}: error: {e}; {left}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory while training (--buffer-size {cfg.buffer_size:,}, "
              f"--batch-size {cfg.batch_size}); try smaller values", file=sys.stderr)
        return 1
    except EvaluationInterrupted as e:
        print(f"\n{prog}: {e}; --resume {out} plays it again and writes summary.json", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        # a second Ctrl-C: checkpoint.npz on disk is the last complete one (saves are
        # atomic), so say how to go on rather than dump a traceback
        left = (f"{checkpoint} holds the last saved state. Continue with --resume {out}"
                if os.path.isfile(checkpoint) else "no checkpoint had been saved yet")
        print(f"\n{prog}: interrupted; {left}", file=sys.stderr)
        return 130
    if result.interrupted:
        return 130
    if not args.quiet:
        print(f"next: watch it play with  {watch_command(command, cfg, out)}", file=sys.stderr)
    return 0
