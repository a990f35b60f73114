"""bench/ablation.py: each run lands in its seed's row and its pieces' column, and runs
trained with other settings are left out rather than compared."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import ablation  # noqa: E402

BASE = {"game": "pong", "seed": 0, "lr": 0.00025, "dueling": False, "prioritized": False, "noisy": False,
        "steps": 500_000, "priority_beta_steps": 500_000}


def write_run(folder: Path, evals: list[tuple[int, float]], summary: dict | None = None,
              drop: tuple = (), **config):
    """A run folder: config.json (BASE, changed by config, without the keys in drop), a
    progress.csv with a plain row before each evaluation of 5 games, summary.json if given."""
    folder.mkdir()
    settings = {k: v for k, v in {**BASE, **config}.items() if k not in drop}
    (folder / "config.json").write_text(json.dumps(settings))
    rows = ["step,episode,eval_mean_return,eval_episodes"]
    for step, mean in evals:
        rows += [f"{step - 2500},1,,", f"{step},2,{mean},5"]
    (folder / "progress.csv").write_text("\n".join(rows) + "\n")
    if summary is not None:
        (folder / "summary.json").write_text(json.dumps(summary))
    return str(folder)


def test_cells_rows_and_columns(tmp_path, capsys):
    runs = [
        write_run(tmp_path / "seed-0", [(12500, -20.0), (25000, 18.5), (37500, 19.0)],
                  {"final_eval_mean_return": 19.25, "sticky_eval_mean_return": 12.0}),
        write_run(tmp_path / "prio-1", [(12500, 4.0), (25000, 18.0)], prioritized=True, seed=1),
        write_run(tmp_path / "all-1", [(12500, -3.0)], dueling=True, prioritized=True, noisy=True, seed=1),
        write_run(tmp_path / "other-lr", [(12500, 19.0)], {"final_eval_mean_return": 20.0}, lr=1e-4),
        write_run(tmp_path / "again-seed-0", [(12500, 19.0)], {"final_eval_mean_return": 20.0}),
        write_run(tmp_path / "two-pieces", [(12500, 19.0)], dueling=True, noisy=True),
        write_run(tmp_path / "never-2", [(12500, 10.0)], {"final_eval_mean_return": 12.5}, seed=2),
        # made before priority_beta_steps existed: β then rose over --steps, here 700,000
        write_run(tmp_path / "old-prio-2", [(12500, 19.0)], prioritized=True, seed=2, steps=700_000,
                  drop=("priority_beta_steps",)),
        # made after C51 existed: with it on, its own column (even where only configs from
        # before C51 came first), and a second C51 run with other atoms is left out; with
        # it off, its atoms do not count
        write_run(tmp_path / "c51-3", [(12500, 19.0)], seed=3, c51=True, atoms=51, v_min=-10.0),
        write_run(tmp_path / "c51-atoms-4", [(12500, 19.0)], seed=4, c51=True, atoms=11, v_min=-10.0),
        write_run(tmp_path / "c51-off-3", [(12500, 19.0)], seed=3, c51=False, atoms=51, v_min=-10.0),
        write_run(tmp_path / "c51-off-4", [(12500, 19.0)], seed=4, c51=False, atoms=11, v_min=-10.0),
    ]
    assert ablation.main(runs) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "| 0 | 25,000 · +19.2 (sticky +12.0) | not run | not run | not run | not run | not run |" in lines
    assert "| 1 | not run | not run | 25,000 · unfinished, logged to 25,000 | not run | not run | " \
           "not yet: -3.0 at 12,500 (5 games), logged to 12,500 |" in lines
    assert "| 2 | never · +12.5 | not run | not run | not run | not run | not run |" in lines
    assert "other-lr: settings other than the pieces differ: lr" in err
    assert "again-seed-0: seed 0, no piece is already" in err        # the first run given is kept
    assert "two-pieces: no column" in err
    assert "old-prio-2: settings other than the pieces differ: priority_beta_steps" in err
    assert "| 3 | 12,500 · unfinished, logged to 12,500 | not run | not run | not run | " \
           "12,500 · unfinished, logged to 12,500 | not run |" in lines
    assert "c51-atoms-4: settings other than the pieces differ: atoms" in err
    assert "| 4 | 12,500 · unfinished, logged to 12,500 | not run |" in out
