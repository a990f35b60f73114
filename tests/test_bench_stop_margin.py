"""bench/stop_margin.py: whether runs stopped at their own level would have stopped at another,
worked by hand on small run folders."""
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import stop_margin  # noqa: E402

FIELDS = ["step", "eval_mean_return", "eval_episodes"]


def write_run(folder: Path, evals: list[float], final: float | None = None, every: int = 100,
              **config) -> str:
    """A run folder whose evaluations, every `every` steps, scored `evals`."""
    folder.mkdir()
    cfg = {"seed": 0, "steps": 10_000, "eval_every": every, "stop_margin": 1.0, "stop_after_solved": 2,
           "game": "pong", **config}
    (folder / "config.json").write_text(json.dumps(cfg))
    with open(folder / "progress.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for k, mean in enumerate(evals, start=1):
            w.writerow({"step": k * every, "eval_mean_return": mean, "eval_episodes": 5})
    if final is not None:
        (folder / "summary.json").write_text(json.dumps({"final_eval_mean_return": final}))
    return str(folder)


def summary_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_same_step_and_the_fewest_extra_evaluations_by_hand(tmp_path, capsys):
    runs = [write_run(tmp_path / "a", [10, 19.6, 19.5], final=19.0),        # both >= 19.5
            write_run(tmp_path / "b", [10, 19.6, 19.2], final=18.0),        # last short: two more
            write_run(tmp_path / "c", [19.0, 19.7], final=17.5, every=50),  # last >= 19.5: one more
            write_run(tmp_path / "d", [10, 18.9, 12])]                      # never reached +19
    assert stop_margin.main(["--margin", "1.5", *runs]) == 0
    out = capsys.readouterr().out
    assert "| 300 | +19.6, +19.5 | same step | +19.0 |" in out
    assert "| 300 | +19.6, +19.2 | at least +200 steps | +18.0 |" in out
    assert "| 100 | +19.0, +19.7 | at least +50 steps | +17.5 |" in out
    assert str(tmp_path / "d") not in out
    assert out.strip().splitlines()[-1] == (
        "3 runs reached their stop level; at +19.5: 1 at the same step (finals +19.0 to +19.0); "
        "0 earlier, 0 steps sooner in all; 2 later (finals +17.5 to +18.0), by at least one or two "
        "evaluations each (250 steps in all; how many more, their logs cannot say)")


def test_a_lower_level_says_how_much_sooner(tmp_path, capsys):
    runs = [write_run(tmp_path / "a", [18.5, 18.5, 19.2, 19.1], final=19.4),
            write_run(tmp_path / "b", [10, 19.2, 19.0])]
    assert stop_margin.main(["--margin", "0.5", *runs]) == 0
    out = capsys.readouterr().out
    assert "| 400 | +19.2, +19.1 | -200 steps | +19.4 |" in out            # +18.5 twice (at, not above) by 200
    assert "| 300 | +19.2, +19.0 | same step | unfinished |" in out
    assert "1 earlier (finals +19.4 to +19.4), 200 steps sooner in all" in out


def test_a_run_with_another_rule_or_none_is_skipped_with_one_line(tmp_path, capsys):
    runs = [write_run(tmp_path / "old", [19.5, 19.5]),
            write_run(tmp_path / "on", [19.5, 19.5], stop_after_solved=0)]
    cfg = json.loads((tmp_path / "old" / "config.json").read_text())
    del cfg["stop_margin"]
    (tmp_path / "old" / "config.json").write_text(json.dumps(cfg))
    assert stop_margin.main([*runs, str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and "no run among" in err[-1]
    assert sum("stop rule was not two evaluations in a row" in line for line in err) == 2
    assert sum("missing: not a readable run folder" in line for line in err) == 1
