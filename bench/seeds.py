"""Run one `run.py` command for several seeds, one after the other, and tabulate the results.

Shared by bench/cartpole.py and bench/pong.py.  Each seed trains in a fresh
process (`run.py <command> --seed S --out DIR/seed-S --quiet [flags]`); its
summary.json is read back and becomes one row of a Markdown table.  Runs go
one at a time because two runs at once share the machine's two cores and
spoil each other's wall times; the machine's load is printed first so a
reader can tell an idle-machine figure from a busy one.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4];  '0,2,7-8' -> [0, 2, 7, 8]."""
    seeds = []
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            seeds += range(int(lo), int(hi or lo) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds like 0-4 or 0,2,5, got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}")
    return seeds


def machine_line() -> str:
    """Python, CPUs, BLAS threads and the 1-minute load: the conditions a wall time was taken in."""
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "unknown"
    return (f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
            f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
            f"load average (1 min) {load}")


@dataclass
class Column:
    """One table column: its header, the cell for a summary, and the median row's cell
    (None: the column has no meaningful median, e.g. the seed)."""
    header: str
    cell: Callable[[dict], str]
    median_of: Callable[[dict], float | None] | None = None
    median_format: str = ".1f"


def fmt(value, spec: str) -> str:
    """A number formatted, or an em dash for a missing value (a run that never got there)."""
    return "—" if value is None else format(value, spec)


def markdown_table(columns: list[Column], rows: list[dict]) -> str:
    """One row per summary, then a row of medians (over the rows that have a value)."""
    lines = ["| " + " | ".join(c.header for c in columns) + " |",
             "|" + "---:|" * len(columns)]
    for s in rows:
        lines.append("| " + " | ".join(c.cell(s) for c in columns) + " |")
    medians = []
    for c in columns:
        values = [] if c.median_of is None else [v for v in map(c.median_of, rows) if v is not None]
        medians.append(fmt(statistics.median(values), c.median_format) if values else "")
    medians[0] = "median"
    lines.append("| " + " | ".join(medians) + " |")
    return "\n".join(lines)


def run_seed(command: str, seed: int, out: str, extra: list[str], carry_on: bool = False) -> dict | None:
    """Train one seed in a fresh process; its summary.json (plus "seed" and the step budget
    "budget" from its config.json), or None if it failed.

    carry_on: a seed whose folder has summary.json is read back, not run again, and one with
    only checkpoint.npz (a run stopped midway) is resumed; its wall time adds up over both."""
    summary_path = os.path.join(out, "summary.json")
    if carry_on and os.path.exists(summary_path):
        print(f"seed {seed}: finished before, read from {summary_path}", flush=True)
    else:
        where = (["--resume", out] if carry_on and os.path.exists(os.path.join(out, "checkpoint.npz"))
                 else ["--seed", str(seed), "--out", out])
        cmd = [sys.executable, os.path.join(REPO, "run.py"), command, *where, "--quiet", *extra]
        if not run_ok(cmd, seed):
            return None
    with open(summary_path) as f:
        summary = json.load(f)
    with open(os.path.join(out, "config.json")) as f:
        budget = json.load(f)["steps"]        # a run that ended short of it was stopped by its rule
    return {**summary, "seed": seed, "budget": budget}


def run_ok(cmd: list[str], seed: int) -> bool:
    """Run cmd; on a non-zero exit say so with its error output and return False."""
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"seed {seed}: run.py exited with status {done.returncode}: {done.stderr.strip()}",
              file=sys.stderr)
        return False
    return True


def main(command: str, doc: str, default_seeds: str, columns: list[Column],
         verdict: Callable[[list[dict]], str], extra_args: list[str] | None = None) -> int:
    """Parse --seeds/--out (flags after -- go to run.py), run the seeds, print the table."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0],
                                     epilog=f"Flags after -- are passed on to run.py {command}.")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds(default_seeds),
                        help=f"seeds to run, e.g. 0-4 or 0,2,5 (default: {default_seeds})")
    parser.add_argument("--out", default=f"runs/bench-{command}", metavar="DIR",
                        help=f"each seed's run folder is DIR/seed-S (default: runs/bench-{command})")
    parser.add_argument("--continue", dest="carry_on", action="store_true",
                        help="go on with an interrupted --out: read the seeds that finished, resume "
                             "the one that was stopped (its wall time counts both parts)")
    args, extra = parser.parse_known_args()
    if extra and extra[0] == "--":
        extra = extra[1:]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)} (put run.py flags after --)")
    extra = [*(extra_args or []), *extra]

    print(machine_line() + (f", flags: {' '.join(extra)}" if extra else ""), flush=True)
    rows = []
    try:
        for seed in args.seeds:
            summary = run_seed(command, seed, os.path.join(args.out, f"seed-{seed}"), extra, args.carry_on)
            if summary is None:
                return 1
            rows.append(summary)
            print(f"seed {seed}: " + ", ".join(f"{c.header} {c.cell(summary)}" for c in columns[1:]),
                  flush=True)
    except KeyboardInterrupt:                # the running seed saved its checkpoint and stopped
        print("interrupted", file=sys.stderr)
        return 130
    print()
    print(markdown_table(columns, rows))
    print()
    print(verdict(rows))
    print(machine_line())
    return 0
