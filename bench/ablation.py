"""The ablation table of Pong runs: for each seed and each mix of the DQN family's pieces,
the step of the first evaluation ≥ +18 and the final evaluation on 10 fresh games.

    python bench/ablation.py \
        results/pong/experiments/{uniform-replay,dueling,prioritized,noisy,all-pieces}-seed-[0-4]

Each folder given is one run (progress.csv, config.json and, if it finished, summary.json).
Its config.json says which pieces were on (dueling, prioritized, noisy, c51), and so its column;
its seed says its row.  A run whose training settings differ from the first run's in
anything but the pieces is left out with one line saying why, so that the table compares
like with like (a config.json older than a setting is read as the code of its time ran,
rl/dqn_config.py:DQNConfig.completed; a piece's own settings count only where it is on, as
C51's atoms do);
where two runs fill one cell, the first given is kept.
Step counts do not depend on the machine, which is why runs made side by side may be
tabulated here; their steps/s may not.
"""
import argparse
import csv
import json
import os
import sys

from rl.cli.progress import count
from rl.dqn_config import DQNConfig

PIECES = ("dueling", "prioritized", "noisy", "c51")
COLUMNS = {(): "no piece", ("dueling",): "+ dueling", ("prioritized",): "+ prioritized",
           ("noisy",): "+ noisy", ("c51",): "+ c51", ("dueling", "prioritized", "noisy"): "all three"}
# settings that may differ between runs of one table: the pieces, the seed, how far a run
# was allowed to go (it stops by its rule long before its budget), its threads (results do
# not depend on them) and how its networks were scored without changing what it learned
FREE = set(PIECES) | {"seed", "steps", "threads", "sticky_eval_episodes", "eval_give_up"}


def read_run(folder: str) -> dict:
    """One run folder -> {'config', 'evals': [(step, mean return, games)], 'last_step', 'summary'}."""
    with open(os.path.join(folder, "config.json")) as f:
        config = DQNConfig.completed(json.load(f))
    if not config.get("prioritized"):                 # its α and β schedule played no part
        config = {k: v for k, v in config.items() if not k.startswith("priority_")}
    if not config.get("c51"):                         # nor did C51's atoms
        config = {k: v for k, v in config.items() if k not in ("atoms", "v_min", "v_max")}
    with open(os.path.join(folder, "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    evals = [(int(r["step"]), float(r["eval_mean_return"]), int(r.get("eval_episodes") or 0))
             for r in rows if r["eval_mean_return"]]
    summary_path = os.path.join(folder, "summary.json")
    summary = None
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    return {"config": config, "evals": evals, "last_step": int(rows[-1]["step"]) if rows else 0,
            "summary": summary}


def read_runs(folders: list[str]) -> dict[str, dict]:
    """{folder: read_run(folder)} for the folders that are readable runs; one line on stderr
    for each that is not."""
    runs = {}
    for folder in folders:
        try:
            runs[folder] = read_run(folder)
        except (OSError, ValueError, KeyError) as e:
            print(f"skipped {folder}: not a readable run folder ({e})", file=sys.stderr)
    return runs


def cell(run: dict, threshold: float) -> str:
    """'137,500 · +19.4 (sticky +12.7)': the first step with an evaluation ≥ threshold and the
    final evaluation; for an unfinished run, its last evaluation and its last logged step."""
    first = next((step for step, mean, _ in run["evals"] if mean >= threshold), None)
    summary = run["summary"]
    if summary is not None and summary.get("final_eval_mean_return") is not None:
        text = f"{first:,}" if first is not None else "never"
        text += f" · {summary['final_eval_mean_return']:+.1f}"
        if summary.get("sticky_eval_mean_return") is not None:
            text += f" (sticky {summary['sticky_eval_mean_return']:+.1f})"
        return text
    if first is not None:
        return f"{first:,} · unfinished, logged to {run['last_step']:,}"
    if not run["evals"]:
        return f"not yet: no evaluation, logged to {run['last_step']:,}"
    step, mean, games = run["evals"][-1]
    played = count(games, "game") if games else "games not logged"
    return f"not yet: {mean:+.1f} at {step:,} ({played}), logged to {run['last_step']:,}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders (each with config.json and progress.csv)")
    parser.add_argument("--threshold", type=float, default=18.0,
                        help="the evaluation that counts as solved")
    args = parser.parse_args(argv)
    table, reference = {}, {}                       # reference: each setting's first kept value
    for folder, run in read_runs(args.runs).items():
        config = run["config"]
        pieces = tuple(p for p in PIECES if config.get(p))
        others = {k: v for k, v in config.items() if k not in FREE}
        differ = sorted(k for k in set(others) & set(reference) if others[k] != reference[k])
        if pieces not in COLUMNS or differ:
            why = f"settings other than the pieces differ: {', '.join(differ)}" if differ else "no column"
            print(f"skipped {folder}: {why}", file=sys.stderr)
            continue
        reference = {**others, **reference}         # a piece's settings: from its first run
        key = (config["seed"], COLUMNS[pieces])
        if key in table:
            print(f"skipped {folder}: seed {key[0]}, {key[1]} is already {table[key][0]}",
                  file=sys.stderr)
            continue
        table[key] = (folder, cell(run, args.threshold))
    seeds = sorted({seed for seed, _ in table})
    print(f"first evaluation ≥ {args.threshold:+g} (step) · final evaluation, 10 games (sticky actions)\n")
    print("| seed | " + " | ".join(COLUMNS.values()) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for seed in seeds:
        cells = [table[(seed, c)][1] if (seed, c) in table else "not run" for c in COLUMNS.values()]
        print(f"| {seed} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
