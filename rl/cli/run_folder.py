"""The files one training run writes, in one place (the README's table lists them).

    config.json     every hyperparameter (what --resume reads back)
    progress.csv    a row every log_every steps and at each evaluation
    curve.png       the learning curve
    checkpoint.npz  everything needed to resume: both networks, optimizer, counters, RNG states
    best.npz        the network with the best evaluation score so far (rl/train.py, RunState.record_eval)
    summary.json    the result of a finished run

`rl/train.py` calls these methods by name between the steps of Algorithm 1;
how a row is formatted or a file is written lives here, out of the loop's way.
"""
import dataclasses
import errno
import json
import os
import time
from contextlib import contextmanager

import numpy as np

from nnpy import CheckpointError, atomic_file

from .checkpoints import load_checkpoint, load_policy, save_checkpoint, save_policy
from .plot import plot_curve
from .progress import ProgressCSV, ProgressLine

RUN_FILES = ("config.json", "progress.csv", "curve.png", "checkpoint.npz", "best.npz", "summary.json")


def write_json(path: str, obj: dict) -> None:
    """Write obj as JSON to path atomically (nnpy's atomic_file: a temporary file, then a rename)."""
    with atomic_file(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def run_files(folder: str) -> list[str]:
    """The files of a run already in `folder`, in RUN_FILES' order ([] for none, or no folder)."""
    return [name for name in RUN_FILES if os.path.isfile(os.path.join(folder, name))]


def clear_run(folder: str) -> None:
    """Delete a run's files from `folder` (and any temporary file a killed save left), so a
    new run there mixes with nothing; other files in the folder are left alone."""
    for name in run_files(folder) + [n for n in os.listdir(folder) if n.startswith(".tmp-")]:
        os.unlink(os.path.join(folder, name))


class WriteError(Exception):
    """A file of the run folder could not be written (a full disk, a folder made read-only)."""


@contextmanager
def writing(path: str):
    """Inside `with writing(path):` an OSError becomes a WriteError naming the file and the
    errno, so a full disk mid-run ends with one line, not a traceback."""
    try:
        yield
    except OSError as e:
        name = errno.errorcode.get(e.errno, "?")
        raise WriteError(f"cannot write {path}: [Errno {e.errno} {name}] {e.strerror or e}") from None


class RunFolder:
    """Reads and writes the run folder `out_dir` of a run of `cfg` on `task`.

    `run` arguments are the loop's RunState (rl/train.py): step, episode, returns, ...
    """

    def __init__(self, out_dir: str, cfg, task, quiet: bool = False):
        self.dir, self.cfg, self.task = out_dir, cfg, task
        self.path = {name: os.path.join(out_dir, name) for name in RUN_FILES}
        # stored in best.npz and checkpoint.npz, so --eval can rebuild the environment
        self.meta = {"config": dataclasses.asdict(cfg), **task.policy_meta}
        self.line = None if quiet else ProgressLine(cfg.steps)
        self.csv = None
        self.steps_per_s, self._tick = 0.0, (time.monotonic(), 0)

    # -- starting and resuming ----------------------------------------------------------
    def start(self, step: int, resume: bool) -> None:
        """Open progress.csv (on resume: keep its rows up to `step`), then write config.json.
        A temporary file left by a killed save (SIGKILL, a power cut: no cleanup ran) is
        removed first; the file it was to replace is whole (nnpy's atomic_file)."""
        for name in os.listdir(self.dir):
            if name.startswith(".tmp-"):
                os.unlink(os.path.join(self.dir, name))
        with writing(self.path["progress.csv"]):      # first: a damaged one stops a resume here
            self.csv = ProgressCSV(self.path["progress.csv"], resume_step=step if resume else None)
        with writing(self.path["config.json"]):
            write_json(self.path["config.json"], {"env_id": self.task.env_id, **dataclasses.asdict(self.cfg)})
        self._tick = (time.monotonic(), step)
        if self.line is not None:
            self.line.learning_from = step + self.cfg.learning_starts    # as train() counts it

    def load_checkpoint(self, agent, act_rng: np.random.Generator, memory_rng: np.random.Generator) -> dict:
        """Restore agent and both random-number generators from checkpoint.npz; returns the
        saved run state as a dict."""
        meta = load_checkpoint(self.path["checkpoint.npz"], agent, self.task.env_id)
        act_rng.bit_generator.state = meta["act_rng"]
        memory_rng.bit_generator.state = meta["memory_rng"]
        return meta["run"]

    def save_checkpoint(self, agent, run, act_rng: np.random.Generator, memory_rng: np.random.Generator) -> None:
        with writing(self.path["checkpoint.npz"]):
            save_checkpoint(self.path["checkpoint.npz"], agent, self.task.env_id, dataclasses.asdict(run),
                            {**self.meta, "act_rng": act_rng.bit_generator.state,
                             "memory_rng": memory_rng.bit_generator.state})

    def load_best(self, net) -> None:
        """best.npz's weights into net: a resumed run's best network so far."""
        if not os.path.isfile(self.path["best.npz"]):
            raise CheckpointError(f"--resume {self.dir}: no best.npz, the best network so far, which "
                                  f"the run saved; restore it, or start again with --out {self.dir} --overwrite")
        best, _ = load_policy(self.path["best.npz"], self.task.env_id)
        net.load_weights_from(best)

    def save_best(self, net) -> None:
        with writing(self.path["best.npz"]):
            save_policy(self.path["best.npz"], net, self.task.env_id, self.meta)

    # -- logging ------------------------------------------------------------------------
    def log(self, run, epsilon: float, evaluated: list[float] | None) -> None:
        """A progress.csv row, and a printed line (on a terminal: only at evaluations).
        evaluated: the returns of the evaluation at this step, if there was one."""
        now, (tick_time, tick_step) = time.monotonic(), self._tick
        self.steps_per_s = (run.step - tick_step) / max(now - tick_time, 1e-9)
        self._tick = (now, run.step)
        recent = run.recent_mean()
        with writing(self.path["progress.csv"]):
            self.csv.write({"step": run.step, "episode": run.episode,
                            "recent_mean_return": "" if recent is None else f"{recent:.3f}",
                            "epsilon": f"{epsilon:.4f}",
                            "loss": "" if run.last_loss is None else f"{run.last_loss:.6f}",
                            "steps_per_s": f"{self.steps_per_s:.0f}",
                            "eval_mean_return": "" if evaluated is None else f"{np.mean(evaluated):.3f}",
                            "avg_max_q": f"{run.avg_max_q[-1]:.4f}",
                            "eval_episodes": "" if evaluated is None else len(evaluated)})
        if self.line is not None and (evaluated is not None or not self.line.live):
            self.line.log(run.step, run.episode, recent, epsilon,
                          extra="" if evaluated is None else f"  eval {np.mean(evaluated):.1f}")

    def show(self, run, epsilon: float) -> None:
        """Note the speed and redraw the live status line (at most 4 times a second)."""
        if self.line is not None:
            self.line.update(run.step, run.episode, run.recent_mean(), epsilon)

    def message(self, text: str) -> None:
        if self.line is not None:
            self.line.message(text)

    def warn(self, text: str) -> None:
        """A warning is shown even with --quiet."""
        (self.line or ProgressLine(self.cfg.steps)).message(f"warning: {text}")

    def plot(self, run) -> None:
        with writing(self.path["curve.png"]):
            plot_curve(self.path["curve.png"], self.task.env_id, run.episode_steps, run.episode_returns,
                       run.eval_steps, run.eval_returns, run.step, self.task.reward_threshold,
                       q_steps=run.q_steps, avg_max_q=run.avg_max_q)

    def save_summary(self, result) -> None:
        with writing(self.path["summary.json"]):
            write_json(self.path["summary.json"], dataclasses.asdict(result))
