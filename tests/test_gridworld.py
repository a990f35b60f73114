"""The grid world, value iteration and tabular Q-learning, and `python run.py gridworld`.

Value iteration is checked against Bellman's equations, closed forms and the values
published for the CS188 book grid; Q-learning against value iteration.
"""
import os
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest
from PIL import Image

from rl.gridworld import ACTIONS, BOOK_GRID, GridWorld, LayoutError, parse_layout
from rl.cli.gridworld import GridWorldConfig, main
from rl.qlearning import epsilon_greedy, q_learning, q_update
from rl.value_iteration import (bellman_backup, bellman_residual, greedy_policy,
                                q_value_iteration, value_iterates, value_iteration)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-8
N, S, E, W = range(4)
assert ACTIONS == ("N", "S", "E", "W")


def book(noise=0.2, discount=0.9, living_reward=0.0) -> GridWorld:
    return GridWorld(parse_layout(BOOK_GRID), noise=noise, living_reward=living_reward,
                     discount=discount)


def solve(mdp: GridWorld) -> np.ndarray:
    return value_iteration(mdp, tolerance=TOL, max_iterations=10_000)[0]


# ---- the MDP -------------------------------------------------------------------------------

def test_book_layout():
    layout = parse_layout(BOOK_GRID)
    assert layout.walls.shape == (3, 4) and layout.walls.sum() == 1 and layout.walls[1, 1]
    assert layout.exits == {(0, 3): 1.0, (1, 3): -1.0}
    assert layout.start == (2, 0)


def test_transition_tables_are_distributions():
    mdp = book()
    assert mdp.T.shape == mdp.R.shape == (12, 4, 12)   # 11 open cells + DONE
    assert np.allclose(mdp.T.sum(axis=2), 1.0) and (mdp.T >= 0).all()


def test_moves_slip_sideways_and_bump_into_edges():
    mdp = book()
    start, above, right = mdp.state_of[(2, 0)], mdp.state_of[(1, 0)], mdp.state_of[(2, 1)]
    # N: 0.8 up, 0.1 slipping E, 0.1 slipping W off the edge (stays).
    assert mdp.T[start, N, above] == pytest.approx(0.8)
    assert mdp.T[start, N, right] == pytest.approx(0.1)
    assert mdp.T[start, N, start] == pytest.approx(0.1)
    # W: 0.8 into the edge and 0.1 slipping S off the edge stay; 0.1 slips N.
    assert mdp.T[start, W, start] == pytest.approx(0.9)
    # Beside the wall at (1, 1): moving E from (1, 0) bumps it.
    assert mdp.T[above, E, above] == pytest.approx(0.8)


def test_exit_cells_pay_their_reward_then_end():
    mdp = book(living_reward=-0.04)
    good, bad = mdp.state_of[(0, 3)], mdp.state_of[(1, 3)]
    for a in range(4):
        assert mdp.T[good, a, mdp.done] == 1.0 and mdp.R[good, a, mdp.done] == 1.0
        assert mdp.T[bad, a, mdp.done] == 1.0 and mdp.R[bad, a, mdp.done] == -1.0
    assert mdp.step(good, S, np.random.default_rng(0)) == (mdp.done, 1.0, True)
    assert mdp.R[mdp.start, N, mdp.state_of[(1, 0)]] == -0.04   # the living reward
    assert (mdp.T[mdp.done, :, mdp.done] == 1.0).all() and (mdp.R[mdp.done] == 0).all()


def test_step_samples_from_T():
    mdp, rng = book(), np.random.default_rng(0)
    counts = np.zeros(mdp.n_states)
    for _ in range(20_000):
        counts[mdp.step(mdp.start, N, rng)[0]] += 1
    assert np.abs(counts / counts.sum() - mdp.T[mdp.start, N]).max() < 0.01


# ---- value iteration -----------------------------------------------------------------------

@pytest.mark.parametrize("noise,discount,living_reward",
                         [(0.2, 0.9, 0.0), (0.0, 0.9, 0.0), (0.2, 0.99, -0.04), (0.5, 0.5, 0.1)])
def test_value_iteration_solves_bellman_optimality(noise, discount, living_reward):
    mdp = book(noise, discount, living_reward)
    V, iterations = value_iteration(mdp, tolerance=TOL, max_iterations=10_000)
    assert 1 < iterations < 10_000
    assert bellman_residual(mdp, V) < TOL
    # V*(s) = max_a Q*(s, a), with Q* from Algorithm 2; each is within γ ε / (1 - γ) of the truth.
    Q, _ = q_value_iteration(mdp, tolerance=TOL, max_iterations=10_000)
    assert np.abs(V - Q.max(axis=1)).max() < 2 * discount * TOL / (1 - discount)
    assert np.abs(V - bellman_backup(mdp, V).max(axis=1)).max() < TOL
    assert V[mdp.done] == 0.0


def test_book_grid_matches_published_values():
    # V* of the CS188 book grid (noise 0.2, γ 0.9, living reward 0), two decimals, as CS188 prints it.
    published = {(0, 0): 0.64, (0, 1): 0.74, (0, 2): 0.85, (0, 3): 1.00,
                 (1, 0): 0.57, (1, 2): 0.57, (1, 3): -1.00,
                 (2, 0): 0.49, (2, 1): 0.43, (2, 2): 0.48, (2, 3): 0.28}
    mdp = book()
    V = solve(mdp)
    assert {cell: round(V[s], 2) for cell, s in mdp.state_of.items()} == published
    policy = greedy_policy(bellman_backup(mdp, V))
    arrows = {cell: ACTIONS[policy[mdp.state_of[cell]]] for cell in [(0, 0), (0, 1), (0, 2),
              (1, 0), (1, 2), (2, 0), (2, 1), (2, 2), (2, 3)]}
    assert "".join(arrows.values()) == "EEENNNWNW"


def test_value_iterates_match_the_cs188_slides():
    # V_k on the book grid (noise 0.2, γ 0.9) as the CS188 lecture draws k = 2, 3, 4
    mdp = book()
    V = value_iterates(mdp, 4)
    assert np.array_equal(V[0], np.zeros(mdp.n_states))                # V_0 = 0 is a fine start
    cells = {k: {cell: round(V[k][s], 2) for cell, s in mdp.state_of.items() if round(V[k][s], 2)}
             for k in (2, 3, 4)}
    assert cells[2] == {(0, 2): 0.72, (0, 3): 1.0, (1, 3): -1.0}
    assert cells[3] == {(0, 1): 0.52, (0, 2): 0.78, (1, 2): 0.43, (0, 3): 1.0, (1, 3): -1.0}
    assert cells[4] == {(0, 0): 0.37, (0, 1): 0.66, (0, 2): 0.83, (1, 2): 0.51, (2, 2): 0.31,
                        (0, 3): 1.0, (1, 3): -1.0}


@pytest.mark.parametrize("discount", [0.5, 0.9, 1.0])
def test_deterministic_corridor_values_are_powers_of_discount(discount):
    # S . . . +1 with noise 0: from d steps before the exit, V* = γ^d · 1.
    mdp = GridWorld(parse_layout("S . . . +1"), noise=0.0, living_reward=0.0, discount=discount)
    V = solve(mdp)
    assert np.allclose([V[mdp.state_of[(0, c)]] for c in range(5)],
                       [discount ** (4 - c) for c in range(5)], atol=1e-12)
    if discount < 1:   # with γ = 1 and nothing to pay for dawdling, every move is optimal
        assert (greedy_policy(bellman_backup(mdp, V))[:4] == E).all()


def test_corridor_with_living_reward_is_a_geometric_sum():
    # d steps at living reward c, then the exit: V* = c (1 - γ^d) / (1 - γ) + γ^d.
    c, g = -0.1, 0.8
    mdp = GridWorld(parse_layout("S . . . +1"), noise=0.0, living_reward=c, discount=g)
    V = solve(mdp)
    expected = [c * (1 - g ** d) / (1 - g) + g ** d for d in (4, 3, 2, 1, 0)]
    assert np.allclose(V[:5], expected, atol=1e-7)


def test_noise_changes_the_policy_where_it_should():
    # At (2, 1), E is the short way (E, N, N, E: γ^4 = 0.66 against γ^6 = 0.53 the long
    # way). But it leads up column 2, past the -1 exit: with noise, a slip E there costs
    # -1, so the optimal move turns W: the long way round.
    cell = (2, 1)
    for noise, expected in [(0.0, E), (0.2, W)]:
        mdp = book(noise=noise)
        assert greedy_policy(bellman_backup(mdp, solve(mdp)))[mdp.state_of[cell]] == expected
    # Where there is no such risk, noise leaves the move alone: (1, 0) goes N either way.
    for noise in (0.0, 0.2):
        mdp = book(noise=noise)
        assert greedy_policy(bellman_backup(mdp, solve(mdp)))[mdp.state_of[(1, 0)]] == N


def test_value_iteration_reports_divergence():
    # γ = 1 and a positive living reward: never exiting is worth +∞, so V* does not exist.
    with pytest.raises(ValueError, match="did not converge"):
        value_iteration(book(discount=1.0, living_reward=0.1), tolerance=TOL, max_iterations=500)
    with pytest.raises(ValueError, match="tolerance"):
        value_iteration(book(), tolerance=0.0, max_iterations=10)


# ---- Q-learning ----------------------------------------------------------------------------

def test_q_update_by_hand():
    Q = np.zeros((3, 2))
    Q[1] = [0.5, 2.0]
    q_update(Q, 0, 1, r=1.0, s_next=1, done=False, alpha=0.5, discount=0.9)
    assert Q[0, 1] == pytest.approx(0.5 * (1.0 + 0.9 * 2.0))          # 1.4
    # A terminal s' bootstraps to 0, whatever Q[s'] holds.
    q_update(Q, 2, 0, r=-1.0, s_next=1, done=True, alpha=0.5, discount=0.9)
    assert Q[2, 0] == pytest.approx(-0.5)


def test_epsilon_greedy():
    rng = np.random.default_rng(0)
    assert {epsilon_greedy(np.array([0.0, 3.0, 1.0, 2.0]), 0.0, rng) for _ in range(50)} == {1}
    # Ties are broken at random, and ε = 1 tries every action.
    assert {epsilon_greedy(np.array([1.0, 1.0, 0.0, 1.0]), 0.0, rng) for _ in range(200)} \
        == {0, 1, 3}
    assert {epsilon_greedy(np.array([0.0, 3.0, 1.0, 2.0]), 1.0, rng) for _ in range(200)} \
        == {0, 1, 2, 3}


def learn(env, episodes=5000, seed=0, exploring_starts=True):
    # The defaults of the command line, so the test proves what `run.py gridworld` prints.
    cfg = GridWorldConfig()
    return q_learning(env, episodes=episodes, epsilon=cfg.epsilon,
                      learning_rate=cfg.learning_rate,
                      learning_rate_decay=cfg.learning_rate_decay,
                      exploring_starts=exploring_starts, max_steps=cfg.max_steps, seed=seed)


@pytest.mark.parametrize("seed", [0, 1])
def test_q_learning_recovers_value_iteration_on_the_book_grid(seed):
    mdp = book()
    V_star = solve(mdp)
    Q, updates = learn(mdp, seed=seed)
    cells = mdp.non_exits   # at exit cells every action is the same
    assert (greedy_policy(Q)[cells] == greedy_policy(bellman_backup(mdp, V_star))[cells]).all()
    assert np.abs(Q.max(axis=1) - V_star).max() < 0.05
    assert (updates[:mdp.done].sum(axis=1) > 0).all() and (updates[mdp.done] == 0).all()


class SamplesOnly:
    """The grid world with its tables hidden: what a model-free learner may touch."""

    def __init__(self, mdp: GridWorld):
        self.n_states, self.n_actions, self.discount = mdp.n_states, mdp.n_actions, mdp.discount
        self.reset, self.step = mdp.reset, mdp.step


def test_q_learning_needs_only_samples():
    mdp = book()
    Q_full, _ = learn(mdp, episodes=200)
    Q_samples, _ = learn(SamplesOnly(mdp), episodes=200)
    assert np.array_equal(Q_full, Q_samples)


def test_q_learning_is_seeded():
    mdp = book()
    assert np.array_equal(learn(mdp, 100, seed=3)[0], learn(mdp, 100, seed=3)[0])
    assert not np.array_equal(learn(mdp, 100, seed=3)[0], learn(mdp, 100, seed=4)[0])


@pytest.mark.parametrize("bad,match", [({"episodes": 0}, "episodes"), ({"max_steps": 0}, "max steps"),
                                       ({"epsilon": 1.5}, "epsilon"),
                                       ({"learning_rate": 0.0}, "learning rate"),
                                       ({"learning_rate_decay": -1.0}, "decay")])
def test_q_learning_rejects_impossible_settings(bad, match):
    args = dict(episodes=10, epsilon=0.1, learning_rate=0.5, learning_rate_decay=0.1,
                exploring_starts=False, max_steps=10, seed=0)
    with pytest.raises(ValueError, match=match):
        q_learning(book(), **{**args, **bad})


# ---- bad layouts and parameters ------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("S . x\n. . +1", "line 1, column 3: 'x' is not a cell; allowed cells are '.'"),
    ("S ...1", "line 1, column 2: '...1' is not a cell; cells are separated by spaces"),
    ("S 1..", "line 1, column 2: '1..' is not a cell; cells are separated by spaces"),
    ("Start . +1", "line 1, column 1: 'Start' is not a cell; allowed cells"),
    ("\nS . +1\n. .", "line 3 has 2 cells but line 2 has 3"),
    (". . +1", "exactly one start cell 'S', found 0"),
    ("S . S +1", "exactly one start cell 'S', found 2"),
    ("S . .", "no exit cell"),
    ("  \n", "empty"),
    ("S . nan", "line 1, column 3: an exit reward must be a finite number"),
])
def test_malformed_layouts_say_what_is_wrong(text, message):
    with pytest.raises(LayoutError, match=message):
        parse_layout(text)


@pytest.mark.parametrize("kwargs,message", [
    ({"discount": 1.5}, r"discount must be in \[0, 1\], got 1.5"),
    ({"discount": -0.1}, "discount must be in"),
    ({"discount": float("nan")}, "discount must be in"),
    ({"noise": 1.2}, r"noise must be in \[0, 1\], got 1.2"),
    ({"noise": -0.1}, "noise must be in"),
    ({"living_reward": float("inf")}, "living reward must be a finite number"),
])
def test_impossible_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        book(**kwargs)


# ---- python run.py gridworld ---------------------------------------------------------------

def test_cli_prints_both_solutions(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for text in ["V* (value iteration)", "V = max_a Q (Q-learning)", "|V - V*|",
                 "greedy policy from V*", "greedy policy from Q", "0.64", "converged in 30 iterations",
                 "optimal in 9 of the 9 non-exit cells"]:
        assert text in out
    assert "   >      >      >     +1" in out   # the top row of the V* policy


def test_cli_shows_value_iteration_step_by_step_and_q_of_every_move(capsys):
    assert main(["--episodes", "10", "--show-iterations", "3", "--show-q", "true"]) == 0
    out = capsys.readouterr().out
    assert "V_0" in out and "V_3" in out and "V_4" not in out
    assert "   0.00   0.52   0.78   1.00" in out                            # the top row of V_3
    # the top-left cell's four Q*: N 0.59 above, W 0.57 and E 0.64 beside, S 0.53 below
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("  0.57  0.64"))
    assert lines[i - 1].strip().startswith("0.59") and lines[i + 1].strip().startswith("0.53")
    assert "[+1]" in lines[i]                                              # the exit, in the same row


def test_cli_draws_q_star_as_four_triangles_a_cell(tmp_path, capsys):
    path = str(tmp_path / "q.png")
    assert main(["--episodes", "10", "--q-picture", path]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    with Image.open(path) as img:
        top = img.height - (3 * 110 + 1) - 44                               # the title's lines
        assert img.width == 4 * 110 + 1 and 20 < top < 60                   # the 4 x 3 book grid
        rgb = img.convert("RGB")
        assert rgb.getpixel((3 * 110 + 20, top + 20))[1] > 200               # the +1 exit: bright green
        assert rgb.getpixel((3 * 110 + 20, top + 110 + 20))[0] > 200         # the -1 exit: bright red
        assert rgb.getpixel((110 + 55, top + 110 + 55)) == (128, 128, 128)   # the wall
        r, g, b = rgb.getpixel((2 * 110 + 100, top + 110 + 55))             # (row 2, col 3) E: -0.60
        assert r > g
        scale_y = top + 3 * 110 + 1 + 12                                    # the colour scale below
        assert rgb.getpixel((21, scale_y))[0] > 200 and rgb.getpixel((4 * 110 - 20, scale_y))[1] > 200
        assert rgb.crop((0, 0, img.width, top)).convert("L").getextrema()[0] < 100   # a title


def test_cli_reads_a_layout_file(tmp_path, capsys):
    path = tmp_path / "corridor.txt"
    path.write_text("S . . +1\n")
    assert main(["--layout", str(path), "--noise", "0", "--discount", "0.5",
                 "--episodes", "200"]) == 0
    assert "0.25   0.50   1.00" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["--discount", "1.5"], "discount must be in [0, 1], got 1.5"),
    (["--noise", "-0.1"], "noise must be in [0, 1]"),
    (["--episodes", "-3"], "episodes must be at least 1, got -3"),
    (["--show-iterations", "-1"], "--show-iterations must be 0 or more, got -1"),
    (["--layout", "LAYOUT"], "line 2, column 2: '?' is not a cell"),
    (["--layout", "no/such/file.txt"], "cannot read layout file 'no/such/file.txt'"),
    (["--seed", "-1"], "--seed must be 0 or more, got -1"),
])
def test_cli_bad_input_is_one_line_and_status_2(argv, message, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("S . +1\n. ? .\n")
    assert main([str(bad) if a == "LAYOUT" else a for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("run.py gridworld: ") and message in err and err.count("\n") == 1


def test_cli_help_lists_every_knob(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for f in fields(GridWorldConfig):
        assert "--" + f.name.replace("_", "-") in out
    assert main(["--noise", "x"]) == 2   # argparse's own error, status 2


def test_run_py_gridworld_without_traceback():
    def run(*argv):
        return subprocess.run([sys.executable, "run.py", "gridworld", *argv], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    ok, bad = run("--episodes", "100"), run("--discount", "1.5")
    assert ok.returncode == 0 and "greedy policy from Q" in ok.stdout
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("run.py gridworld: error: discount must be in [0, 1]")


@pytest.mark.parametrize("argv,message", [
    (["--noise", "abc"], "argument --noise: expected float, got 'abc'"),
    (["--no-such-flag"], "unknown flag --no-such-flag"),
    (["--episode", "9"], "unknown flag --episode (did you mean --episodes?)"),
    (["--living-reward", "inf"], "argument --living-reward: expected a finite float, got 'inf'"),
    (["--exploring-starts", "maybe"], "expected true or false, got 'maybe'"),
])
def test_a_malformed_flag_is_one_line_too(argv, message, capsys):
    """Like run.py cartpole and atari: one line and status 2, not argparse's usage block."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("run.py gridworld: error: ") and message in err and err.count("\n") == 1


def test_bench_gridworld_counts_the_seeds_that_recover_the_optimal_policy(capsys):
    sys.path.insert(0, os.path.join(REPO, "bench"))
    from gridworld import main as bench_main
    assert bench_main(["--seeds", "0-1", "--", "--episodes", "500"]) == 0
    out = capsys.readouterr().out
    assert "seed 0: greedy move not optimal at (row, column) (3, 4)" in out       # 500 episodes: too few
    assert "0 of 2 seeds (0%) recover the optimal policy" in out
