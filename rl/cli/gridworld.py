"""`python run.py gridworld`: value iteration and Q-learning on a grid world, printed as grids.

Value iteration is given T and R and computes V* and its greedy policy; Q-learning
only samples transitions. The printout puts what each found side by side, with
|V - V*| per cell. Bad input ends with one line on stderr and exit status 2.
"""
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from rl.gridworld import ACTIONS, BOOK_GRID, GridWorld, parse_layout
from rl.qlearning import q_learning
from rl.value_iteration import (bellman_backup, bellman_residual, greedy_policy,
                                value_iterates, value_iteration)

from .flags import OneLineParser, add_flags, from_args
from .pictures import quadrant_grid

ARROWS = {"N": "^", "S": "v", "E": ">", "W": "<"}   # ASCII, so any terminal can print them
CELL_WIDTH = 7                                      # fits "-100.00" with a space before it
DESCRIPTION = "Value iteration and tabular Q-learning on a grid world, printed as text grids."
TIE = 1e-6                                          # Q* values this close count as equal
GAP = "    "                                        # between grids printed side by side
Q_CELL_WIDTH = 14                                   # fits "-0.12  -0.34" and a space
GRIDS_PER_ROW = 4                                   # V_k grids printed side by side


@dataclass
class GridWorldConfig:
    layout: str = "book"
    """'book' for the 4x3 book grid, or the path of a layout file (format in rl/gridworld.py)"""
    noise: float = 0.2
    """probability that a move slips sideways, noise/2 to each side; in [0, 1]"""
    discount: float = 0.9
    """γ in [0, 1]: what a reward one step later is worth now"""
    living_reward: float = 0.0
    """reward for every step that does not leave through an exit cell"""
    tolerance: float = 1e-8
    """value iteration stops once no value changes by this much in an iteration"""
    max_iterations: int = 100_000
    """value iteration gives up (an error) after this many iterations"""
    episodes: int = 40_000
    """number of Q-learning episodes: enough to tell apart two moves 0.01 apart in Q*

    The book grid's bottom-right cell has two moves 0.01 apart in Q* (W 0.28, S 0.27), so
    Q-learning must estimate both that well: with 5,000 episodes 43 of seeds 0-49 got every
    greedy move right, with 10,000 all 50 but 90 of seeds 100-199, with 20,000 97 of those 100,
    with 40,000 99 (about 2 s a run). A slower step-size decay (0.05) or ε = 0.5 did worse"""
    epsilon: float = 0.2
    """ε: probability that Q-learning takes a random action instead of the greedy one"""
    learning_rate: float = 1.0
    """α_0 in α_n = α_0 / (1 + d n): the step size of the first update of each Q(s, a)"""
    learning_rate_decay: float = 0.2
    """d in α_n = α_0 / (1 + d n), n = updates Q(s, a) has had; 0 keeps α constant"""
    exploring_starts: bool = True
    """begin each episode in a random non-exit cell (true) or always at S (false)"""
    max_steps: int = 100
    """an episode is cut after this many steps"""
    seed: int = 0
    """seed of Q-learning's random numbers: the same seed prints the same grids"""
    show_iterations: int = 0
    """also print V_0, V_1, ..., V_K of value iteration: value spreading from the exits

    V_0 = 0; value spreads out from the exits one step per iteration."""
    show_q: bool = False
    """also print Q*(s, a) of every cell as CS188 draws it: N above, W and E beside, S below"""
    q_picture: str = ""
    """also draw Q*(s, a) of every cell into this PNG file (the CS188 picture)

    Four triangles a cell, one per move, green for positive values and red for negative."""


def load_layout_text(layout: str) -> str:
    """The text of the named built-in layout, or of the layout file at that path."""
    if layout == "book":
        return BOOK_GRID
    try:
        with open(layout, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read layout file {layout!r}: "
                         f"{getattr(e, 'strerror', None) or e}") from None


def grid_lines(mdp: GridWorld, title: str, cell_text: Callable[[int], str]) -> list[str]:
    """A titled text grid: cell_text(s) in each open cell, '#' in walls. Returns its lines."""
    height, width = mdp.layout.walls.shape
    rows = ["".join((cell_text(mdp.state_of[(r, c)]) if (r, c) in mdp.state_of else "#")
                    .rjust(CELL_WIDTH) for c in range(width)) for r in range(height)]
    return [title.ljust(CELL_WIDTH * width)] + rows


def side_by_side(*grids: list[str]) -> str:
    """Print several grids (as from grid_lines, all the same height) in one row."""
    return "\n".join(GAP.join(line.ljust(len(grid[0])) for line, grid in zip(lines, grids)).rstrip()
                     for lines in zip(*grids))


def values_text(values: np.ndarray, known: np.ndarray) -> Callable[[int], str]:
    """Cell text for a value table, two decimals; '-' where known[s] is False. (S,), (S,) bool."""
    return lambda s: f"{values[s]:.2f}" if known[s] else "-"


def policy_text(mdp: GridWorld, policy: np.ndarray) -> Callable[[int], str]:
    """Cell text for a policy: an arrow, or the reward of an exit cell. policy: (S,) int."""
    def text(s: int) -> str:
        if mdp.is_exit(s):
            return f"{mdp.layout.exits[mdp.cells[s]]:+g}"
        return ARROWS[ACTIONS[policy[s]]]
    return text


def iterations_text(mdp: GridWorld, k: int) -> str:
    """V_0 ... V_k of value iteration as grids, GRIDS_PER_ROW to a row."""
    if k < 0:
        raise ValueError(f"--show-iterations must be 0 or more, got {k}")
    everywhere = np.ones(mdp.n_states, dtype=bool)
    grids = [grid_lines(mdp, f"V_{i}", values_text(V, everywhere))
             for i, V in enumerate(value_iterates(mdp, k))]
    return "\n\n".join(side_by_side(*grids[i:i + GRIDS_PER_ROW])
                       for i in range(0, len(grids), GRIDS_PER_ROW))


def q_grid_text(mdp: GridWorld, Q: np.ndarray) -> str:
    """Q(s, a) of every cell in three lines: Q(s, N) on top, Q(s, W) and Q(s, E) in the middle,
    Q(s, S) below; an exit cell shows its reward, a wall '#'.  Q: (S, A)."""
    height, width = mdp.layout.walls.shape
    lines = []
    for r in range(height):
        rows = ["", "", ""]
        for c in range(width):
            s = mdp.state_of.get((r, c))
            if s is None:
                cell = ("", "#", "")
            elif mdp.is_exit(s):
                cell = ("", f"[{mdp.layout.exits[(r, c)]:+g}]", "")
            else:
                q = dict(zip(ACTIONS, Q[s]))
                cell = (f"{q['N']:.2f}", f"{q['W']:.2f}  {q['E']:.2f}", f"{q['S']:.2f}")
            rows = [row + text.center(Q_CELL_WIDTH) for row, text in zip(rows, cell)]
        lines += [row.rstrip() for row in rows] + [""]
    return "\n".join(lines).rstrip()


def solve_both_ways(cfg: GridWorldConfig):
    """The MDP of cfg, V* and its iteration count by value iteration, and Q with its update
    counts by Q-learning: (mdp, V_star (S,), iterations, Q (S, A), updates (S, A))."""
    if cfg.seed < 0:                    # numpy's own message would not name the flag
        raise ValueError(f"--seed must be 0 or more, got {cfg.seed}")
    mdp = GridWorld(parse_layout(load_layout_text(cfg.layout)), noise=cfg.noise,
                    living_reward=cfg.living_reward, discount=cfg.discount)
    V_star, iterations = value_iteration(mdp, tolerance=cfg.tolerance,
                                         max_iterations=cfg.max_iterations)
    Q, updates = q_learning(mdp, episodes=cfg.episodes, epsilon=cfg.epsilon,
                            learning_rate=cfg.learning_rate,
                            learning_rate_decay=cfg.learning_rate_decay,
                            exploring_starts=cfg.exploring_starts, max_steps=cfg.max_steps,
                            seed=cfg.seed)
    return mdp, V_star, iterations, Q, updates


def agreement(mdp: GridWorld, V_star: np.ndarray, Q: np.ndarray, updates: np.ndarray):
    """How close Q-learning came to value iteration: (max |V − V*| over the visited cells,
    the visited non-exit cells judged, the cells among them whose greedy move is not optimal).
    A learned move counts as optimal if its Q* ties the best (noise 0 makes many ties)."""
    Q_star = bellman_backup(mdp, V_star)                          # (S, A)
    learned = greedy_policy(Q)                                    # (S,)
    visited = updates.sum(axis=1) > 0                             # (S,) bool; False for DONE
    judged = [s for s in mdp.non_exits if visited[s]]
    wrong = [mdp.cells[s] for s in judged if Q_star[s, learned[s]] < V_star[s] - TIE]
    return float(np.abs(Q.max(axis=1) - V_star)[visited].max()), judged, wrong


def report(cfg: GridWorldConfig) -> str:
    """Solve the grid world both ways and return the printout. Raises ValueError on bad input."""
    mdp, V_star, iterations, Q, updates = solve_both_ways(cfg)
    name = "the book grid" if cfg.layout == "book" else cfg.layout
    height, width = mdp.layout.walls.shape
    extra = []
    if cfg.show_iterations:
        extra += ["", f"Value iteration, the first {cfg.show_iterations} updates from V_0 = 0 "
                  f"(V_k: the best expected return in k steps):", "",
                  iterations_text(mdp, cfg.show_iterations)]
    if cfg.q_picture:
        Q_star = bellman_backup(mdp, V_star)
        moves = {mdp.cells[s]: dict(zip(ACTIONS, Q_star[s])) for s in mdp.non_exits}
        exits = {cell: reward for cell, reward in mdp.layout.exits.items()}
        try:
            title = (f"Q*(s, a) by value iteration: a triangle per move (N top, E right, S bottom,\n"
                     f"W left); exits framed, walls grey; noise {cfg.noise:g}, discount "
                     f"{cfg.discount:g}, living reward {cfg.living_reward:g}")
            quadrant_grid(mdp.layout.walls.shape, moves, exits, title).save(cfg.q_picture)
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot write --q-picture {cfg.q_picture!r}: {e}") from None
        extra += ["", f"wrote {cfg.q_picture}: Q*(s, a) of every cell, four triangles a cell"]
    if cfg.show_q:
        extra += ["", "Q*(s, a) = Σ_s' T(s, a, s') [R + γ V*(s')] of each move: "
                  "N above, W and E beside, S below; V*(s) is the largest of the four:", "",
                  q_grid_text(mdp, bellman_backup(mdp, V_star))]
    return "\n".join([
        f"Grid world: {name} ({height} x {width} cells), noise {cfg.noise:g}, "
        f"discount {cfg.discount:g}, living reward {cfg.living_reward:g}",
        "",
        f"Value iteration (knows T and R): converged in {iterations} iterations (largest change "
        f"< {cfg.tolerance:g}); Bellman residual {bellman_residual(mdp, V_star):.1e}.",
        f"Q-learning (only samples): {cfg.episodes} episodes, epsilon {cfg.epsilon:g}, "
        f"seed {cfg.seed}, {'exploring starts' if cfg.exploring_starts else 'starting at S'}.",
        "",
        compare(mdp, V_star, Q, updates),
        *extra,
    ])


def compare(mdp: GridWorld, V_star: np.ndarray, Q: np.ndarray, updates: np.ndarray) -> str:
    """Value and policy grids of both methods side by side, then how far apart they are.

    V_star: (S,) from value iteration; Q: (S, A) and updates: (S, A) from q_learning."""
    plan, learned = greedy_policy(bellman_backup(mdp, V_star)), greedy_policy(Q)   # (S,), (S,)
    V = Q.max(axis=1)                                             # (S,)
    error = np.abs(V - V_star)                                    # (S,)
    visited = updates.sum(axis=1) > 0                             # (S,) bool; False for DONE
    max_error, judged, wrong = agreement(mdp, V_star, Q, updates)
    where = "; not at (row, column) " + ", ".join(f"({r + 1}, {c + 1})" for r, c in wrong)
    return "\n".join([
        side_by_side(grid_lines(mdp, "V* (value iteration)",
                                values_text(V_star, np.ones_like(visited))),
                     grid_lines(mdp, "V = max_a Q (Q-learning)", values_text(V, visited)),
                     grid_lines(mdp, "|V - V*|",
                                lambda s: f"{error[s]:.3f}" if visited[s] else "-")),
        "",
        side_by_side(grid_lines(mdp, "greedy policy from V*", policy_text(mdp, plan)),
                     grid_lines(mdp, "greedy policy from Q", policy_text(mdp, learned))),
        "",
        "Arrows: the greedy move; a number: an exit cell and its reward; #: a wall;",
        "-: a cell Q-learning never left, so it learned nothing there.",
        f"max |V - V*| = {max_error:.3f} over the {visited.sum()} cells Q-learning "
        f"visited. Its greedy move is optimal in {len(judged) - len(wrong)} of the "
        f"{len(judged)} non-exit cells it visited{where if wrong else ''}.",
    ])


def main(argv: list[str]) -> int:
    """Entry point for `python run.py gridworld ...`; returns the exit status."""
    parser = OneLineParser(prog="run.py gridworld", description=DESCRIPTION)
    add_flags(parser, GridWorldConfig)
    try:
        cfg = from_args(GridWorldConfig, parser.parse_args(argv))
    except SystemExit as exit_:   # --help (0) or a malformed flag (2), already printed
        return int(exit_.code or 0)
    try:
        text = report(cfg)
    except ValueError as e:
        print(f"run.py gridworld: error: {e}", file=sys.stderr)
        return 2
    print(text)
    return 0
