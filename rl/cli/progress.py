"""Showing and recording progress: a live status line and progress.csv.

On a terminal the status line is rewritten in place (carriage return) a few
times a second; when output goes to a file or a pipe, a plain line is
printed every log interval instead, so logs stay readable.
"""
import csv
import os
import sys
import time

from nnpy import atomic_file

CSV_COLUMNS = ["step", "episode", "recent_mean_return", "epsilon", "loss", "steps_per_s",
               "eval_mean_return", "avg_max_q"]


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


class ProgressLine:
    def __init__(self, total_steps: int, stream=sys.stdout):
        self.total, self.stream = total_steps, stream
        self.live = stream.isatty()
        self.last_draw = 0.0

    def status(self, step, episodes, recent_return, epsilon, steps_per_s) -> str:
        eta = (self.total - step) / steps_per_s if steps_per_s > 0 else 0
        ret = "  n/a " if recent_return is None else f"{recent_return:7.1f}"
        return (f"step {step:>9,}/{self.total:,} ({100 * step / self.total:5.1f}%)  episodes {episodes:>6,}"
                f"  recent return {ret}  ε {epsilon:.3f}  {steps_per_s:7.0f} steps/s"
                f"  ETA {format_duration(eta)}")

    def due(self) -> bool:
        """Time to redraw the live line? (TTY only, at most 4 times a second.)"""
        return self.live and time.monotonic() - self.last_draw > 0.25

    def update(self, *fields, force: bool = False) -> None:
        """Redraw the live line (TTY only, at most 4 times a second)."""
        if (force and self.live) or self.due():
            self.stream.write("\r" + self.status(*fields) + "\033[K")
            self.stream.flush()
            self.last_draw = time.monotonic()

    def log(self, *fields, extra: str = "") -> None:
        """Print a permanent line (on a TTY it replaces the live line)."""
        line = self.status(*fields) + extra
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
            with open(path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
        with atomic_file(path, "w", newline="") as f:       # on resume: the old rows survive a failed rewrite
            writer = csv.DictWriter(f, CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, CSV_COLUMNS).writerow(row)
