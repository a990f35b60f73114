"""bench/pong.py's verdict: each line of the goal, with how many seeds met it."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import pong  # noqa: E402


def row(final, solved_min, wall_min, steps=200_000, sticky=None, interrupted=False):
    """One seed's summary as bench/seeds.py returns it (with its 500k step budget)."""
    return {"final_eval_mean_return": final, "sticky_eval_mean_return": sticky,
            "solved_at_seconds": None if solved_min is None else 60 * solved_min,
            "wall_seconds": 60 * wall_min, "steps": steps, "budget": 500_000,
            "interrupted": interrupted}


def test_every_goal_line_counts_its_seeds():
    rows = [row(19.0, 20, 30, sticky=16.0),
            row(18.5, 24, 59),
            row(17.0, None, 70, steps=500_000),        # ran to its budget: not stopped by the rule
            row(19.5, 44, 58, interrupted=True),        # stopped by hand: not by the rule
            row(20.0, 46, 61)]                          # past 45 and 60 minutes
    lines = pong.verdict(rows).splitlines()
    assert lines == ["final eval ≥ +18: 4 of 5 seeds",
                     "first eval ≥ +18 within 45 minutes: 3 of 5 seeds",
                     "median minutes to it: 44.0 (goal ≤ 25): not met",
                     "stopped by the rule within 60 minutes: 2 of 5 seeds",
                     "sticky eval ≥ +15: 1 of 5 seeds"]


def test_the_median_goal_met():
    lines = pong.verdict([row(19.0, 20, 30), row(19.0, 25, 40), row(19.0, None, 90, steps=500_000)])
    assert lines.splitlines()[2] == "median minutes to it: 25.0 (goal ≤ 25): met"


def test_a_run_that_used_its_whole_budget_was_not_stopped_by_the_rule():
    lines = pong.verdict([row(19.0, 20, 55, steps=500_000), row(19.0, 20, 55)]).splitlines()
    assert lines[3] == "stopped by the rule within 60 minutes: 1 of 2 seeds"
