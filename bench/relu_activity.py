"""Which ReLUs of an Atari network still fire: for each ReLU layer, the share of its outputs
that are 0, the share of its units that are 0 on every one of a fixed set of screens, and
for a convolution the filters that are 0 everywhere on them.

    python bench/relu_activity.py runs/pong-1/checkpoint.npz [runs/pong-1/best.npz ...]

A ReLU's gradient is 0 wherever its input is negative (nnpy/activations.py), so a dense
unit whose input is negative on every screen the agent sees passes no gradient back to the
weights that feed it: they stop learning, and only a change in the layers below can bring
it back.  If almost all the outputs of the first convolution are 0, the network is nearly
blind: its Q-values barely depend on the screen and its greedy policy is close to one fixed
action, as in the Pong runs with noisy nets that lost every point for 500,000 steps
(results/pong/experiments/README.md).

A "unit" is one output number of the layer for one screen: a filter at one position of
a convolution's output, or one unit of a dense layer.  A filter's weights are shared by all
its positions, so a silent unit of a convolution can come back while its filter fires
somewhere else; the last column counts the filters that fire at no position on any of the
screens, the convolution's dead ones.  The screens are those the average max Q is tracked
on (rl/held_out.py): 500 from a random policy, on the environment seeded seed + 30,000, the
same set for every file, so files from one run compare step by step.  They are not the
screens the agent trains on, so a unit silent on all of them is very likely, not surely,
dead.
Only the network's top-level ReLUs are measured: those inside a dueling head are not.
A noisy network is measured as its mean network (noise off), as it is evaluated.  The last
line counts the greedy action, argmax_a Q(s, a), on the same screens: a blind network's
policy is close to one fixed action.
"""
import argparse
import sys

import numpy as np

from atari.cli import AtariConfig, make_task
from nnpy.activations import ReLU
from nnpy.categorical import CategoricalHead
from nnpy.checkpoint import CheckpointError, load_npz
from nnpy.network import Sequential
from nnpy.summary import describe
from rl.cli.checkpoints import check_is_npz, load_policy
from rl.dqn_config import DQNConfig
from rl.held_out import HELD_OUT_SEED, collect_states


def relu_activity(net: Sequential, x: np.ndarray) -> list[tuple[str, int, float, float, tuple | None]]:
    """For each top-level ReLU of net, on the batch x (N, ...) already scaled as the first
    layer expects: [(the layer before it, units per input, share of outputs = 0,
    share of units = 0 for all N inputs, (filters = 0 at every position for all N inputs,
    filters))]; after a dense layer, whose units are its filters, that last is None."""
    rows, before = [], "input"
    for layer in net.layers:
        x = layer.forward(x)
        if isinstance(layer, ReLU):
            out = x.reshape(len(x), -1)                      # (N, units)
            zero = out == 0
            silent_filters = None
            if x.ndim == 4:                                  # a convolution's (N, H, W, C)
                per_filter = zero.reshape(-1, x.shape[-1])   # (N·H·W, C): units are filter-last
                silent_filters = (int(per_filter.all(axis=0).sum()), x.shape[-1])
            rows.append((before, out.shape[1], float(zero.mean()), float(zero.all(axis=0).mean()),
                         silent_filters))
        else:
            before = describe(layer.config())
    return rows


def greedy_actions(net: Sequential, x: np.ndarray) -> np.ndarray:
    """How often each action is the greedy one, argmax_a Q(s, a), over the batch x (N, ...):
    (A,) counts that sum to N.  A C51 network's Q is the mean of its distribution."""
    out, last = net.forward(x), net.layers[-1]
    q = last.expected_q(out) if isinstance(last, CategoricalHead) else out     # (N, A)
    return np.bincount(q.argmax(axis=1), minlength=q.shape[1])


def report(path: str, seed: int) -> str:
    """The table for one checkpoint or best.npz of an Atari run."""
    check_is_npz(path)
    _, meta = load_npz(path)
    if "game" not in meta or "config" not in meta:
        raise CheckpointError(f"{path!r} is not from an Atari run (this measures Atari networks only)")
    cfg = AtariConfig(**DQNConfig.completed(meta["config"]))
    task = make_task(cfg)
    net, _ = load_policy(path, task.env_id)                   # noise off: the mean network
    env = task.make_env(0)
    states = collect_states(task.make_env, env.n_actions, seed + HELD_OUT_SEED)
    x = np.multiply(states, task.input_scale, dtype=net.dtype())   # (500, 84, 84, 4) in [0, 1]
    step = meta.get("run", {}).get("step")
    lines = [f"{path}" + (f" (step {step:,})" if step is not None else ""),
             f"  {'ReLU after':<20}{'units':>8}{'outputs 0':>12}{'silent on all':>15}"
             f"{'filters silent everywhere':>27}"]
    for before, units, zero, silent, filters in relu_activity(net, x):
        silent_filters = f"{filters[0]} of {filters[1]}" if filters else "–"
        lines.append(f"  {before:<20}{units:>8,}{zero:>11.1%}{silent:>15.1%}{silent_filters:>27}")
    counts = greedy_actions(net, x)
    lines.append(f"  greedy action on the {len(x)} screens: "
                 + ", ".join(f"{name} {n}" for name, n in zip(env.meanings, counts)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="checkpoint.npz or best.npz files of Atari runs")
    parser.add_argument("--seed", type=int, default=0,
                        help="screens from the environment seeded this + 30,000 (default: 0)")
    args = parser.parse_args(argv)
    print(f"{len(args.files)} file(s); screens: {HELD_OUT_SEED:,} + {args.seed}, random policy")
    for path in args.files:
        try:
            print(report(path, args.seed))
        except CheckpointError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
