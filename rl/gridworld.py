"""The grid world: a Markov decision process small enough to print.

A Markov decision process is a tuple (S, A, T, R, γ) (Bellman 1957; Russell & Norvig,
*Artificial Intelligence: A Modern Approach*, ch. 17):

    T(s, a, s') = P(s_{t+1} = s' | s_t = s, a_t = a)    the transition function
    R(s, a, s')                                         the reward for that step
    γ ∈ [0, 1]                                          the discount

and an agent looks for the policy π(s) that maximises E[Σ_t γ^t r_t].

Here a state is an open cell of a grid and the actions are the moves N, S, E, W.
Moves slip: the intended move happens with probability 1 - noise, and each of the
two perpendicular moves with noise / 2; a move into a wall or off the edge leaves
the agent where it is. An exit cell ends the episode: every action there collects
the cell's reward and moves to DONE, an absorbing state whose value is 0. Other
steps pay the living reward. This is the convention of the Berkeley CS188 grid
world, whose 4x3 "book grid" (Russell & Norvig, Fig. 17.1) is `BOOK_GRID` below.

A layout is text, one grid row per line, cells separated by spaces:

    .      an open cell
    S      the start cell (open); exactly one
    #      a wall
    +1     an exit cell with that reward (any number: -1, 0.5, 10, ...)
"""
import math
from dataclasses import dataclass

import numpy as np

ACTIONS = ("N", "S", "E", "W")
# (row, column) step of each action; row 0 is the top row of the layout.
MOVES = {"N": (-1, 0), "S": (1, 0), "E": (0, 1), "W": (0, -1)}
# Where each action slips to: the two directions at right angles to it.
PERPENDICULAR = {"N": ("E", "W"), "S": ("E", "W"), "E": ("N", "S"), "W": ("N", "S")}

BOOK_GRID = """
.  .  .  +1
.  #  .  -1
S  .  .  .
"""

ALLOWED_CELLS = ("allowed cells are '.' (open), 'S' (start), '#' (wall), "
                 "or a number such as +1 or -0.5 (an exit cell with that reward)")


class LayoutError(ValueError):
    """A layout text that does not describe a grid world; the message says where."""


@dataclass(frozen=True)
class Layout:
    """A parsed layout: the geometry of the grid, with no dynamics yet."""
    walls: np.ndarray                      # (H, W) bool, True where a wall stands
    exits: dict[tuple[int, int], float]    # (row, column) of each exit cell -> its reward
    start: tuple[int, int]                 # (row, column) of the start cell


def parse_layout(text: str) -> Layout:
    """Read a layout (format in the module docstring); raise LayoutError naming the bad line/column.

    Lines and columns in error messages count from 1, as an editor shows them;
    blank lines are skipped, so a file may begin or end with one.
    """
    rows = [(number, line.split()) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()]
    if not rows:
        raise LayoutError("the layout is empty; write one grid row per line, e.g. 'S . +1'")
    first_line, first_cells = rows[0]
    walls = np.zeros((len(rows), len(first_cells)), dtype=bool)   # (H, W)
    exits, starts = {}, []
    for r, (number, cells) in enumerate(rows):
        if len(cells) != len(first_cells):
            raise LayoutError(f"line {number} has {len(cells)} cells but line {first_line} has "
                              f"{len(first_cells)}; every row needs the same number of cells, "
                              "separated by spaces")
        for c, token in enumerate(cells):
            if token == "#":
                walls[r, c] = True
            elif token == "S":
                starts.append((r, c))
            elif token != ".":
                exits[(r, c)] = _exit_reward(token, number, c + 1)
    if len(starts) != 1:
        raise LayoutError(f"the layout needs exactly one start cell 'S', found {len(starts)}")
    if not exits:
        raise LayoutError("the layout has no exit cell (a number such as +1): "
                          "an episode would have nowhere to end")
    return Layout(walls=walls, exits=exits, start=starts[0])


def _exit_reward(token: str, line: int, column: int) -> float:
    """The reward written in an exit cell, or a LayoutError pointing at the cell."""
    try:
        reward = float(token)
    except ValueError:
        # '...1', 'S.', '1..': cells written without the spaces between them
        glued = all(ch in ".S#+-0123456789" for ch in token) and any(ch in ".S#" for ch in token)
        hint = "; cells are separated by spaces" if glued else ""
        raise LayoutError(f"line {line}, column {column}: {token!r} is not a cell{hint}; "
                          f"{ALLOWED_CELLS}") from None
    if not math.isfinite(reward):   # float() also accepts 'nan' and 'inf'
        raise LayoutError(f"line {line}, column {column}: an exit reward must be a finite "
                          f"number, got {token!r}")
    return reward


def check_probability(name: str, value: float) -> None:
    """Raise ValueError unless 0 <= value <= 1 (NaN fails too)."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


class GridWorld:
    """The MDP of a layout, as functions and as tables.

    States: 0 .. n_states-2 are the open cells in reading order (`cells[s]` is the
    (row, column) of state s); the last state, `done`, is absorbing with reward 0.
    Actions: 0 .. 3 index ACTIONS = (N, S, E, W).

    Tables for the planners (value iteration):
        T: (S, A, S) float64, T[s, a, s'] = T(s, a, s'); each T[s, a] sums to 1
        R: (S, A, S) float64, R[s, a, s'] = R(s, a, s')
    A learner (Q-learning) should only call `reset` and `step`, which sample.
    """

    def __init__(self, layout: Layout, *, noise: float, living_reward: float, discount: float):
        check_probability("noise", noise)
        check_probability("discount", discount)
        if not math.isfinite(living_reward):
            raise ValueError(f"living reward must be a finite number, got {living_reward}")
        self.layout, self.noise = layout, noise
        self.living_reward, self.discount = living_reward, discount
        height, width = layout.walls.shape
        self.cells = [(r, c) for r in range(height) for c in range(width) if not layout.walls[r, c]]
        self.state_of = {cell: s for s, cell in enumerate(self.cells)}
        self.done = len(self.cells)
        self.n_states, self.n_actions = len(self.cells) + 1, len(ACTIONS)
        self.start = self.state_of[layout.start]
        self.non_exits = [s for s in range(self.done) if not self.is_exit(s)]
        self.T, self.R = self._tables()

    def is_exit(self, s: int) -> bool:
        """True for the states whose every action ends the episode."""
        return s != self.done and self.cells[s] in self.layout.exits

    def transitions(self, s: int, a: int) -> list[tuple[int, float]]:
        """[(s', T(s, a, s')), ...] over the s' with nonzero probability; an s' may repeat."""
        if s == self.done or self.is_exit(s):
            return [(self.done, 1.0)]
        intended = ACTIONS[a]
        side_1, side_2 = PERPENDICULAR[intended]         # the two directions at right angles
        outcomes = [(self._move(s, intended), 1.0 - self.noise),
                    (self._move(s, side_1), self.noise / 2),
                    (self._move(s, side_2), self.noise / 2)]
        return [(s_next, p) for s_next, p in outcomes if p > 0]

    def reward(self, s: int, a: int, s_next: int) -> float:
        """R(s, a, s'): an exit cell's reward on leaving it, else the living reward; 0 in DONE."""
        if s == self.done:
            return 0.0
        return self.layout.exits.get(self.cells[s], self.living_reward)

    def reset(self, rng: np.random.Generator, *, exploring_start: bool) -> int:
        """The first state of an episode: the start cell, or a uniformly random non-exit cell.

        Random starts ("exploring starts", Sutton & Barto 2018, §5.3) let a learner
        update cells that a good policy from S seldom reaches.
        """
        if not exploring_start:
            return self.start
        return self.non_exits[rng.integers(len(self.non_exits))]

    def step(self, s: int, a: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """Sample s' ~ T(s, a, ·); return (s', R(s, a, s'), s' is DONE): all a learner sees."""
        u = rng.random()
        for s_next, p in self.transitions(s, a):
            u -= p
            if u < 0:
                break
        # If rounding left u >= 0 after the last outcome, that last outcome is the sample.
        return s_next, self.reward(s, a, s_next), s_next == self.done

    def _move(self, s: int, action: str) -> int:
        """The state one deterministic move away; walls and edges leave s unchanged."""
        (r, c), (dr, dc) = self.cells[s], MOVES[action]
        return self.state_of.get((r + dr, c + dc), s)   # walls and off-grid are not states

    def _tables(self) -> tuple[np.ndarray, np.ndarray]:
        T = np.zeros((self.n_states, self.n_actions, self.n_states))   # (S, A, S)
        R = np.zeros_like(T)                                           # (S, A, S)
        for s in range(self.n_states):
            for a in range(self.n_actions):
                for s_next, p in self.transitions(s, a):
                    T[s, a, s_next] += p   # += : two slips into walls both stay at s
                    R[s, a, s_next] = self.reward(s, a, s_next)
        return T, R
