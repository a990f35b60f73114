"""bench/kept_networks.py: the change from a kept network's score to its fresh games, and
how much one game varies, worked by hand on two runs."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import kept_networks  # noqa: E402


def write_summary(folder: Path, **summary) -> str:
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps(summary))
    return str(folder)


def test_changes_below_threshold_and_game_spread_by_hand(tmp_path, capsys):
    runs = [
        # kept on +19.0, then 18, 20, 19, 19 (mean 19.0): change 0; variance (1+1+0+0)/3 = 2/3
        write_summary(tmp_path / "a", best_eval_step=100_000, best_eval_mean_return=19.0,
                      final_eval_mean_return=19.0, final_eval_returns=[18.0, 20.0, 19.0, 19.0]),
        # kept on +19.5, then 17, 17, 18, 18 (mean 17.5): change −2; variance (4·0.25)/3 = 1/3
        write_summary(tmp_path / "b", best_eval_step=250_000, best_eval_mean_return=19.5,
                      final_eval_mean_return=17.5, final_eval_returns=[17.0, 17.0, 18.0, 18.0]),
        write_summary(tmp_path / "unfinished", best_eval_step=50_000, best_eval_mean_return=3.0,
                      final_eval_mean_return=None, final_eval_returns=None),
        str(tmp_path / "missing"),
    ]
    assert kept_networks.main(runs) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert f"| {runs[0]} | 100,000 | +19.0 | +19.0 (4) | +0.0 |" in lines
    assert f"| {runs[1]} | 250,000 | +19.5 | +17.5 (4) | -2.0 |" in lines
    assert "2 runs: final minus kept score, median -1.0, mean -1.00, from -2.0 to +0.0" in lines
    assert "finals below +18: 1 (b)" in lines
    # pooled variance (2/3 + 1/3)/2 = 0.5: a game varies by √0.5 = 0.71, a 4-game mean by 0.35
    assert "one game's return varies by 0.71 (sd, pooled over the final games), " \
           "so a mean of 4 games by 0.35" in lines
    assert "skipped " + runs[2] + ": not a finished run" in err
    assert "skipped " + runs[3] + ": not a finished run" in err


def test_no_finished_run_is_one_line_and_status_2(tmp_path, capsys):
    assert kept_networks.main([str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines()[-1].startswith("no finished run among the folders given")


@pytest.mark.parametrize("bad", ["{not json", json.dumps({"best_eval_mean_return": 19.0,
                                                          "final_eval_returns": [19.0]})])
def test_a_corrupt_or_one_game_summary_is_skipped(tmp_path, capsys, bad):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text(bad)
    assert kept_networks.main([str(tmp_path / "run")]) == 2
    assert "not a finished run" in capsys.readouterr().err


def test_a_final_at_the_threshold_is_not_below_it(tmp_path, capsys):
    # +18.0 exactly passes the +18 bar; +17.9 does not
    runs = [write_summary(tmp_path / name, best_eval_step=100_000, best_eval_mean_return=19.0,
                          final_eval_mean_return=final, final_eval_returns=[final - 1, final + 1])
            for name, final in (("at", 18.0), ("under", 17.9))]
    assert kept_networks.main(runs) == 0
    assert "finals below +18: 1 (under)" in capsys.readouterr().out.splitlines()
