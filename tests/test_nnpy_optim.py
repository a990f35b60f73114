"""Optimizers: one (or two) steps of each against the update rule worked out by hand."""
import numpy as np
import pytest

from nnpy import OPTIMIZERS, SGD, Adam, CenteredRMSProp, RMSProp, clip_grad_norm, optim


def one_param(value: float) -> dict:
    return {"p": np.array([value])}


def test_sgd_with_momentum_two_steps():
    params = {"p": np.array([1.0, -2.0])}
    opt = SGD(params, lr=0.1, momentum=0.9)
    g = {"p": np.array([0.5, 1.0])}
    opt.step(g)                      # v = g = [0.5, 1.0];          θ = θ - 0.1 v
    np.testing.assert_allclose(params["p"], [0.95, -2.1], rtol=1e-14)
    opt.step(g)                      # v = 0.9 v + g = [0.95, 1.9]; θ = θ - 0.1 v
    np.testing.assert_allclose(opt.state["p"]["velocity"], [0.95, 1.9], rtol=1e-14)
    np.testing.assert_allclose(params["p"], [0.855, -2.29], rtol=1e-14)


def test_rmsprop_one_step():
    params = one_param(1.0)
    RMSProp(params, lr=0.01, rho=0.9, eps=1e-8).step({"p": np.array([2.0])})
    # s = 0.9 * 0 + 0.1 * 2² = 0.4;  θ = 1 - 0.01 * 2 / (sqrt(0.4) + 1e-8)
    np.testing.assert_allclose(params["p"], [1.0 - 0.02 / (0.6324555320336759 + 1e-8)], rtol=1e-14)


def test_centered_rmsprop_one_step_with_the_dqn_defaults():
    params = one_param(1.0)
    opt = CenteredRMSProp(params)            # lr 2.5e-4, momenta 0.95, min_sq 0.01
    opt.step({"p": np.array([2.0])})
    # m = 0.05 * 2 = 0.1;  s = 0.05 * 4 = 0.2;  s - m² + 0.01 = 0.2
    # θ = 1 - 2.5e-4 * 2 / sqrt(0.2)
    np.testing.assert_allclose(opt.state["p"]["grad_avg"], [0.1], rtol=1e-14)
    np.testing.assert_allclose(opt.state["p"]["square_avg"], [0.2], rtol=1e-14)
    np.testing.assert_allclose(params["p"], [1.0 - 5e-4 / 0.4472135954999579], rtol=1e-14)


def test_centered_rmsprop_step_is_at_most_lr_g_over_sqrt_min_sq():
    # s - m² >= 0, so the denominator is at least sqrt(min_sq) = 0.1: |Δθ| <= 10 lr |g|,
    # and a gradient much smaller than 0.1 comes close to that bound
    g = np.array([1e-4, 1e-2, 0.3, 5.0, -40.0])
    params = {"p": np.zeros(5)}
    CenteredRMSProp(params, lr=1e-3, min_sq=0.01).step({"p": g})
    step = np.abs(params["p"])
    assert np.all(step <= 10 * 1e-3 * np.abs(g))
    assert step[0] == pytest.approx(10 * 1e-3 * 1e-4, rel=1e-6)


def test_centered_rmsprop_variance_stays_non_negative_only_with_equal_momenta():
    rng = np.random.default_rng(0)
    params = {"p": np.zeros(1000)}
    opt = CenteredRMSProp(params, lr=1e-3)                    # β = ρ = 0.95
    for _ in range(200):
        opt.step({"p": rng.standard_normal(1000) * rng.uniform(0.01, 100)})
        m, s = opt.state["p"]["grad_avg"], opt.state["p"]["square_avg"]
        assert np.all(s - m * m >= -1e-12 * s)                # s - m² >= 0, up to rounding
    # β = 0.5, ρ = 0.99 on g = 1: m = 0.5, s = 0.01, s - m² = -0.24 and the step would be NaN
    with pytest.raises(ValueError, match="grad_momentum == square_momentum"):
        CenteredRMSProp({"p": np.zeros(1)}, grad_momentum=0.5, square_momentum=0.99)


def test_adam_two_steps_with_bias_correction():
    params = one_param(1.0)
    opt = Adam(params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    opt.step({"p": np.array([2.0])})
    # m = 0.2, v = 0.004;  m̂ = 0.2 / 0.1 = 2, v̂ = 0.004 / 0.001 = 4;  θ = 1 - 1e-3 * 2 / (2 + 1e-8)
    after_one = 1.0 - 1e-3 * 2.0 / (2.0 + 1e-8)
    np.testing.assert_allclose(params["p"], [after_one], rtol=1e-14)
    opt.step({"p": np.array([-1.0])})
    # m = 0.9 * 0.2 - 0.1 = 0.08,  v = 0.999 * 0.004 + 0.001 = 0.004996
    # m̂ = 0.08 / (1 - 0.9²) = 0.08 / 0.19,  v̂ = 0.004996 / (1 - 0.999²) = 0.004996 / 0.001999
    np.testing.assert_allclose(opt.state["p"]["m"], [0.08], rtol=1e-14)
    np.testing.assert_allclose(opt.state["p"]["v"], [0.004996], rtol=1e-14)
    m_hat, v_hat = 0.08 / 0.19, 0.004996 / 0.001999
    np.testing.assert_allclose(params["p"], [after_one - 1e-3 * m_hat / (np.sqrt(v_hat) + 1e-8)], rtol=1e-12)
    assert opt.t == 2


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_updates_the_arrays_in_place(name):
    w = np.ones((2, 3), dtype=np.float32)
    params = {"w": w}
    opt = OPTIMIZERS[name](params, lr=0.1)
    opt.step({"w": np.full((2, 3), 0.5, dtype=np.float32)})
    assert params["w"] is w and w.dtype == np.float32
    assert np.all(w < 1)                     # a positive gradient moves the weights down
    restored = OPTIMIZERS[name]({"w": w.copy()}, lr=0.1)
    restored.load_state_arrays(opt.state_arrays(), opt.t)
    for k, a in opt.state_arrays().items():
        np.testing.assert_array_equal(restored.state_arrays()[k], a)


@pytest.mark.parametrize("lr", [0.0, -1e-3])
def test_learning_rate_must_be_positive(lr):
    with pytest.raises(ValueError, match="learning rate must be > 0"):
        Adam(one_param(1.0), lr=lr)


def test_clip_grad_norm_scales_all_arrays_together():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}   # global norm sqrt(9 + 16) = 5
    assert clip_grad_norm(grads, max_norm=1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    np.testing.assert_allclose(grads["b"], [[0.8]])             # same direction, norm 1


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert clip_grad_norm(grads, max_norm=10.0) == pytest.approx(5.0)
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])
    np.testing.assert_array_equal(grads["b"], [[4.0]])


def test_adams_first_step_is_lr_times_the_sign_of_g():
    """At t = 1 the bias corrections make m̂ = g and v̂ = g², so every weight moves by about lr."""
    rng = np.random.default_rng(0)
    p0, g = rng.standard_normal(100_000), rng.standard_normal(100_000)
    params = {"p": p0.copy()}
    Adam(params, lr=1e-3).step({"p": g})
    # step 1: m̂ = g, v̂ = g², so θ = θ - lr g / (|g| + ε)
    np.testing.assert_allclose(params["p"], p0 - 1e-3 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_tiny_optimizer_state_is_flushed_to_zero():
    """State below optim.TINY would decay into slow subnormals; it is set to 0 instead."""
    params = {"p": np.zeros(2)}
    opt = Adam(params, lr=1e-3)
    opt.state["p"]["m"][...] = [1e-31, 1.0]
    for _ in range(optim.FLUSH_EVERY):
        opt.step({"p": np.zeros(2)})
    assert opt.state["p"]["m"][0] == 0.0
    assert opt.state["p"]["m"][1] == pytest.approx(0.9 ** optim.FLUSH_EVERY)
