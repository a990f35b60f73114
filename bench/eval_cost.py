"""How much of a run's wall time its periodic evaluations took, read from its progress.csv.

    python bench/eval_cost.py results/pong/seed-[5-9]

A progress.csv row's steps_per_s is the speed over the steps since the row before, so a row
at an evaluation covers that evaluation's games too.  Its training alone is taken to run at
the speed of the next row without an evaluation (the one before, at the end of a run):

    window seconds  = (step − previous step) / steps_per_s
    eval seconds    ≈ window seconds − (step − previous step) / speed without evaluation

summed over the evaluations up to the first one ≥ --threshold (the time the goal is
measured by) and over the whole run.  The speeds are logged rounded to whole steps/s, so
this is an estimate to a few seconds per evaluation.  The final evaluation, after training,
is in neither sum.  Not for a resumed run: its first row after the resume is timed from the
resume, and the replay refill that follows runs far faster than training.
"""
import argparse
import csv
import os
import sys

from rl.cli.progress import count


def eval_seconds(rows: list[dict], threshold: float) -> dict:
    """progress.csv rows -> {'total', 'evals' (whole run), 'to_goal', 'evals_to_goal'
    (None if no evaluation reached threshold)} in seconds."""
    total = evals = 0.0
    to_goal = evals_to_goal = None
    previous = 0
    for i, row in enumerate(rows):
        step, speed = int(row["step"]), float(row["steps_per_s"])
        window = (step - previous) / speed
        total += window
        if row["eval_mean_return"]:
            # the next row without an evaluation, or, at the end of a run, the last one before
            plain = [r for r in rows[i + 1:] + rows[:i][::-1] if not r["eval_mean_return"]]
            if plain:
                evals += window - (step - previous) / float(plain[0]["steps_per_s"])
            if to_goal is None and float(row["eval_mean_return"]) >= threshold:
                to_goal, evals_to_goal = total, evals
        previous = step
    return {"total": total, "evals": evals, "to_goal": to_goal, "evals_to_goal": evals_to_goal}


def report(runs: dict[str, dict], threshold: float) -> list[str]:
    """{folder: eval_seconds(...)} -> a table row per run (minutes) and the range of shares."""
    lines = [f"| run | minutes to the first eval ≥ {threshold:+g} | of them evaluations | "
             f"whole run, minutes | of them evaluations |", "|---|---:|---:|---:|---:|"]
    to_goal, whole = [], []
    for folder, t in runs.items():
        whole.append(t["evals"] / t["total"])
        if t["to_goal"] is None:
            first = "never | –"
        else:
            to_goal.append(t["evals_to_goal"] / t["to_goal"])
            first = f"{t['to_goal'] / 60:.1f} | {t['evals_to_goal'] / 60:.1f} ({to_goal[-1]:.0%})"
        lines.append(f"| {folder} | {first} | {t['total'] / 60:.1f} | "
                     f"{t['evals'] / 60:.1f} ({whole[-1]:.0%}) |")
    lines.append("")
    if to_goal:
        lines.append(f"evaluations took {min(to_goal):.0%} to {max(to_goal):.0%} of the time to the "
                     f"first eval ≥ {threshold:+g} ({count(len(to_goal), 'run')})")
    lines.append(f"evaluations took {min(whole):.0%} to {max(whole):.0%} of the whole runs "
                 f"({count(len(whole), 'run')})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders with a progress.csv")
    parser.add_argument("--threshold", type=float, default=18.0,
                        help="the evaluation that counts as solved (default: 18)")
    args = parser.parse_args(argv)
    runs = {}
    for folder in args.runs:
        try:
            with open(os.path.join(folder, "progress.csv")) as f:
                runs[folder] = eval_seconds(list(csv.DictReader(f)), args.threshold)
        except (OSError, ValueError, KeyError, ZeroDivisionError) as e:
            print(f"skipped {folder}: no readable progress.csv ({e!r})", file=sys.stderr)
    if not runs:
        print("no run among the folders given (each needs a progress.csv)", file=sys.stderr)
        return 2
    print("\n".join(report(runs, args.threshold)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
