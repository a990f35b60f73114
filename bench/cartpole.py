"""Does `python run.py cartpole` solve CartPole-v1 with its defaults, and how fast?

Runs `run.py cartpole --seed S` for each seed, one after the other, and prints
one row per seed and the medians:

    seed | solved_at_step | final eval | last net | wall s

solved_at_step is the first periodic evaluation whose mean return reached 475;
final eval is the mean return of the best network over the final evaluation's
episodes; last net is the mean return of the network as it was when training
stopped (the periodic evaluation at the last step), which shows how much DQN's
greedy return still swings; wall s is the run's own training time
(summary.json), without the second or so Python needs to start.  The goal:
final eval ≥ 475 within 50,000 steps for at least 95% of the seeds.

    OPENBLAS_NUM_THREADS=1 python bench/cartpole.py --seeds 20-59
    python bench/cartpole.py --seeds 0,3 -- --hidden 128     (flags after -- go to run.py)
"""
import sys

from seeds import Column, fmt, main

GOAL = 475.0

COLUMNS = [
    Column("seed", lambda s: str(s["seed"])),
    Column("solved_at_step", lambda s: fmt(s["solved_at_step"], ","), lambda s: s["solved_at_step"], ",.0f"),
    Column("final eval", lambda s: fmt(s["final_eval_mean_return"], ".1f"),
           lambda s: s["final_eval_mean_return"]),
    Column("last net", lambda s: fmt(s["last_eval_mean_return"], ".1f"), lambda s: s["last_eval_mean_return"]),
    Column("wall s", lambda s: fmt(s["wall_seconds"], ".1f"), lambda s: s["wall_seconds"]),
]


def verdict(rows: list[dict]) -> str:
    good = sum(s["final_eval_mean_return"] >= GOAL for s in rows)
    last = sum((s["last_eval_mean_return"] or 0) >= GOAL for s in rows)
    return (f"final eval ≥ {GOAL:g}: {good} of {len(rows)} seeds ({100 * good / len(rows):.0f}%); "
            f"last network ≥ {GOAL:g}: {last} of {len(rows)}; "
            f"slowest run {max(s['wall_seconds'] for s in rows):.1f} s")


if __name__ == "__main__":
    sys.exit(main("cartpole", __doc__, "0-4", COLUMNS, verdict))
