"""Does `python run.py gridworld` recover the optimal policy with its defaults, seed by seed?

For each seed: value iteration gives V* and Q*, Q-learning (only samples) gives Q; a seed
passes when Q's greedy move is optimal in every non-exit cell it visited.  Prints a line a
failing seed, then the pass rate and the largest |V − V*| over all seeds.

    python bench/gridworld.py --seeds 1000-1099
    python bench/gridworld.py --seeds 0-9 -- --exploring-starts false   (flags after -- go to run.py gridworld)
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl.cli.flags import add_flags, from_args  # noqa: E402
from rl.cli.gridworld import GridWorldConfig, agreement, solve_both_ways  # noqa: E402
from seeds import machine_line, parse_seeds  # noqa: E402


def main(argv: list[str]) -> int:
    cut = argv.index("--") if "--" in argv else len(argv)       # ours -- run.py gridworld's
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-19"), help="e.g. 0-19 or 0,3,7")
    args = parser.parse_args(argv[:cut])
    flags = argparse.ArgumentParser(prog="run.py gridworld")
    add_flags(flags, GridWorldConfig)
    base = from_args(GridWorldConfig, flags.parse_args(argv[cut + 1:]))
    print(machine_line())
    passed, worst, started = 0, 0.0, time.monotonic()
    for seed in args.seeds:
        cfg = GridWorldConfig(**{**vars(base), "seed": seed})
        mdp, V_star, _, Q, updates = solve_both_ways(cfg)
        max_error, judged, wrong = agreement(mdp, V_star, Q, updates)
        worst = max(worst, max_error)
        if wrong:
            cells = ", ".join(f"({r + 1}, {c + 1})" for r, c in wrong)
            print(f"seed {seed}: greedy move not optimal at (row, column) {cells}; max |V - V*| {max_error:.3f}")
        else:
            passed += 1
    n = len(args.seeds)
    print(f"{passed} of {n} seeds ({100 * passed / n:.0f}%) recover the optimal policy; "
          f"max |V - V*| over all seeds {worst:.3f}; {(time.monotonic() - started) / n:.2f} s a seed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
