"""bench/eval_cost.py: the wall time of periodic evaluations, read from progress.csv rows,
worked by hand."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import eval_cost  # noqa: E402


def rows(*table):
    """(step, steps_per_s, eval mean or '') -> progress.csv rows as csv.DictReader gives them."""
    return [{"step": str(step), "steps_per_s": str(speed), "eval_mean_return": str(mean)}
            for step, speed, mean in table]


def test_eval_seconds_by_hand():
    log = rows((100, 100, ""),          # 1 s of training
               (200, 50, -21.0),        # 2 s: 0.5 s of training at the next row's 200/s, 1.5 s of games
               (300, 200, ""),          # 0.5 s
               (400, 25, 18.0),         # 4 s, the first >= 18: 0.5 s of training (the nearest row
               (500, 20, 19.5))         # before, at 200/s), 3.5 s; 5 s: 0.5 s of training, 4.5 s
    t = eval_cost.eval_seconds(log, threshold=18.0)
    assert t["total"] == pytest.approx(12.5) and t["evals"] == pytest.approx(9.5)
    assert t["to_goal"] == pytest.approx(7.5) and t["evals_to_goal"] == pytest.approx(5.0)


def test_a_run_that_never_reached_the_goal_has_no_time_to_it(tmp_path, capsys):
    t = eval_cost.eval_seconds(rows((100, 100, ""), (200, 50, 17.9)), threshold=18.0)
    assert t["to_goal"] is None and t["evals"] == pytest.approx(1.0)
    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.csv").write_text("step,steps_per_s,eval_mean_return\n100,100,\n200,50,17.9\n")
    assert eval_cost.main([str(run), str(tmp_path / "missing")]) == 0
    out, err = capsys.readouterr()
    assert f"| {run} | never | – | 0.1 | 0.0 (33%) |" in out
    assert "evaluations took 33% to 33% of the whole runs (1 run)" in out
    assert "time to the first" not in out and "missing: no readable progress.csv" in err


def test_no_readable_run_is_one_line_and_status_2(tmp_path, capsys):
    assert eval_cost.main([str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("no run among the folders given")
