"""`python run.py cartpole` end to end: a short run writes every file, --eval plays its
checkpoint, --resume continues it, Ctrl-C leaves a valid checkpoint, and bad input gets one
line and exit status 2.

The runs are a couple of thousand steps with a small network and two-episode evaluations,
so the whole file takes seconds; bench/cartpole.py is what checks that the defaults solve.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import fields
from io import StringIO

import numpy as np
import pytest
from PIL import Image

from cli_helpers import ENV, REPO, RUN_FILES, error_line, read_csv, read_json, run_py, start_long_run
from nnpy import load_npz, save_npz
from rl.cli.cartpole import COMMAND, ENV_ID, CartPoleConfig, build_mlp, main
from rl.cli.checkpoints import CHECKPOINT_KIND, save_policy
from rl.cli.command import make_parser
from rl.cli.progress import ProgressLine
from rl.train import FINAL_EVAL_SEED

SMALL = ["--steps", "2000", "--hidden", "32", "--learning-starts", "500", "--train-every", "64",
         "--gradient-steps", "16", "--eval-every", "1000", "--eval-episodes", "2",
         "--final-eval-episodes", "2", "--log-every", "400", "--checkpoint-every", "1000"]
SUMMARY_KEYS = {"env", "steps", "wall_seconds", "final_eval_mean_return", "final_eval_episodes",
                "best_eval_mean_return", "solved_at_step"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> str:
    """One short training run, shared by the tests that only read it."""
    out = str(tmp_path_factory.mktemp("cartpole") / "run")
    done = run_py("cartpole", *SMALL, "--seed", "3", "--out", out)
    assert done.returncode == 0, done.stderr
    with open(out + ".stderr", "w") as f:          # what the run said, for the tests of its lines
        f.write(done.stderr)
    assert done.stdout == ""                        # every message and the progress: on stderr
    return out


def test_a_short_run_writes_every_file(trained):
    assert RUN_FILES <= set(os.listdir(trained))
    summary = read_json(os.path.join(trained, "summary.json"))
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["env"] == ENV_ID and summary["steps"] == 2000 and summary["final_eval_episodes"] == 2
    assert summary["best_eval_mean_return"] is not None
    rows = read_csv(os.path.join(trained, "progress.csv"))
    # a row every 400 steps, and one at each evaluation (every 1000)
    assert [int(r["step"]) for r in rows] == [400, 800, 1000, 1200, 1600, 2000]
    assert [int(r["step"]) for r in rows if r["eval_mean_return"]] == [1000, 2000]
    assert rows[-1]["loss"] != "" and float(rows[-1]["epsilon"]) < 1
    config = read_json(os.path.join(trained, "config.json"))
    assert config["hidden"] == 32 and config["seed"] == 3
    with Image.open(os.path.join(trained, "curve.png")) as img:
        assert img.format == "PNG"


def test_eval_replays_the_final_evaluation_and_records_a_gif(trained, tmp_path):
    # the run (seed 3) ended by playing best.npz on episodes seeded 3 + FINAL_EVAL_SEED;
    # --eval with that seed must play the very same episodes
    summary = read_json(os.path.join(trained, "summary.json"))
    gif = str(tmp_path / "episode.gif")
    done = run_py("cartpole", "--eval", os.path.join(trained, "best.npz"), "--episodes", "2",
                  "--seed", str(3 + FINAL_EVAL_SEED), "--gif", gif)
    assert done.returncode == 0, done.stderr
    returns = [float(line.split()[-1]) for line in done.stderr.splitlines() if line.startswith("episode ")]
    assert returns == summary["final_eval_returns"]
    assert done.stdout.strip().splitlines()[-1] == f"mean_return={np.mean(returns):g} episodes=2"
    with Image.open(gif) as img:
        assert img.format == "GIF" and img.n_frames > 1


def test_progress_csv_logs_the_held_out_average_max_q_and_curve_png_draws_it(trained):
    rows = read_csv(os.path.join(trained, "progress.csv"))
    q = [float(r["avg_max_q"]) for r in rows]               # every row has one
    assert np.all(np.isfinite(q)) and q[-1] > q[0] + 1      # rewards of +1 a step lift max_a Q
    with Image.open(os.path.join(trained, "curve.png")) as img:
        assert img.size == (800 + 440, 480)                 # returns, and the average max Q beside them
        lo, hi = img.convert("L").crop((800, 0, 1240, 480)).getextrema()
        assert hi - lo > 50
        # the x axis ends where the run ended: the evaluation at the last step is at the right edge
        red = np.argwhere(np.all(np.asarray(img.convert("RGB"))[64:424, :800] == (210, 40, 40), axis=2))
        assert 800 - 24 - 4 <= red[:, 1].max() <= 800 - 24 + 4


def test_eval_draws_q_values_beside_the_game_and_the_first_layer(trained, tmp_path):
    gif, filters = str(tmp_path / "q.gif"), str(tmp_path / "filters.png")
    done = run_py("cartpole", "--eval", os.path.join(trained, "best.npz"), "--episodes", "1",
                  "--gif", gif, "--filters", filters)
    assert done.returncode == 0, done.stderr
    with Image.open(gif) as img:
        assert img.size == (600 + 320, 400)                 # the cart, then the bars over the V(s) trace
        img.seek(img.n_frames - 1)
        lo, hi = img.convert("L").crop((600, 0, 920, 400)).getextrema()
        assert hi - lo > 50
    with Image.open(filters) as img:                        # 32 hidden units, 4 inputs
        assert img.format == "PNG" and img.width >= 32 * 15
        lo, hi = img.convert("L").getextrema()
        assert hi - lo > 50


def test_eval_accepts_a_checkpoint_too(trained):
    done = run_py("cartpole", "--eval", os.path.join(trained, "checkpoint.npz"), "--episodes", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(" episodes=1")


def test_same_seed_same_progress_csv(trained, tmp_path):
    again = str(tmp_path / "again")
    assert run_py("cartpole", *SMALL, "--seed", "3", "--out", again, "--quiet").returncode == 0
    first, second = (read_csv(os.path.join(d, "progress.csv")) for d in (trained, again))
    # steps_per_s is wall-clock speed and differs from run to run; every other column must not
    for row in first + second:
        del row["steps_per_s"]
    assert first == second
    assert (read_json(os.path.join(trained, "summary.json"))["final_eval_returns"]
            == read_json(os.path.join(again, "summary.json"))["final_eval_returns"])


def test_resume_continues_where_the_run_stopped(trained, tmp_path):
    run = str(tmp_path / "resumed")
    shutil.copytree(trained, run)
    before = read_csv(os.path.join(run, "progress.csv"))
    done = run_py("cartpole", "--resume", run, "--steps", "3000", "--quiet")
    assert done.returncode == 0, done.stderr
    rows = read_csv(os.path.join(run, "progress.csv"))
    assert [int(r["step"]) for r in rows] == [400, 800, 1000, 1200, 1600, 2000, 2400, 2800, 3000]
    assert rows[:6] == before
    assert int(rows[6]["episode"]) >= int(rows[5]["episode"])
    summary = read_json(os.path.join(run, "summary.json"))
    assert summary["steps"] == 3000
    assert read_json(os.path.join(run, "config.json"))["hidden"] == 32    # the saved config, not defaults
    _, meta = load_npz(os.path.join(run, "checkpoint.npz"), kind=CHECKPOINT_KIND)
    assert meta["run"]["step"] == 3000 and meta["updates"] > 0


def test_ctrl_c_twice_still_exits_cleanly(tmp_path):
    out = str(tmp_path / "interrupted-twice")
    proc = start_long_run(out, SMALL)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)         # impatient: the second one stops at once
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr
    if os.path.exists(os.path.join(out, "checkpoint.npz")):     # whatever is there is whole
        load_npz(os.path.join(out, "checkpoint.npz"), kind=CHECKPOINT_KIND)


def test_ctrl_c_saves_a_valid_checkpoint_and_exits_130(tmp_path):
    out = str(tmp_path / "interrupted")
    proc = start_long_run(out, SMALL)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted at step" in stderr and stdout == ""
    arrays, meta = load_npz(os.path.join(out, "checkpoint.npz"), kind=CHECKPOINT_KIND)
    step = meta["run"]["step"]
    assert 1000 <= step < 1_000_000 and meta["updates"] > 0
    assert any(k.startswith("target/") for k in arrays) and any(k.startswith("optim/") for k in arrays)
    assert not os.path.exists(os.path.join(out, "summary.json"))      # the run is not finished


# ---- bad input: one line on stderr, exit status 2 -----------------------------------------

@pytest.fixture
def files(tmp_path) -> dict:
    """Checkpoint-like files that --eval must refuse, and one it must accept."""
    rng = np.random.default_rng(0)
    paths = {name: str(tmp_path / f"{name}.npz") for name in ("text", "network", "pong", "policy")}
    paths["a_file"] = str(tmp_path / "a_file")
    paths["png"] = str(tmp_path / "curve.png")
    Image.new("RGB", (8, 8)).save(paths["png"])     # numpy would call it a pickle
    for name in ("text", "a_file"):
        with open(paths[name], "w") as f:
            f.write("not a checkpoint\n")
    save_npz(paths["network"], build_mlp(8, rng).state_arrays(), {"kind": "nnpy.Sequential"})  # not a policy
    save_policy(paths["pong"], build_mlp(8, rng), "ALE/Pong-v5", {})
    save_policy(paths["policy"], build_mlp(8, rng), ENV_ID, {})
    paths["run"] = str(tmp_path / "run")
    os.mkdir(paths["run"])
    shutil.copy(paths["policy"], os.path.join(paths["run"], "best.npz"))
    return paths


@pytest.mark.parametrize("argv,message", [
    (["--steps", "0"], "--steps must be a positive integer"),
    (["--seed", "-1"], "--seed must be 0 or more"),
    (["--hidden", "0"], "--hidden must be a positive integer"),
    (["--best-over", "0"], "--best-over must be a positive integer"),
    (["--stop-margin", "-1"], "--stop-margin must be 0 or more"),
    (["--gamma", "1.5"], "--gamma must be in [0, 1]"),
    (["--loss", "l1"], "invalid choice"),
    (["--lr", "fast"], "expected float"),
    (["--no-such-flag"], "unknown flag --no-such-flag"),
    (["--step", "3000"], "unknown flag --step (did you mean --steps?)"),
    (["--eval", "{tmp}/missing.npz"], "checkpoint {tmp}/missing.npz does not exist"),
    (["--eval", "{text}"], "corrupt or not an .npz file, so not a checkpoint"),
    (["--eval", "{png}"], "'{png}' is corrupt or not an .npz file, so not a checkpoint"),
    (["--eval", "{run}"], "is a folder; did you mean {run}/best.npz?"),
    (["--eval", "{tmp}"], "is a folder; a run's folder holds best.npz and checkpoint.npz"),
    (["--eval", "{policy}", "--hidden", "8", "--lr", "0.1"], "so it would ignore --hidden, --lr; "
                                                             "with --eval give only --episodes"),
    (["--eval", "{policy}", "--out", "{tmp}/x"], "would ignore --out"),
    (["--episodes", "3"], "--episodes works only together with --eval"),
    (["--resume", "{policy}"], "--resume takes the run's folder, not a file; did you mean --resume {tmp}?"),
    (["--resume", "{tmp}", "--overwrite"], "--overwrite would delete it"),
    (["--eval", "{network}"], "not a numpy-dqn policy"),
    (["--eval", "{pong}"], "was trained on 'ALE/Pong-v5'"),
    (["--eval", "{policy}", "--episodes", "0"], "--episodes must be a positive integer"),
    (["--out", "{a_file}/run"], "cannot write to --out"),
    (["--resume", "{tmp}"], "no checkpoint.npz and no config.json in {tmp}"),
    (["--resume", "{tmp}/nowhere"], "--resume '{tmp}/nowhere': no such folder"),
    (["--threads", "2"], "--threads must be 0 or 1 (CartPole learns on one thread), got 2"),
    (["--double", "maybe"], "expected true or false, got 'maybe'"),
    (["--gif", "{tmp}/x.gif"], "--gif works only together with --eval"),
    (["--filters", "{tmp}/x.png"], "--filters works only together with --eval"),
    (["--lr", "inf"], "argument --lr: expected a finite float, got 'inf'"),
    (["--lr", "1e309"], "expected a finite float, got '1e309'"),
    (["--lr", "-1e-3"], "--lr must be > 0, got -0.001"),          # a value in exponent form, not a flag
    # an empty path (an unset shell variable) is refused, not taken for no flag at all
    (["--eval", ""], "--eval needs a PATH, got an empty string"),
    (["--resume", ""], "--resume needs a DIR, got an empty string"),
    (["--out", ""], "--out needs a DIR, got an empty string"),
    (["--eval", "{policy}", "--gif", ""], "--gif needs a FILE, got an empty string"),
    # a picture's name and folder are checked before any episode is played
    (["--eval", "{policy}", "--gif", "{tmp}/x.jpg"], "--gif '{tmp}/x.jpg': give a file name ending in .gif"),
    (["--eval", "{policy}", "--filters", "{tmp}/x.gif"], "give a file name ending in .png"),
    (["--eval", "{policy}", "--gif", "{tmp}/nowhere/x.gif"], "{tmp}/nowhere is not a folder this user can write to"),
    # a flag the other settings leave unused would be ignored: refused instead
    (["--optimizer", "sgd", "--adam-eps", "1e-8"],
     "--adam-eps does something only with --optimizer adam, and this run has sgd; drop it"),
    (["--priority-alpha", "0.5"], "--priority-alpha does something only with --prioritized true, and this run has false"),
    (["--target-network", "false", "--tau", "0.5"], "--tau does something only with --target-network true"),
])
def test_bad_input_gets_one_line_and_status_2(argv, message, files, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, **files) for a in argv]
    line = error_line(main, "cartpole", argv, capsys)
    assert message.format(tmp=tmp_path, **files) in line and "allow_pickle" not in line


def test_a_missing_relative_path_is_shown_as_the_absolute_path_tried(capsys):
    line = error_line(main, "cartpole", ["--eval", "no-such-dir/best.npz"], capsys)
    assert line.endswith(f"checkpoint {os.path.abspath('no-such-dir/best.npz')} does not exist")


def test_a_game_or_a_misspelt_command_gets_the_command_it_means():
    for word, hint in [("pong", "python run.py atari --game pong"),
                       ("SpaceInvaders", "python run.py atari --game space_invaders"),
                       ("cartpol", "did you mean: python run.py cartpole?")]:
        done = run_py(word)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and hint in done.stderr, done.stderr


def test_bad_input_exit_status_through_run_py():
    done = run_py("cartpole", "--steps", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "run.py cartpole: error: --steps must be a positive integer, got 0"


def test_help_lists_every_knob_with_its_default(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for f in fields(CartPoleConfig):
        assert f"--{f.name.replace('_', '-')}" in text
    assert f"(default: {CartPoleConfig.hidden})" in text


@pytest.mark.parametrize("command", ["cartpole", "atari", "gridworld"])
def test_help_puts_what_to_run_first_and_says_each_knob_in_two_lines(command):
    """At 80 columns; the reasons and the measurements stay in the config docstrings."""
    done = subprocess.run([sys.executable, "run.py", command, "--help"], cwd=REPO, capture_output=True,
                          text=True, env={**ENV, "COLUMNS": "80"}, timeout=60)
    entries = []                                    # per flag: its lines of help text
    for line in done.stdout.splitlines():
        if line.startswith("  -"):
            flag, _, text = line.strip().partition("  ")
            entries.append((flag.split()[0].rstrip(","), [text] if text.strip() else []))
        elif line.startswith(" " * 24) and entries:
            entries[-1][1].append(line)
        else:
            entries.append(("", []))                # a heading or a blank line ends an entry
    helps = {flag: lines for flag, lines in entries if flag}
    assert len(helps) > 10 and all(1 <= len(lines) <= 2 for lines in helps.values()), \
        {flag: len(lines) for flag, lines in helps.items() if not 1 <= len(lines) <= 2}
    assert not re.search(r"seeds? \d", done.stdout)        # no result figures of particular seeds
    if command != "gridworld":
        first = [f for f in helps if f != "-h"][:9]
        assert first == (["--game"] if command == "atari" else []) + [
            "--seed", "--steps", "--out", "--eval", "--episodes", "--gif", "--filters", "--resume",
            "--overwrite"][:9 - (command == "atari")]
        assert "--episodes INT" in done.stdout and "--lr FLOAT" in done.stdout
        assert "the network and its optimizer:" in done.stdout


# ---- the progress line ----------------------------------------------------------------------

class FakeTerminal(StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_updates_in_place_on_a_terminal_and_prints_lines_otherwise():
    tty, pipe = FakeTerminal(), StringIO()
    for stream in (tty, pipe):
        clock = FakeClock()
        line = ProgressLine(50_000, learning_from=0, stream=stream, clock=clock, width=200)
        line.sample(0)
        clock.now = 1.25
        line.update(1000, 12, 21.5, 0.5)
        line.log(1000, 12, 21.5, 0.5)
    assert tty.getvalue().startswith("\r") and "ETA 1m01s to the 50k budget" in tty.getvalue()
    assert pipe.getvalue().count("\n") == 1 and "\r" not in pipe.getvalue()   # update() is silent
    assert "step   1,000/50,000" in pipe.getvalue() and "ε 0.500" in pipe.getvalue()
    assert " 800 steps/s" in pipe.getvalue()
    narrow = FakeTerminal()                                 # a live line never wraps: it could not be redrawn
    ProgressLine(50_000, stream=narrow, width=80).update(1000, 12, 21.5, 0.5)
    assert len(narrow.getvalue()) == len("\r") + 79 + len("\033[K")
    assert "steps/s  ETA" in narrow.getvalue()              # speed and ETA come first, and stay


def test_speed_and_eta_move_between_log_rows_and_the_replay_fill_does_not_fool_the_eta():
    """A Pong-like run: 10k steps of replay fill at 1,400 steps/s, then learning at 140."""
    tty, clock = FakeTerminal(), FakeClock()
    line = ProgressLine(700_000, learning_from=10_000, stream=tty, clock=clock, width=200)
    line.sample(0)
    drawn = []
    for step in range(0, 9_800, 350):                       # the fill: 1,400 steps/s, 4 draws a second
        clock.now += 0.25
        line.update(step + 350, 0, None, 1.0)
        drawn.append(tty.getvalue().rsplit("\r", 1)[-1])
    assert " 1400 steps/s" in drawn[-1]
    assert "ETA: learning from step 10,000" in drawn[-1]
    step = 10_150
    for _ in range(4 * 60):                                 # a minute of learning: 140 steps/s
        clock.now += 0.25
        step += 35
        line.update(step, 3, -20.5, 0.8)
        drawn.append(tty.getvalue().rsplit("\r", 1)[-1])
    assert len(set(drawn)) == len(drawn)                    # redrawn, never stale, with no log row
    assert " 140 steps/s" in drawn[-1]
    # (700,000 - 18,550) steps at 140 a second, not at the fill's 1,400
    assert "ETA 1h21m to the 700k budget" in drawn[-1], drawn[-1]


def test_the_line_after_a_long_evaluation_shows_the_stepping_speed_and_the_eta_counts_the_pause():
    """140 steps/s for 30 s, then a 60-s evaluation that takes no step: the line printed
    after it shows 140 steps/s (not 35 steps over a minute), and the ETA slows to the
    learning phase's true average, evaluation included."""
    pipe, clock = StringIO(), FakeClock()
    line = ProgressLine(700_000, learning_from=0, stream=pipe, clock=clock, width=200)
    line.sample(0)
    step = 0
    for _ in range(4 * 30):
        clock.now += 0.25
        step += 35
        line.update(step, 3, -20.5, 0.8)
    clock.now += 60.0                                        # the evaluation
    line.log(step, 3, -20.5, 0.8, extra="  eval -21.0")
    printed = pipe.getvalue()
    assert " 140 steps/s" in printed, printed
    # (700,000 - 4,200) steps at 4,200 steps in 90 s: 14,910 s
    assert "ETA 4h08m to the 700k budget" in printed, printed
    clock.now += 0.25                                        # stepping again at 140
    line.update(step + 35, 3, -20.5, 0.8)
    line.log(step + 35, 3, -20.5, 0.8)
    assert " 140 steps/s" in pipe.getvalue().splitlines()[-1]


def test_a_run_too_short_to_learn_says_so_on_its_first_line(tmp_path):
    done = run_py("cartpole", "--steps", "300", "--learning-starts", "500", "--eval-every", "300",
                  "--eval-episodes", "1", "--final-eval-episodes", "1", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    assert "no gradient step will run" in done.stderr.splitlines()[0] and done.stdout == ""


# ---- run folders never mix --------------------------------------------------------------------

def test_an_out_that_holds_a_run_is_refused_and_overwrite_clears_it_first(trained, tmp_path, capsys):
    line = error_line(main, "cartpole", [*SMALL, "--out", trained], capsys)
    assert f"--out {trained} already holds a run" in line and f"--resume {trained}" in line
    assert "--overwrite" in line
    run = str(tmp_path / "again")
    shutil.copytree(trained, run)
    with open(os.path.join(run, "my-own-file.txt"), "w") as f:       # not a run's file: left alone
        f.write("mine\n")
    done = run_py("cartpole", *SMALL[:2], "--learning-starts", "100", "--eval-every", "100000",
                  "--final-eval-episodes", "1", "--seed", "5", "--out", run, "--overwrite", "--quiet")
    assert done.returncode == 0, done.stderr
    assert read_json(os.path.join(run, "config.json"))["seed"] == 5
    assert read_json(os.path.join(run, "summary.json"))["seed"] == 5
    assert not os.path.exists(os.path.join(run, "best.npz"))    # seed 3's, deleted; this run has none
    assert os.path.exists(os.path.join(run, "my-own-file.txt"))


def test_a_run_stopped_before_its_first_checkpoint_is_not_offered_to_resume(trained, tmp_path, capsys):
    run = str(tmp_path / "killed")
    os.mkdir(run)
    for name in ("config.json", "progress.csv"):              # what a run killed early leaves
        shutil.copy(os.path.join(trained, name), run)
    line = error_line(main, "cartpole", [*SMALL, "--out", run], capsys)
    assert "it stopped before its first checkpoint.npz, so it cannot be continued" in line
    assert "--resume" not in line and "--overwrite" in line
    line = error_line(main, "cartpole", ["--resume", run], capsys)
    assert f"no checkpoint.npz in {run}; the run stopped before its first checkpoint" in line
    assert f"--out {run} --overwrite" in line and "config.json" not in line


def test_a_yes_no_flag_alone_means_true():
    parser = make_parser(COMMAND)
    assert parser.parse_args(["--double"]).double is True
    assert parser.parse_args(["--double", "--seed", "3"]).double is True
    assert parser.parse_args(["--double", "false"]).double is False
    assert parser.parse_args([]).double is CartPoleConfig().double         # not given: the default


def test_resuming_a_finished_run_says_so_and_takes_no_step(trained, tmp_path):
    run = str(tmp_path / "finished")
    shutil.copytree(trained, run)
    rows = read_csv(os.path.join(run, "progress.csv"))
    done = run_py("cartpole", "--resume", run)                 # trained to --steps 2000
    assert done.returncode == 0, done.stderr
    assert "this run had reached step 2,000 (--steps 2,000); only its final evaluation" in done.stderr
    assert "warning" not in done.stderr
    assert read_csv(os.path.join(run, "progress.csv")) == rows
    _, meta = load_npz(os.path.join(run, "checkpoint.npz"), kind=CHECKPOINT_KIND)
    assert meta["run"]["step"] == 2000


def test_resuming_a_run_that_stopped_solved_takes_no_step(trained, tmp_path):
    run = str(tmp_path / "solved")
    shutil.copytree(trained, run)
    checkpoint = os.path.join(run, "checkpoint.npz")
    arrays, meta = load_npz(checkpoint, kind=CHECKPOINT_KIND)
    meta["run"]["solved_streak"] = 2                          # as if two evaluations reached 475
    save_npz(checkpoint, arrays, meta)
    done = run_py("cartpole", "--resume", run, "--steps", "3000")
    assert done.returncode == 0, done.stderr
    assert "this run had stopped at step 2,000, solved; only its final evaluation" in done.stderr
    assert load_npz(checkpoint, kind=CHECKPOINT_KIND)[1]["run"]["step"] == 2000


def test_resuming_says_the_replay_memory_is_refilled(trained, tmp_path):
    run = str(tmp_path / "goes-on")
    shutil.copytree(trained, run)
    done = run_py("cartpole", "--resume", run, "--steps", "2600")
    assert done.returncode == 0, done.stderr
    assert ("resuming at step 2,000: the replay memory is not saved, so the first 500 steps "
            "refill it before learning goes on") in done.stderr
    assert "warning" not in done.stderr
    done = run_py("cartpole", "--resume", run, "--steps", "2900")   # 2,600 now; 300 to go < 500
    assert done.returncode == 0, done.stderr
    assert "the 300 steps to go only refill it" in done.stderr and "learning goes on" not in done.stderr
    assert "warning: no gradient step will run: 300 steps to go" in done.stderr


def test_resuming_with_fewer_steps_than_taken_plays_only_the_final_evaluation(trained, tmp_path):
    run = str(tmp_path / "fewer")
    shutil.copytree(trained, run)
    done = run_py("cartpole", "--resume", run, "--steps", "1000")
    assert done.returncode == 0, done.stderr
    assert "this run had reached step 2,000 (--steps 1,000); only its final evaluation" in done.stderr
    assert "warning" not in done.stderr                        # no "-1,000 steps to go"
    _, meta = load_npz(os.path.join(run, "checkpoint.npz"), kind=CHECKPOINT_KIND)
    assert meta["run"]["step"] == 2000


def test_a_run_that_never_evaluated_writes_no_best_npz_and_says_so(tmp_path):
    out = str(tmp_path / "never")
    done = run_py("cartpole", *SMALL, "--eval-every", "100000", "--out", out)
    assert done.returncode == 0, done.stderr
    assert not os.path.exists(os.path.join(out, "best.npz"))
    assert "no evaluation ran during training, so there is no best.npz" in done.stderr
    assert f"--eval {out}/checkpoint.npz" in done.stderr.splitlines()[-1]
    assert read_json(os.path.join(out, "summary.json"))["best_eval_step"] is None


def test_ctrl_c_in_the_final_evaluation_is_not_called_an_interruption_of_training(tmp_path, capsys,
                                                                                   monkeypatch):
    import rl.train
    play = rl.train.evaluate

    def evaluate(agent, env, episodes, epsilon, seed, give_up=None):
        if seed == FINAL_EVAL_SEED:                 # seed 0's final evaluation
            raise KeyboardInterrupt
        return play(agent, env, episodes, epsilon, seed, give_up)
    monkeypatch.setattr(rl.train, "evaluate", evaluate)
    out = str(tmp_path / "final")
    assert main([*SMALL, "--out", out, "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted during the final evaluation; training itself is complete (2,000 steps" in err
    assert f"--resume {out} plays it again" in err and "Continue with" not in err
    assert not os.path.exists(os.path.join(out, "summary.json"))
    monkeypatch.undo()
    assert main(["--resume", out]) == 0                     # as the line says: no step, the evaluation
    assert read_json(os.path.join(out, "summary.json"))["final_eval_episodes"] == 2
    assert "warning" not in capsys.readouterr().err


# ---- done: the files and the next command -----------------------------------------------------

def test_done_names_the_files_written_and_the_command_to_watch_the_agent(trained):
    with open(trained + ".stderr") as f:
        lines = f.read().splitlines()
    assert lines[-3].startswith("done: final eval mean return")
    assert lines[-2] == (f"wrote {trained}/: config.json, progress.csv, curve.png, checkpoint.npz, "
                         f"best.npz, summary.json")
    assert lines[-1] == (f"next: watch it play with  python run.py cartpole --eval {trained}/best.npz "
                         f"--episodes 1 --gif {trained}/episode.gif")
    assert lines[0].startswith(f"training CartPole-v1 -> {trained} up to step 2,000 (stops earlier once solved)")


def test_without_replay_it_learns_once_from_each_transition_as_it_comes(tmp_path):
    """--replay false (the guide's first ablation): D holds one transition, every step after
    learning_starts takes one update on the transition just seen."""
    out = str(tmp_path / "online")
    done = run_py("cartpole", *SMALL, "--replay", "false", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    cfg = read_json(os.path.join(out, "config.json"))
    assert (cfg["replay"], cfg["buffer_size"], cfg["batch_size"], cfg["train_every"], cfg["gradient_steps"]) \
        == (False, 1, 1, 1, 1)
    assert read_json(os.path.join(out, "summary.json"))["gradient_updates"] == 2000 - 500


def test_curve_png_of_a_run_stopped_before_its_budget_ends_where_the_run_ended(tmp_path):
    from rl.cli.cartpole import make_task
    from rl.cli.run_folder import RunFolder
    from rl.train import RunState
    cfg = CartPoleConfig(steps=50_000)
    folder = RunFolder(str(tmp_path), cfg, make_task(cfg), quiet=True)
    run = RunState(step=12_500, episode_steps=[100, 9_000], episode_returns=[10.0, 480.0],
                   eval_steps=[12_500], eval_returns=[500.0], q_steps=[12_500], avg_max_q=[40.0])
    folder.plot(run)
    with Image.open(os.path.join(tmp_path, "curve.png")) as img:
        red = np.argwhere(np.all(np.asarray(img.convert("RGB"))[64:424, :800] == (210, 40, 40), axis=2))
        assert 800 - 24 - 4 <= red[:, 1].min() and red[:, 1].max() <= 800 - 24 + 4   # the right edge


def test_without_out_a_new_run_goes_to_the_next_free_folder_and_overwrite_reuses_the_first(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    tiny = ["--steps", "300", "--learning-starts", "100", "--eval-every", "300", "--eval-episodes", "1",
            "--final-eval-episodes", "1"]
    for quiet in (["--quiet"], ["--quiet"], []):
        assert main([*tiny, *quiet]) == 0
    assert sorted(os.listdir("runs")) == ["cartpole-0", "cartpole-0_2", "cartpole-0_3"]
    assert "training CartPole-v1 -> runs/cartpole-0_3 up to step 300" in capsys.readouterr().err
    assert main([*tiny, "--quiet", "--overwrite"]) == 0
    assert sorted(os.listdir("runs")) == ["cartpole-0", "cartpole-0_2", "cartpole-0_3"]
