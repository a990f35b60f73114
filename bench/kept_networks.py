"""How well the score a run kept its network on foretells that network's 10 fresh games.

    python bench/kept_networks.py results/pong/seed-[5-9] \
        results/pong/experiments/{uniform-replay-seed-[0-4],dueling-seed-[0-3]}

A run keeps the network with the best score (with --best-over 2, the lower of its own
evaluation and the one before), then plays it on the final evaluation's fresh games
(summary.json).  The best of many noisy scores tends to be a lucky one, so a kept network
can do worse on new games than the score it was kept on.  For each finished run given:
the step it was kept at, that score, the final evaluation and the change; then the median
and range of the changes, the finals below --threshold, and how much one game's return and
a 10-game mean vary (the sample standard deviation of the final games, pooled over runs):

    s² = mean over runs of  Σ_g (G_g − Ḡ)² / (n − 1),      a mean of n games varies by s / √n

Run folders without a finished summary.json are left out with one line saying so.
"""
import argparse
import json
import math
import os
import statistics
import sys


def read_summary(folder: str) -> dict:
    """summary.json of a finished run -> its dict; ValueError if the run has no final evaluation."""
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    if summary.get("best_eval_mean_return") is None or len(summary.get("final_eval_returns") or []) < 2:
        raise ValueError("no kept score, or fewer than 2 final games")
    return summary


def kept_networks(summaries: dict[str, dict], threshold: float) -> list[str]:
    """{folder: summary} -> the report's lines: one table row per run, then the summary lines."""
    lines = ["| run | kept at step | kept on | final (fresh games) | change |", "|---|---:|---:|---:|---:|"]
    changes, variances, below = [], [], []
    for folder, s in summaries.items():
        kept, final = s["best_eval_mean_return"], s["final_eval_mean_return"]
        changes.append(final - kept)
        variances.append(statistics.variance(s["final_eval_returns"]))       # needs ≥ 2 games
        if final < threshold:
            below.append(os.path.basename(os.path.normpath(folder)))
        lines.append(f"| {folder} | {s['best_eval_step']:,} | {kept:+.1f} | {final:+.1f} "
                     f"({len(s['final_eval_returns'])}) | {final - kept:+.1f} |")
    n_games = statistics.median(len(s["final_eval_returns"]) for s in summaries.values())
    game_sd = math.sqrt(statistics.mean(variances))
    lines += ["",
              f"{len(changes)} runs: final minus kept score, median {statistics.median(changes):+.1f}, "
              f"mean {statistics.mean(changes):+.2f}, from {min(changes):+.1f} to {max(changes):+.1f}",
              f"finals below {threshold:+g}: {len(below)}" + (f" ({', '.join(below)})" if below else ""),
              f"one game's return varies by {game_sd:.2f} (sd, pooled over the final games), "
              f"so a mean of {n_games:g} games by {game_sd / math.sqrt(n_games):.2f}"]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders with a summary.json")
    parser.add_argument("--threshold", type=float, default=18.0,
                        help="the final evaluation a solved network must reach")
    args = parser.parse_args(argv)
    summaries = {}
    for folder in args.runs:
        try:
            summaries[folder] = read_summary(folder)
        except (OSError, ValueError, KeyError) as e:
            print(f"skipped {folder}: not a finished run ({e})", file=sys.stderr)
    if not summaries:
        print("no finished run among the folders given (each needs a summary.json with a final "
              "evaluation)", file=sys.stderr)
        return 2
    print("\n".join(kept_networks(summaries, args.threshold)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
