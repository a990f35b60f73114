"""nnpy/lanes.py: work shared between threads gives the one-thread results, bit for bit."""
import threading

import numpy as np
import pytest

from atari.networks import build_net
from nnpy import Adam, Dense, lanes
from rl.dqn import DQNAgent
from rl.replay import Batch

needs_openblas = pytest.mark.skipif(lanes.get_blas_threads is None,
                                    reason="numpy's BLAS is not an OpenBLAS whose threads nnpy can set")


@pytest.fixture
def two_lanes(monkeypatch):
    """Two lanes, and every piece of work big enough to be shared."""
    monkeypatch.setattr(lanes, "THREADS", 2)
    monkeypatch.setattr(lanes, "MIN_ELEMENTS", 1)


@needs_openblas
def test_both_runs_f_and_g_on_two_threads_and_gives_their_results_in_order(two_lanes):
    names = {}

    def named(key):
        names[key] = threading.current_thread().name
        return key

    assert lanes.both(lambda: named("f"), lambda: named("g")) == ("f", "g")
    assert names["f"] != names["g"]


def test_one_lane_runs_both_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(lanes, "THREADS", 1)
    me = threading.current_thread().name
    assert lanes.both(lambda: threading.current_thread().name, lambda: 2) == (me, 2)


@needs_openblas
def test_openblas_runs_on_one_thread_while_nnpy_shares_the_cores_and_gets_them_back(monkeypatch):
    monkeypatch.setattr(lanes, "THREADS", 2)
    assert lanes.both(lanes.get_blas_threads, lanes.get_blas_threads) == (1, 1)
    assert lanes.get_blas_threads() == 1
    monkeypatch.setattr(lanes, "THREADS", 1)
    assert not lanes.can_share() and lanes.get_blas_threads() == lanes._BLAS_THREADS


@needs_openblas
def test_an_error_in_a_lane_reaches_the_caller_and_leaves_lanes_usable(two_lanes):
    def fails():
        raise ValueError("from a lane")

    with pytest.raises(ValueError, match="from a lane"):
        lanes.both(fails, lambda: None)
    assert lanes.both(lambda: 1, lambda: 2) == (1, 2)


@needs_openblas
def test_lanes_asked_for_inside_a_lane_run_on_that_lane(two_lanes):
    """A lane never waits for a helper thread that is busy running it: no deadlock."""
    outer = threading.current_thread().name
    inner = lanes.both(lambda: lanes.both(lambda: threading.current_thread().name,
                                          lambda: threading.current_thread().name), lambda: None)[0]
    assert len(set(inner)) == 1 and inner[0] != outer


@pytest.mark.parametrize("m, k, n", [(64, 14112, 64), (64, 3200, 128), (64, 3000, 70), (5, 40, 33)])
def test_matmul_columns_is_the_same_product_bit_for_bit(two_lanes, m, k, n):
    """Including widths that are no multiple of COLUMN_BLOCK (70, 33): the lanes still split
    at multiples of it."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m)).astype(np.float32).T          # (M, K), a transposed view like xb.T
    b = rng.standard_normal((k, n)).astype(np.float32)
    np.testing.assert_array_equal(lanes.matmul_columns(a, b), a @ b)


def test_dense_backward_on_two_lanes_equals_one_lane(monkeypatch):
    rng = np.random.default_rng(1)
    layer = Dense(300, 40, rng=rng)
    x = rng.standard_normal((16, 300)).astype(np.float32)
    dout = rng.standard_normal((16, 40)).astype(np.float32)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(lanes, "THREADS", threads)
        monkeypatch.setattr(lanes, "MIN_ELEMENTS", 1)
        layer.forward(x)
        dx = layer.backward(dout)
        results.append([dx, layer.grads["w"].copy(), layer.grads["b"].copy()])
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def small_batch(n: int, rng: np.random.Generator) -> Batch:
    screens = [rng.integers(0, 256, (n, 84, 84, 4), dtype=np.uint8) for _ in range(2)]
    return Batch(s=screens[0], a=rng.integers(0, 6, n), r=rng.standard_normal(n).astype(np.float32),
                 s2=screens[1], terminated=(rng.random(n) < 0.2).astype(np.float32),
                 discount=np.full(n, 0.99, dtype=np.float32))


@pytest.mark.parametrize("arch, double, target_network", [
    ("dqn2013", False, True), ("dqn2015", False, True), ("dqn2013", True, True), ("dqn2013", False, False),
    ("dqn2013", True, False)])
def test_dqn_learning_steps_on_two_lanes_equal_one_lane(arch, double, target_network, monkeypatch):
    """The whole DQN step (both forwards at once, dw beside dx, the shared Adam update) gives the
    same losses and weights as on one thread, bit for bit, over steps that also sync θ⁻.

    At the shapes the DQN trains with (batch 32).  Inside lanes OpenBLAS runs on one thread, and
    OpenBLAS itself does not promise the same bits at every thread count: measured here, a
    (64, 600) @ (600, 128) product differs in its last bits between one and two threads, while
    the same product over 2,400 or 3,200 rows does not."""
    batches = [small_batch(32, np.random.default_rng(i)) for i in range(2)]
    runs = []
    for threads in (1, 2):
        monkeypatch.setattr(lanes, "THREADS", threads)
        monkeypatch.setattr(lanes, "MIN_ELEMENTS", 1)
        net = build_net(arch, 6, np.random.default_rng(0))
        agent = DQNAgent(net, Adam(net.parameters(), lr=1e-3), double=double, max_grad_norm=10.0,
                         input_scale=1 / 255, target_network=target_network)
        losses = []
        for i, batch in enumerate(batches * 2):
            losses.append(agent.learn(batch))
            if i == 1:
                agent.sync_target()
        runs.append((losses, {k: v.copy() for k, v in net.parameters().items()}))
    (losses1, w1), (losses2, w2) = runs
    assert losses1 == losses2
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k])

