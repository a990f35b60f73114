"""What a higher early stop would cost: would runs stopped at +19 have stopped as soon at +19.5?

    python bench/stop_margin.py --margin 1.5 results/pong/seed-[5-9] \
        results/pong/experiments/{uniform-replay,prioritized,dueling,c51,all-pieces}-seed-[0-4]

A run stops once two evaluations in a row reach goal + stop_margin (+19 with the defaults:
goal +18, --stop-margin 1, --stop-after-solved 2).  For a higher level, goal + --margin,
each run's evaluations (progress.csv) give one of:

    same step    its stopping pair already reached the higher level too: it costs nothing;
    earlier      (a level below its own) an earlier pair reached it: the steps it saves;
    unknown      it stopped where the higher level was not reached, so it would have needed
                 at least one more evaluation (eval_every steps), two if the last of its
                 stopping pair fell short too; how many more, its log cannot say: it stopped.

Runs that never reached their own stop level are left out (the rule never stopped them), and
so are runs whose rule was another (a config.json without --stop-margin, or a run that
did not stop after two evaluations in a row).
The runs' final evaluations (summary.json) are shown beside, to see which runs a higher
stop would have held back.
"""
import argparse
import sys

from ablation import read_runs

GOAL = 18.0                                    # the Pong goal the runs' rule counts from


def first_pair(evals: list[tuple], level: float) -> int | None:
    """Index of the first evaluation that, with the one before it, reached `level`."""
    return next((i for i in range(1, len(evals))
                 if evals[i - 1][1] >= level and evals[i][1] >= level), None)


def outcome(run: dict, margin: float) -> dict | None:
    """One run -> {'stopped': step, 'pair': (m1, m2), 'case': 'same step' | 'earlier' |
    'unknown', 'extra': the steps it costs (negative: saves; for 'unknown' the fewest it can
    cost), 'final': final eval or None}; None if the run never reached its own stop level."""
    evals, cfg = run["evals"], run["config"]
    own = first_pair(evals, GOAL + cfg["stop_margin"])
    if own is None:
        return None
    pair = evals[own - 1][1], evals[own][1]
    sooner = first_pair(evals, GOAL + margin)          # <= own whenever the pair reached it
    if sooner is not None and sooner < own:
        case, extra = "earlier", evals[sooner][0] - evals[own][0]
    elif min(pair) >= GOAL + margin:
        case, extra = "same step", 0
    else:                              # one more evaluation, or two if the pair's last fell short
        case, extra = "unknown", cfg["eval_every"] * (1 if pair[1] >= GOAL + margin else 2)
    final = (run["summary"] or {}).get("final_eval_mean_return")
    return {"stopped": evals[own][0], "pair": pair, "case": case,
            "extra": extra, "final": final}


def report(runs: dict[str, dict], margin: float) -> list[str]:
    """{folder: read_run(folder)} -> the report's lines: a row per run, then the counts."""
    level = GOAL + margin
    lines = [f"| run | reached its stop level at step | that pair | at {level:+g} | final |",
             "|---|---:|---|---|---:|"]
    by_case: dict[str, list] = {"same step": [], "earlier": [], "unknown": []}
    for folder, run in runs.items():
        o = outcome(run, margin)
        if o is None:
            continue
        by_case[o["case"]].append(o)
        if o["case"] == "same step":
            verdict = "same step"
        elif o["case"] == "earlier":
            verdict = f"{o['extra']:+,} steps"
        else:
            verdict = f"at least {o['extra']:+,} steps"
        final = "unfinished" if o["final"] is None else f"{o['final']:+.1f}"
        lines.append(f"| {folder} | {o['stopped']:,} | {o['pair'][0]:+.1f}, {o['pair'][1]:+.1f} "
                     f"| {verdict} | {final} |")
    n = sum(len(v) for v in by_case.values())

    def finals(case: str) -> str:
        known = sorted(o["final"] for o in by_case[case] if o["final"] is not None)
        return f" (finals {known[0]:+.1f} to {known[-1]:+.1f})" if known else ""
    saved = -sum(o["extra"] for o in by_case["earlier"])
    fewest = sum(o["extra"] for o in by_case["unknown"])
    lines += ["",
              f"{n} runs reached their stop level; at {level:+g}: "
              f"{len(by_case['same step'])} at the same step{finals('same step')}; "
              f"{len(by_case['earlier'])} earlier{finals('earlier')}, {saved:,} steps sooner in all; "
              f"{len(by_case['unknown'])} later{finals('unknown')}, by at least one or two "
              f"evaluations each ({fewest:,} steps in all; how many more, their logs cannot say)"]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders (progress.csv, config.json)")
    parser.add_argument("--margin", type=float, default=1.5,
                        help="the higher stop level, above the goal of +18 (default: 1.5)")
    args = parser.parse_args(argv)
    runs = {}
    for folder, run in read_runs(args.runs).items():
        if "stop_margin" not in run["config"] or run["config"].get("stop_after_solved") != 2:
            print(f"skipped {folder}: its stop rule was not two evaluations in a row at the goal "
                  f"plus a margin", file=sys.stderr)
            continue
        runs[folder] = run
    if not runs:
        print("no run among the folders given (each needs progress.csv and config.json)",
              file=sys.stderr)
        return 2
    print("\n".join(report(runs, args.margin)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
