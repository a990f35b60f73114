"""bench/relu_activity.py: the share of a ReLU's outputs that are 0, of its units that are 0
on every input, and a convolution's filters that are 0 everywhere, worked by hand on small
networks."""
import sys
from pathlib import Path

import numpy as np
import pytest

from nnpy import CategoricalHead, Conv2D, Dense, ReLU, Sequential

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import relu_activity  # noqa: E402


def test_zero_outputs_and_silent_units_by_hand():
    net = Sequential([Dense(1, 3), ReLU(), Dense(3, 2), ReLU()])
    first, second = net.layers[0].params, net.layers[2].params
    # unit 0 is always off (−1), unit 1 always on (+1), unit 2 follows x
    first["w"][...], first["b"][...] = [[0, 0, 1]], [-1, 1, 0]
    # second layer: unit 0 copies h1 (on), unit 1 is −h2 (off on every input)
    second["w"][...], second["b"][...] = [[0, 0], [1, 0], [0, -1]], [0, 0]
    x = np.array([[-1.0], [1.0], [2.0], [-3.0]], dtype=np.float32)       # (4, 1)
    rows = relu_activity.relu_activity(net, x)
    # h = relu(0, 1, x): 4 + 0 + 2 zeros of 12; unit 0 silent on all 4 inputs
    assert rows[0] == ("Dense 3", 3, 6 / 12, 1 / 3, None)
    # relu(h1, −h2) = (1, 0), (1, 0), (1, 0), (1, 0): unit 1 silent
    assert rows[1] == ("Dense 2", 2, 4 / 8, 1 / 2, None)


def test_greedy_actions_count_the_argmax_of_q_and_of_c51s_mean():
    net = Sequential([Dense(1, 3)])                                     # Q = (x, −x, 0.5)
    net.layers[0].params["w"][...], net.layers[0].params["b"][...] = [[1, -1, 0]], [0, 0, 0.5]
    x = np.array([[2.0], [-2.0], [0.1], [3.0]], dtype=np.float32)        # argmax 0, 1, 2, 0
    assert relu_activity.greedy_actions(net, x).tolist() == [2, 1, 1]
    head = CategoricalHead(n_actions=2, atoms=3, v_min=-1.0, v_max=1.0)   # z = (−1, 0, 1)
    c51 = Sequential([Dense(1, 6), head])
    w = c51.layers[0].params
    # action 0's logits follow x towards z = +1, action 1's towards z = −1: Q0 > Q1 iff x > 0
    w["w"][...], w["b"][...] = [[-1, 0, 1, 1, 0, -1]], 0
    assert relu_activity.greedy_actions(c51, x).tolist() == [3, 1]


def test_a_filter_is_silent_only_if_it_is_0_at_every_position():
    net = Sequential([Conv2D(1, 3, kernel_size=1), ReLU()])
    conv = net.layers[0].params
    # filter 0 copies the pixel, filter 1 is −pixel − 1 (never on), filter 2 is pixel − 2
    conv["w"][...], conv["b"][...] = np.array([1, -1, 1]).reshape(1, 1, 1, 3), [0, -1, -2]
    x = np.array([[[0, 1], [0, 0]], [[0, 3], [0, 0]]], dtype=np.float32)[..., None]  # (2, 2, 2, 1)
    rows = relu_activity.relu_activity(net, x)
    # units are (position, filter): 12 per screen; on: filter 0 at (0, 1) on both screens,
    # filter 2 at (0, 1) on screen 2 only: 3 of 24 outputs are not 0, 2 of 12 units ever on,
    # and only filter 1 is 0 at every position on every screen
    assert rows == [("Conv2D 3 1×1 /1", 12, 21 / 24, 10 / 12, (1, 3))]


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.npz", "does not exist"),
    (lambda d: (d / "notes.npz").write_text("not a zip") and d / "notes.npz", "corrupt or not an .npz"),
])
def test_a_file_that_is_no_checkpoint_gets_one_line(tmp_path, capsys, make, message):
    assert relu_activity.main([str(make(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
