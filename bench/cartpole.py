"""Does `python run.py cartpole` solve CartPole-v1 with its defaults, and how fast?

Runs `run.py cartpole --seed S` for each seed, one after the other (two runs at
once would share the machine's cores and spoil each other's timings), then
prints one row per seed and the median:

    seed | solved_at_step | final eval | wall s

solved_at_step is the first periodic evaluation whose mean return reached 475;
final eval is the mean return of the best network over the final evaluation's
episodes; wall s is the run's own training time (summary.json), without the
second or so Python needs to start.  The goal: final eval ≥ 475 within 50,000
steps, in under 60 s, for at least 4 of seeds 0-4.

    python bench/cartpole.py --seeds 0-4
    python bench/cartpole.py --seeds 0,3 -- --hidden 128     (flags after -- go to run.py)
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL = 475.0


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


def run_seed(seed: int, out: str, extra: list[str]) -> dict | None:
    """Train one seed in a fresh process; its summary.json, or None if the run failed."""
    cmd = [sys.executable, os.path.join(REPO, "run.py"), "cartpole", "--seed", str(seed),
           "--out", out, "--quiet", *extra]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"seed {seed}: run.py exited with status {done.returncode}: {done.stderr.strip()}",
              file=sys.stderr)
        return None
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def table(rows: list[tuple[int, dict]]) -> str:
    """A Markdown table: one row per seed, then the medians."""
    def fmt(value, spec):
        return "—" if value is None else format(value, spec)

    lines = ["| seed | solved_at_step | final eval | wall s |", "|---:|---:|---:|---:|"]
    for seed, s in rows:
        lines.append(f"| {seed} | {fmt(s['solved_at_step'], ',')} | "
                     f"{s['final_eval_mean_return']:.1f} | {s['wall_seconds']:.1f} |")
    solved = [s["solved_at_step"] for _, s in rows if s["solved_at_step"] is not None]
    lines.append(f"| median | {fmt(statistics.median(solved) if solved else None, ',.0f')} | "
                 f"{statistics.median(s['final_eval_mean_return'] for _, s in rows):.1f} | "
                 f"{statistics.median(s['wall_seconds'] for _, s in rows):.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     epilog="Flags after -- are passed on to run.py cartpole.")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-4"),
                        help="seeds to run, e.g. 0-4 or 0,2,5 (default: 0-4)")
    parser.add_argument("--out", default="runs/bench-cartpole", metavar="DIR",
                        help="each seed's run folder is DIR/seed-S (default: runs/bench-cartpole)")
    args, extra = parser.parse_known_args()
    if extra and extra[0] == "--":
        extra = extra[1:]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)} (put run.py flags after --)")

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={threads}"
          f"{', extra flags: ' + ' '.join(extra) if extra else ''}", flush=True)
    rows = []
    try:
        for seed in args.seeds:
            summary = run_seed(seed, os.path.join(args.out, f"seed-{seed}"), extra)
            if summary is None:
                return 1
            rows.append((seed, summary))
            print(f"seed {seed}: final eval {summary['final_eval_mean_return']:.1f}, solved at step "
                  f"{summary['solved_at_step']}, {summary['wall_seconds']:.1f} s", flush=True)
    except KeyboardInterrupt:                # the running seed saved its checkpoint and stopped
        print("interrupted", file=sys.stderr)
        return 130
    print()
    print(table(rows))
    good = sum(s["final_eval_mean_return"] >= GOAL for _, s in rows)
    print(f"\nfinal eval ≥ {GOAL:g}: {good} of {len(rows)} seeds; "
          f"slowest run {max(s['wall_seconds'] for _, s in rows):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
