"""nnpy/parallel.py: two half batches give the same step on one thread as on two, bit for bit,
and the full-batch step to float rounding; importing nnpy leaves OpenBLAS alone."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from atari.networks import build_net
from nnpy import SGD, Adam, Dense, ReLU, Sequential
from nnpy import parallel
from rl.dqn import DQNAgent
from rl.replay import Batch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def restore_threads():
    """Tests that change the threads put back one thread for the halves and OpenBLAS's count."""
    before = parallel.blas_threads()
    yield
    parallel.use_threads(1)
    if before is not None:
        parallel.set_blas_threads(before)


def screens_batch(rng, n=8, actions=6) -> Batch:
    return Batch(s=rng.integers(0, 256, (n, 84, 84, 4), dtype=np.uint8),
                 a=rng.integers(0, actions, n), r=rng.standard_normal(n).astype(np.float32),
                 s2=rng.integers(0, 256, (n, 84, 84, 4), dtype=np.uint8),
                 terminated=(rng.random(n) < 0.2).astype(np.float32),
                 discount=np.full(n, 0.99, np.float32))


def train_steps(arch, double, target_network, half_batches, steps=3, optimizer=Adam):
    """The losses and weights after `steps` learning steps (and a target sync after the first),
    and the last step's gradients.  arch may end in +dueling and/or +noisy."""
    name, *options = arch.split("+")
    net = build_net(name, 6, np.random.default_rng(0), **{o: True for o in options})
    agent = DQNAgent(net, optimizer(net.parameters(), lr=1e-3), "huber", double, 10.0, 1 / 255,
                     target_network, half_batches)
    data = np.random.default_rng(1)
    losses = []
    for i in range(steps):
        losses.append(agent.learn(screens_batch(data), noise_rng=np.random.default_rng(i)))
        if i == 0:
            agent.sync_target()
    return losses, {k: v.copy() for k, v in net.parameters().items()}, net.gradients()


CASES = [("dqn2013", False, True), ("dqn2013", True, True), ("dqn2015", True, True),
         ("dqn2013", True, False), ("dqn2013", False, False), ("dqn2013+dueling", False, True),
         ("dqn2013+noisy", False, True), ("dqn2013+dueling+noisy", True, True)]


@pytest.mark.parametrize("arch, double, target_network", CASES)
def test_two_threads_give_the_one_thread_step_bit_for_bit(arch, double, target_network, restore_threads):
    runs = []
    for n in (1, 2):
        parallel.use_threads(n)
        runs.append(train_steps(arch, double, target_network, half_batches=True))
    (loss1, w1, _), (loss2, w2, _) = runs
    assert loss1 == loss2
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k], err_msg=k)


@pytest.mark.parametrize("arch, double, target_network", CASES)
def test_half_batches_give_the_full_batch_step_to_rounding(arch, double, target_network, restore_threads):
    """The halves add the same per-example gradients in another order: float32 rounding apart,
    one step gives the same loss and gradient as the plain step on the whole batch.  (Over
    several steps the two drift further apart than rounding: Adam moves a weight by ~lr
    whether its gradient is 1e-12 or 0, and Double DQN's argmax can flip on a near-tie.)"""
    parallel.use_threads(2)
    (loss_halves,), _, g_halves = train_steps(arch, double, target_network, True, steps=1)
    (loss_whole,), _, g_whole = train_steps(arch, double, target_network, False, steps=1)
    assert loss_halves == pytest.approx(loss_whole, rel=1e-6)
    for k in g_whole:
        scale = np.abs(g_whole[k]).max()
        assert scale > 0, k
        assert np.abs(g_halves[k] - g_whole[k]).max() <= 1e-4 * scale, k


def test_half_batches_sum_the_gradients_of_the_two_halves():
    """net's gradients after HalfBatches.backward equal the full batch's, computed plainly."""
    rng = np.random.default_rng(2)
    net = Sequential([Dense(5, 4, rng=rng, dtype=np.float64), ReLU(), Dense(4, 3, rng=rng, dtype=np.float64)])
    x, dout = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    halves = parallel.HalfBatches(net)
    out = halves.forward(x)
    halves.backward(dout)
    split = {k: v.copy() for k, v in net.gradients().items()}
    np.testing.assert_allclose(out, net.forward(x), rtol=1e-12)
    net.backward(dout)
    for k, g in net.gradients().items():
        np.testing.assert_allclose(split[k], g, rtol=1e-12, atol=1e-14, err_msg=k)


def test_a_replica_shares_the_parameters_but_not_the_gradients():
    net = Sequential([Dense(3, 2, rng=np.random.default_rng(0))])
    twin = parallel.replica(net)
    assert twin.parameters()["0.w"] is net.parameters()["0.w"]
    twin.forward(np.ones((2, 3), np.float32))
    twin.backward(np.ones((2, 2), np.float32))
    assert not np.any(net.gradients()["0.w"]) and np.any(twin.gradients()["0.w"])


def test_both_runs_g_on_another_thread_and_passes_its_error_on(restore_threads):
    parallel.use_threads(2)
    me = threading.current_thread().name
    f_thread, g_thread = parallel.both(lambda: threading.current_thread().name,
                                       lambda: threading.current_thread().name)
    assert f_thread == me and g_thread != me

    def fails():
        raise RuntimeError("in g")
    with pytest.raises(RuntimeError, match="in g"):
        parallel.both(lambda: 1, fails)
    assert parallel.both(lambda: 1, lambda: 2) == (1, 2)       # still usable
    parallel.use_threads(1)
    assert parallel.both(lambda: threading.current_thread().name, lambda: 2) == (me, 2)


@pytest.mark.skipif(parallel.blas_threads() is None, reason="numpy's BLAS is not an OpenBLAS")
def test_use_threads_runs_openblas_on_one_thread(restore_threads):
    parallel.set_blas_threads(2)
    parallel.use_threads(2)
    assert parallel.blas_threads() == 1 and parallel.threads() == 2


def test_importing_nnpy_leaves_openblas_alone():
    """In a fresh process: OpenBLAS given 2 threads, then every nnpy, rl and atari module
    imported; it still has 2.  (nnpy/parallel.py is loaded from its file first, as a module
    outside the package, only to read and set the count.)"""
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("probe", {os.path.join(ROOT, "nnpy", "parallel.py")!r})
probe = importlib.util.module_from_spec(spec); spec.loader.exec_module(probe)
if probe.blas_threads() is None:
    print("no-openblas"); sys.exit(0)
probe.set_blas_threads(2)
import nnpy, nnpy.parallel, rl.dqn, rl.train, atari.networks, run
print(probe.blas_threads())
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    if out.stdout.strip() == "no-openblas":
        pytest.skip("numpy's BLAS is not an OpenBLAS")
    assert out.stdout.strip() == "2"


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "centered_rmsprop", "adam"])
def test_an_optimizer_step_in_two_halves_is_the_whole_step_bit_for_bit(name, restore_threads):
    """Odd lengths and a bias included; over more than FLUSH_EVERY steps, so the flush of tiny
    state runs in halves too."""
    from nnpy import OPTIMIZERS
    from nnpy.optim import FLUSH_EVERY
    rng = np.random.default_rng(0)
    start = {"w": rng.standard_normal((7, 5)).astype(np.float32), "b": rng.standard_normal(3).astype(np.float32),
             "c": rng.standard_normal((4, 2, 3)).astype(np.float32)}
    parallel.use_threads(2)
    runs = []
    for in_halves in (False, True):
        params = {k: v.copy() for k, v in start.items()}
        opt = OPTIMIZERS[name](params, lr=1e-2)
        grad_rng = np.random.default_rng(1)
        for _ in range(FLUSH_EVERY + 2):
            grads = {k: grad_rng.standard_normal(p.shape).astype(np.float32) for k, p in params.items()}
            parallel.step_in_halves(opt, grads) if in_halves else opt.step(grads)
        runs.append((params, opt.state_arrays(), opt.t))
    (p1, s1, t1), (p2, s2, t2) = runs
    assert t1 == t2 == FLUSH_EVERY + 2
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    for k in s1:
        np.testing.assert_array_equal(s1[k], s2[k])
