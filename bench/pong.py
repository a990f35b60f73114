"""How long does `python run.py atari --game pong` take to beat Pong, seed by seed?

Runs `run.py atari --game pong --seed S` for each seed, one after the other
(a Pong run wants the machine to itself: two at once share the two cores and
each runs at about half speed), and prints one row per seed and the medians:

    seed | first eval ≥ 18 at step | minutes to it | final eval | sticky eval | wall min

"first eval ≥ 18" is the first periodic evaluation (whole games, true score,
the network as it was at that step) whose mean reached +18 over all its games:
5, and when those reach +18, 5 more that must keep the mean there
(--confirm-episodes); minutes to it is the training wall time up to that
evaluation; final eval is the mean over the final evaluation's 10 games of
the best network; sticky eval is the same network over 10 more games in which
every frame repeats the previous action with probability 0.25 (Machado et al.
2018), where a network that only learned the emulator's timing fails; wall min
is the whole run, which stops once two evaluations in a row have reached +19, a
point above the goal (--stop-after-solved, --stop-margin; see
`python run.py atari --help`).

    python bench/pong.py --seeds 0-2
    python bench/pong.py --seeds 3 -- --arch dqn2015     (flags after -- go to run.py)
    python bench/pong.py --seeds 0-2 --continue          (go on after an interruption)
"""
import math
import statistics
import sys

from seeds import Column, fmt, main

GOAL = 18.0
STICKY_GOAL = 15.0          # with sticky actions: most points still won
FIRST_MINUTES = 45          # the first eval ≥ GOAL on every seed within this
MEDIAN_MINUTES = 25         # ... and at the median within this
STOP_MINUTES = 60           # every run stopped by its rule within this


def minutes(seconds):
    return None if seconds is None else seconds / 60


COLUMNS = [
    Column("seed", lambda s: str(s["seed"])),
    Column(f"first eval ≥ {GOAL:g} at step", lambda s: fmt(s["solved_at_step"], ","),
           lambda s: s["solved_at_step"], ",.0f"),
    Column("minutes to it", lambda s: fmt(minutes(s["solved_at_seconds"]), ".1f"),
           lambda s: minutes(s["solved_at_seconds"])),
    Column("final eval", lambda s: fmt(s["final_eval_mean_return"], "+.1f"),
           lambda s: s["final_eval_mean_return"], "+.1f"),
    Column("sticky eval", lambda s: fmt(s.get("sticky_eval_mean_return"), "+.1f"),
           lambda s: s.get("sticky_eval_mean_return"), "+.1f"),
    Column("wall min", lambda s: fmt(minutes(s["wall_seconds"]), ".1f"), lambda s: minutes(s["wall_seconds"])),
]


def verdict(rows: list[dict]) -> str:
    """The goal's lines, each with how many seeds met it: every final eval ≥ +18; the first
    eval ≥ +18 within 45 minutes on every seed and within 25 at the median; every run stopped
    by its rule within 60 minutes; the stretch, sticky eval ≥ +15.  A seed that never reached
    +18 counts as infinitely slow in the median."""
    n = len(rows)
    good = sum(s["final_eval_mean_return"] >= GOAL for s in rows)
    to_goal = [math.inf if s["solved_at_seconds"] is None else minutes(s["solved_at_seconds"]) for s in rows]
    within = sum(m <= FIRST_MINUTES for m in to_goal)
    median = statistics.median(to_goal)
    stopped = sum(not s["interrupted"] and s["steps"] < s["budget"] and s["wall_seconds"] <= 60 * STOP_MINUTES
                  for s in rows)
    sticky = sum(s.get("sticky_eval_mean_return") is not None and s["sticky_eval_mean_return"] >= STICKY_GOAL
                 for s in rows)
    return "\n".join([
        f"final eval ≥ +{GOAL:g}: {good} of {n} seeds",
        f"first eval ≥ +{GOAL:g} within {FIRST_MINUTES} minutes: {within} of {n} seeds",
        f"median minutes to it: {median:.1f} (goal ≤ {MEDIAN_MINUTES}): "
        f"{'met' if median <= MEDIAN_MINUTES else 'not met'}",
        f"stopped by the rule within {STOP_MINUTES} minutes: {stopped} of {n} seeds",
        f"sticky eval ≥ +{STICKY_GOAL:g}: {sticky} of {n} seeds"])


if __name__ == "__main__":
    sys.exit(main("atari", __doc__, "0-2", COLUMNS, verdict, extra_args=["--game", "pong"]))
