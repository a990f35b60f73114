"""Showing and recording progress: a live status line and progress.csv.

On a terminal the status line is rewritten in place (carriage return) a few
times a second; when output goes to a file or a pipe, a plain line is
printed every log interval instead, so logs stay readable.  It goes to
stderr, with every other message of a run; stdout is left for results.

    steps/s = steps over the last RATE_WINDOW seconds of stepping / those seconds
    ETA     = steps left to the budget / (steps since learning began / seconds since)

The live steps/s is how fast the loop steps now: a pause with no step for
PAUSE seconds or more (an evaluation) is left out of its window, or the line
printed after a long evaluation would show a few steps over a minute.  The
ETA's speed is measured from the first learning step on: the replay fill
before it only acts (several times faster), and an average over the learning
phase counts the evaluations' pauses at their true share.
"""
import csv
import os
import shutil
import sys
import time
from collections import deque

from nnpy import CheckpointError, atomic_file

CSV_COLUMNS = ["step", "episode", "recent_mean_return", "epsilon", "loss", "steps_per_s",
               "eval_mean_return", "avg_max_q", "eval_episodes"]
RATE_WINDOW = 10.0      # seconds of steps the live steps/s is measured over
REDRAW = 0.25           # seconds between two redraws of the live line (and speed samples)
PAUSE = RATE_WINDOW / 2  # no sample for this long: the loop stopped stepping (an evaluation)


def format_duration(seconds: float) -> str:
    """3725 -> '1h02m', 125 -> '2m05s', 4.26 -> '4.3s'."""
    if seconds < 60:
        return f"{max(0.0, seconds):.1f}s"
    seconds = int(seconds)
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def short_count(n: int) -> str:
    """700000 -> '700k', 1500000 -> '1.5M', 500 -> '500'."""
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k" if n >= 1000 else str(n)


def count(n: int, noun: str) -> str:
    """1, 'episode' -> '1 episode'; 10, 'episode' -> '10 episodes'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class ProgressLine:
    """The status line: step, episodes, recent return, ε, the current speed and the ETA.

    `learning_from` is the step at which learning begins (after the replay fill);
    `clock` is time.monotonic, or a fake one in tests; `width`: the terminal's columns (a
    live line longer than that would wrap, and a carriage return cannot redraw it)."""

    def __init__(self, total_steps: int, learning_from: int = 0, stream=None, clock=time.monotonic,
                 width: int | None = None):
        self.total, self.learning_from = total_steps, learning_from
        self.stream = sys.stderr if stream is None else stream
        self.live, self.clock = self.stream.isatty(), clock
        self.width = width or shutil.get_terminal_size().columns
        self.samples = deque()              # (time, step) of the last RATE_WINDOW seconds
        self.learning_since = None          # (time, step) of the first sample once learning began
        self.last_sample = -REDRAW

    def sample(self, step: int) -> None:
        """Record the time at `step`; the speed and the ETA are measured from these samples."""
        now = self.clock()
        self.last_sample = now
        gap = now - self.samples[-1][0] if self.samples else 0.0
        if gap >= PAUSE:                    # a pause: shift the window's samples past it
            self.samples = deque((t + gap, s) for t, s in self.samples)
        self.samples.append((now, step))
        while len(self.samples) > 2 and now - self.samples[1][0] >= RATE_WINDOW:
            self.samples.popleft()          # keeps the one sample just older than the window
        if self.learning_since is None and step >= self.learning_from:
            self.learning_since = (now, step)

    def speed(self) -> str:
        """'  140 steps/s' over the last RATE_WINDOW seconds, once two samples are there."""
        (t0, s0), (t1, s1) = self.samples[0], self.samples[-1]
        if t1 <= t0:
            return "   n/a steps/s"
        return f"{(s1 - s0) / (t1 - t0):6.0f} steps/s"

    def eta(self, step: int) -> str:
        budget = f"to the {short_count(self.total)} budget"
        if self.learning_since is None:
            return f"ETA: learning from step {self.learning_from:,}"       # the fill is no guide
        (t0, s0), (t1, s1) = self.learning_since, self.samples[-1]
        if t1 <= t0 or s1 <= s0:
            return f"ETA {budget}: measuring"
        return f"ETA {format_duration((self.total - step) * (t1 - t0) / (s1 - s0))} {budget}"

    def status(self, step, episodes, recent_return, epsilon) -> str:
        ret = "  n/a " if recent_return is None else f"{recent_return:7.1f}"
        return (f"step {step:>7,}/{self.total:,} ({100 * step / self.total:4.1f}%) {self.speed()}"
                f"  {self.eta(step)}  episodes {episodes:,}  recent return {ret}  ε {epsilon:.3f}")

    def update(self, step, *fields) -> None:
        """Note the speed, and on a terminal redraw the live line (both at most every REDRAW s)."""
        if self.clock() - self.last_sample < REDRAW:
            return
        self.sample(step)
        if self.live:
            self.stream.write("\r" + self.status(step, *fields)[:self.width - 1] + "\033[K")
            self.stream.flush()

    def log(self, step, *fields, extra: str = "") -> None:
        """Print a permanent line (on a terminal it replaces the live line)."""
        self.sample(step)
        line = self.status(step, *fields) + extra
        self.stream.write(("\r" + line + "\033[K\n") if self.live else line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.live else "") + text + "\n")
        self.stream.flush()


class ProgressCSV:
    """progress.csv, one row per log interval and per evaluation; on resume, rows past the
    checkpoint are dropped."""

    def __init__(self, path: str, resume_step: int | None = None):
        self.path = path
        rows = []
        if resume_step is not None and os.path.exists(path):
            try:
                with open(path, newline="") as f:
                    reader = csv.DictReader(f)
                    rows = [r for r in reader if int(r["step"]) <= resume_step]
                unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
                if unknown or any(None in r for r in rows):       # a column not ours, a long row
                    raise ValueError(f"columns {sorted(unknown)} or a row longer than its header")
            except (KeyError, ValueError, TypeError, csv.Error) as e:   # UnicodeDecodeError too
                raise CheckpointError(f"--resume: {path} is damaged ({type(e).__name__}: {e}); "
                                      f"move it away to continue without its rows") from None
        with atomic_file(path, "w", newline="") as f:       # on resume: the old rows survive a failed rewrite
            writer = csv.DictWriter(f, CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, CSV_COLUMNS).writerow(row)
