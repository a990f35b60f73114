"""Dueling head: Q = V + A − mean A by hand, gradients through both streams and the mean
subtraction against centered differences (float64), and build_net's dueling option on
both architectures, whose default nets stay exactly what they were."""
import numpy as np
import pytest

from atari.networks import ARCHS, build_net
from nnpy import Adam, Conv2D, Dense, Flatten, ReLU, Sequential, check_layer, conv_output_size
from nnpy.dueling import Dueling
from nnpy.summary import summary

# float64 centered differences give 1e-10 to 1e-9 here (seeds 0-14); a float32 step hidden in the
# backward shows as ~1e-7, and a ReLU kink within h of an input as far more
TOL = 1e-8
F64 = np.float64


def set_params(layer, arrays: dict) -> None:
    for k, v in arrays.items():
        layer.params[k][...] = v


def test_forward_by_hand():
    head = Dueling(2, 2, 3, rng=np.random.default_rng(0), dtype=F64)
    set_params(head, {
        "value.0.w": [[1, 0], [0, 1]], "value.0.b": [0, 0],          # h = relu(1, -1) = (1, 0)
        "value.2.w": [[2], [5]], "value.2.b": [0.5],                 # V = 2 + 0.5 = 2.5
        "advantage.0.w": [[1, 0], [0, -1]], "advantage.0.b": [0, 0],  # h = relu(1, 1) = (1, 1)
        "advantage.2.w": [[1, 0, 2], [0, 3, 1]], "advantage.2.b": [0, 0, -3],   # A = (1, 3, 0)
    })
    q = head.forward(np.array([[1.0, -1.0]]))
    # Q = V + A − mean A = 2.5 + (1, 3, 0) − 4/3
    np.testing.assert_allclose(q, [[2.5 + 1 - 4 / 3, 2.5 + 3 - 4 / 3, 2.5 + 0 - 4 / 3]])
    assert q.mean() == pytest.approx(2.5)                           # mean_a Q(s, a) = V(s)


def test_gradients_through_both_streams_and_the_mean():
    rng = np.random.default_rng(1)
    head = Dueling(6, 5, 4, rng=rng, dtype=F64)
    errors = check_layer(head, rng.standard_normal((7, 6)))
    assert set(errors) == {"x", *head.params} and len(head.params) == 8
    assert max(errors.values()) < TOL, errors


def test_backward_by_hand_splits_dout_into_value_and_advantage():
    """dV = Σ_a dout and dA = dout − mean_a dout, seen in the output layers' bias gradients."""
    head = Dueling(3, 4, 3, rng=np.random.default_rng(2), dtype=F64)
    x = np.random.default_rng(3).standard_normal((2, 3))
    head.forward(x)
    dout = np.array([[1.0, 2.0, 6.0], [0.0, -3.0, 0.0]])
    head.backward(dout)
    np.testing.assert_allclose(head.grads["value.2.b"], [9.0 + -3.0])             # Σ_N Σ_a dout
    np.testing.assert_allclose(head.grads["advantage.2.b"],
                               np.array([1 - 3, 2 - 3, 6 - 3]) + np.array([0 + 1, -3 + 1, 0 + 1]))


def plain_net_as_committed(arch: str, n_actions: int, rng) -> Sequential:
    """The networks as they were before dueling and noisy existed, layer for layer."""
    convs, hidden = ARCHS[arch]
    layers, side = [], 84
    for c_in, c_out, k, s in convs:
        layers += [Conv2D(c_in, c_out, k, s, rng=rng), ReLU()]
        side = conv_output_size(side, k, s)
    flat = side * side * convs[-1][1]
    return Sequential(layers + [Flatten(), Dense(flat, hidden, rng=rng), ReLU(), Dense(hidden, n_actions, rng=rng)])


@pytest.mark.parametrize("arch", ["dqn2013", "dqn2015"])
def test_default_nets_are_unchanged(arch):
    net = build_net(arch, 6, np.random.default_rng(4))
    old = plain_net_as_committed(arch, 6, np.random.default_rng(4))
    assert net.architecture() == old.architecture()
    new, ref = net.parameters(), old.parameters()
    assert list(new) == list(ref)
    assert all(np.array_equal(new[k], ref[k]) for k in ref)


@pytest.mark.parametrize("arch, hidden", [("dqn2013", 256), ("dqn2015", 512)])
def test_dueling_nets_rebuild_from_their_checkpoint_description(arch, hidden):
    rng = np.random.default_rng(5)
    net = build_net(arch, 6, rng, dueling=True)
    head = net.layers[-1]
    assert isinstance(head, Dueling) and head.hidden == hidden
    assert net.parameters()[f"{len(net.layers) - 1}.advantage.2.w"].shape == (hidden, 6)
    assert net.parameters()[f"{len(net.layers) - 1}.value.2.w"].shape == (hidden, 1)
    copy = Sequential.from_architecture(net.architecture())
    copy.load_state_arrays(net.state_arrays())
    x = rng.integers(0, 256, (2, 84, 84, 4), dtype=np.uint8)
    q = net.forward(x, 1 / 255)
    assert q.shape == (2, 6)
    np.testing.assert_array_equal(copy.forward(x, 1 / 255), q)
    assert f"Dueling 2×{hidden}: V 1, A 6" in summary(net, (84, 84, 4))


def test_optimizer_and_target_copy_see_the_streams_parameters():
    rng = np.random.default_rng(6)
    net = Sequential([Dense(4, 5, rng=rng), ReLU(), Dueling(5, 3, 2, rng=rng)])
    target = net.copy()
    opt = Adam(net.parameters(), lr=0.1)
    net.forward(rng.standard_normal((3, 4)).astype(np.float32))
    net.backward(np.ones((3, 2), dtype=np.float32))
    before = net.layers[2].value.layers[2].params["w"].copy()
    opt.step(net.gradients())
    after = net.layers[2].value.layers[2].params["w"]          # the stream's own array moved
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(target.parameters()["2.value.2.w"], before)   # θ⁻ did not
    target.load_weights_from(net)
    np.testing.assert_array_equal(target.layers[2].value.layers[2].params["w"], after)
