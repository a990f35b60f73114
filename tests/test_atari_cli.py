"""`python run.py atari` end to end: a short Pong run writes every file, --eval plays its best
network and records a GIF, and bad input gets one line and exit status 2.

The run is 1,200 agent steps with 8-transition minibatches and one-game evaluations (a Pong
game lasts ~800 steps even when one side never scores), so the file takes seconds; it proves
the plumbing, not that the agent learns (that takes the full 400k-step run).
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from atari.cli import COMMAND, AtariConfig, main
from cli_helpers import ENV, REPO, RUN_FILES, error_line, read_csv, read_json, run_py
from nnpy import load_npz
from rl.cli.cartpole import main as cartpole_main
from rl.cli.checkpoints import POLICY_KIND
from rl.cli.command import watch_command
from rl.train import FINAL_EVAL_SEED

SMALL = ["--game", "pong", "--steps", "1200", "--buffer-size", "2000", "--learning-starts", "300",
         "--batch-size", "8", "--train-every", "4", "--eval-every", "1200", "--eval-episodes", "1",
         "--final-eval-episodes", "1", "--sticky-eval-episodes", "1", "--log-every", "400"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> str:
    """One short Pong run, shared by the tests that only read it."""
    out = str(tmp_path_factory.mktemp("pong") / "run")
    done = run_py("atari", *SMALL, "--out", out)
    assert done.returncode == 0, done.stderr
    with open(out + ".stderr", "w") as f:          # what the run said, for the tests of its lines
        f.write(done.stderr)
    return out


def test_a_short_pong_run_writes_every_file(trained):
    assert RUN_FILES <= set(os.listdir(trained))
    summary = read_json(os.path.join(trained, "summary.json"))
    assert summary["env"] == "ALE/Pong-v5" and summary["steps"] == 1200
    # 1,200 steps teach nothing yet: the built-in opponent wins by a wide margin (a sign error
    # in the score, or a clipped score, would not look like this)
    assert summary["final_eval_episodes"] == 1 and summary["final_eval_mean_return"] <= -15
    # then the same network where the previous action sometimes repeats (not a copy of the above)
    assert len(summary["sticky_eval_returns"]) == 1 and summary["sticky_eval_mean_return"] <= -15
    assert summary["best_eval_step"] == 1200
    with open(trained + ".stderr") as f:
        done = [line for line in f.read().splitlines() if line.startswith("done:")]
    assert len(done) == 1 and " over 1 episode, " in done[0] and "sticky actions (1 episode)" in done[0]
    assert summary["gradient_updates"] == (1200 - 300) // 4     # one every 4 steps from step 300
    rows = read_csv(os.path.join(trained, "progress.csv"))
    assert [int(r["step"]) for r in rows] == [400, 800, 1200]
    assert rows[-1]["loss"] != ""
    assert float(rows[-1]["eval_mean_return"]) == summary["best_eval_mean_return"]   # the only evaluation
    config = read_json(os.path.join(trained, "config.json"))
    assert config["game"] == "pong" and config["arch"] == "dqn2013" and config["buffer_size"] == 2000
    _, meta = load_npz(os.path.join(trained, "best.npz"), kind=POLICY_KIND)
    assert meta["game"] == "pong" and meta["arch"] == "dqn2013" and meta["env_id"] == "ALE/Pong-v5"
    with Image.open(os.path.join(trained, "curve.png")) as img:
        assert img.format == "PNG"


def test_eval_replays_the_final_evaluation_and_records_a_gif(trained, tmp_path):
    # the run (seed 0) ended by playing best.npz on a game seeded FINAL_EVAL_SEED; --eval with
    # that seed must play the very same game (no-ops, ε-greedy actions, score)
    summary = read_json(os.path.join(trained, "summary.json"))
    gif, filters = str(tmp_path / "pong.gif"), str(tmp_path / "filters.png")
    done = run_py("atari", "--eval", os.path.join(trained, "best.npz"), "--episodes", "1",
                  "--seed", str(FINAL_EVAL_SEED), "--gif", gif, "--filters", filters)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"mean_return={summary['final_eval_returns'][0]:g} episodes=1"
    with Image.open(gif) as img:
        # the screen scaled to the 400-pixel-high panel, beside the Q-value bars and the V(s) trace
        assert img.format == "GIF" and 1 < img.n_frames <= 2_000 and img.size == (round(160 * 400 / 210) + 320, 400)
        img.seek(img.n_frames // 2)
        frame = np.asarray(img.convert("RGB"))
        game, panel = frame[:, :round(160 * 400 / 210)], frame[:, round(160 * 400 / 210):]
        assert len(np.unique(game.reshape(-1, 3), axis=0)) >= 3      # Pong's field, paddles, ball
        assert panel.min() < 128 < panel.max()                       # bars and trace drawn on the panel
    with Image.open(filters) as img:
        pixels = np.asarray(img.convert("L"))
        assert img.format == "PNG" and min(img.size) > 100 and pixels.std() > 10   # not blank


def test_relu_activity_reads_the_runs_networks(trained):
    # bench/relu_activity.py on the run's checkpoint and best.npz: one row per ReLU of dqn2013
    done = subprocess.run([sys.executable, "bench/relu_activity.py", os.path.join(trained, "checkpoint.npz"),
                           os.path.join(trained, "best.npz")], cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == os.path.join(trained, "checkpoint.npz") + " (step 1,200)"
    row = re.compile(r"  (Conv2D|Dense) (\d+) .*?([\d,]+) +([\d.]+)% +([\d.]+)% +(\d+ of \d+|–)$")
    rows = [row.match(line).groups() for line in lines if line.startswith(("  Conv2D", "  Dense"))]
    assert [r[:2] for r in rows] == [("Conv2D", "16"), ("Conv2D", "32"), ("Dense", "256")] * 2
    assert [r[2] for r in rows[:3]] == ["6,400", "2,592", "256"]           # 20·20·16, 9·9·32, 256
    assert all(0 <= float(r[i]) <= 100 for r in rows for i in (3, 4))
    assert [r[5].split()[1:] for r in rows[:2]] == [["of", "16"], ["of", "32"]] and rows[2][5] == "–"
    assert all(int(r[5].split()[0]) <= int(r[1]) for r in rows[:2])
    greedy = [line for line in lines if line.startswith("  greedy action on the 500 screens: NOOP ")]
    assert len(greedy) == 2
    assert all(sum(int(part.split()[-1]) for part in g.split(": ")[1].split(", ")) == 500 for g in greedy)


# ---- bad input: one line on stderr, exit status 2 -----------------------------------------

@pytest.fixture(scope="module")
def cartpole_checkpoint(tmp_path_factory) -> str:
    """A real checkpoint.npz, but of a CartPole run."""
    out = str(tmp_path_factory.mktemp("cartpole") / "run")
    status = cartpole_main(["--steps", "600", "--learning-starts", "100", "--eval-every", "300",
                            "--eval-episodes", "1", "--final-eval-episodes", "1", "--out", out, "--quiet"])
    assert status == 0
    return os.path.join(out, "checkpoint.npz")


def test_relu_activity_refuses_a_cartpole_network(cartpole_checkpoint):
    done = subprocess.run([sys.executable, "bench/relu_activity.py", cartpole_checkpoint], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "is not from an Atari run (this measures Atari networks only)" in done.stderr


@pytest.mark.parametrize("argv,message", [
    (["--game", "pongg"], "unknown Atari game 'pongg'; closest: pong"),
    (["--arch", "resnet"], "argument --arch: invalid choice: 'resnet'"),
    (["--steps", "0"], "--steps must be a positive integer, got 0"),
    (["--noop-max", "-1"], "--noop-max must be 0 to 108,000, the emulator's frames per game, got -1"),
    (["--noop-max", "1000000000"], "--noop-max must be 0 to 108,000"),
    (["--atoms", "11"], "--atoms does something only with --c51 true, and this run has false; drop it"),
    (["--c51", "true", "--loss", "mse"], "--loss does something only with --c51 false, and this run has true"),
    (["--noisy", "true", "--eps-end", "0.5"], "--eps-end does something only with --noisy false"),
    (["--batch-size", "1"], "--batch-size must be 2 or more, got 1"),
    (["--threads", "3"], "--threads must be 0, 1 or 2, got 3"),
    (["--eval", "{tmp}/missing.npz"], "does not exist"),
    (["--eval", "{cartpole}"], "was trained on 'CartPole-v1', not 'ALE/Pong-v5'"),
    (["--eval", "{cartpole}", "--arch", "dqn2015"], "so it would ignore --arch; with --eval give only "
                                                    "--episodes, --gif, --filters, --seed, --eval-epsilon, --game"),
])
def test_bad_input_gets_one_line_and_status_2(argv, message, cartpole_checkpoint, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, cartpole=cartpole_checkpoint) for a in argv]
    assert message in error_line(main, "atari", argv, capsys)


def test_eval_plays_a_network_on_the_action_set_it_was_trained_on(tmp_path, capsys):
    """A network of 18 outputs (trained with --full-action-space true) is played on all 18
    actions without the flag; given the 6-action set instead, it is refused before any game."""
    from atari.networks import build_net
    from rl.cli.checkpoints import save_policy
    path = str(tmp_path / "full.npz")
    save_policy(path, build_net("dqn2013", 18, np.random.default_rng(0)), "ALE/Pong-v5",
                {"config": {"full_action_space": True, "luminance": "rec709"}})
    assert main(["--eval", path, "--episodes", "1"]) == 0
    assert "mean_return=" in capsys.readouterr().out
    line = error_line(main, "atari", ["--eval", path, "--full-action-space", "false"], capsys)
    assert line.endswith(f"{path} scores 18 actions and ALE/Pong-v5 has 6 with --full-action-space "
                         f"false; play it with the action set it was trained on")


def test_eval_takes_the_luminance_a_network_was_trained_with_unless_told(tmp_path):
    from atari.networks import build_net
    from rl.cli.checkpoints import save_policy
    from rl.cli.command import _as_trained
    path = str(tmp_path / "rec601.npz")
    save_policy(path, build_net("dqn2013", 6, np.random.default_rng(0)), "ALE/Pong-v5",
                {"config": {"full_action_space": False, "luminance": "rec601"}})
    assert AtariConfig().luminance == "rec709"
    assert _as_trained(AtariConfig(), path, given=set()).luminance == "rec601"
    assert _as_trained(AtariConfig(luminance="rec709"), path, given={"luminance"}).luminance == "rec709"


def test_unknown_game_through_run_py():
    done = run_py("atari", "--game", "pongg")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("run.py atari: error: unknown Atari game 'pongg'; closest: pong")


def test_the_next_command_names_the_game_and_the_options_the_network_was_trained_with(tmp_path):
    cfg = AtariConfig(game="breakout", sticky_actions=True)
    assert watch_command(COMMAND, cfg, "runs/b") == (
        "python run.py atari --game breakout --sticky-actions true --eval runs/b/checkpoint.npz "
        "--episodes 1 --gif runs/b/episode.gif")
    assert watch_command(COMMAND, AtariConfig(), "runs/p").startswith("python run.py atari --eval ")


def test_the_sticky_evaluation_plays_sticky_games_and_a_sticky_run_has_none():
    plain = COMMAND.make_task(AtariConfig())
    assert plain.make_sticky_eval_env(0).ale.getFloat("repeat_action_probability") == 0.25
    assert plain.make_eval_env(0).ale.getFloat("repeat_action_probability") == 0.0
    assert COMMAND.make_task(AtariConfig(sticky_actions=True)).make_sticky_eval_env is None
