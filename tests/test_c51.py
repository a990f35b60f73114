"""C51: the categorical projection by hand (an atom that lands between two, two that land on
atoms, the clip at V_max and V_min) and against eq. 7 written as loops, mass conserved; the
head's log-softmax and the cross-entropy by hand and against centered differences (float64);
the agent's C51 step against its target computed by hand; and the flags end to end."""
import os

import numpy as np
import pytest

from atari.networks import build_net
from cli_helpers import SMALL_PONG, read_json, run_py
from nnpy import Adam, CategoricalHead, Dense, Sequential, check_layer, cross_entropy
from nnpy.gradcheck import numerical_gradient, rel_error
from rl.c51 import categorical_projection, categorical_projection_naive
from rl.dqn import DQNAgent
from rl.replay import Batch


def test_projection_by_hand():
    z = np.array([-1.0, 0.0, 1.0])                              # K = 3, Δz = 1
    p = np.array([[0.2, 0.3, 0.5]] * 3)
    r = np.array([0.5, 2.0, -0.25])
    terminated = np.array([0.0, 1.0, 1.0])
    m = categorical_projection(r, terminated, np.full(3, 0.5), p, z)
    # row 0: T̂z = 0.5 + 0.5 z = (0, 0.5, 1): 0.2 all on atom 0.0; 0.3 halved between 0 and 1;
    #        0.5 all on atom 1.0
    np.testing.assert_allclose(m[0], [0.0, 0.2 + 0.15, 0.15 + 0.5])
    # row 1: terminal, r = 2 clipped to V_max = 1: everything on the top atom
    np.testing.assert_allclose(m[1], [0.0, 0.0, 1.0])
    # row 2: terminal, r = −0.25 lies 3/4 of the way from −1 to 0: a quarter to −1, 3/4 to 0
    np.testing.assert_allclose(m[2], [0.25, 0.75, 0.0])


def test_projection_agrees_with_the_equation_and_keeps_the_mass():
    rng = np.random.default_rng(0)
    B, K = 16, 11
    z = np.linspace(-10, 10, K)                                 # Δz = 2
    probs = rng.random((B, K))
    probs /= probs.sum(axis=1, keepdims=True)
    r = rng.choice([-1.0, 0.0, 1.0, 12.0, -2.0], size=B)        # 12 falls beyond V_max
    terminated = (rng.random(B) < 0.3).astype(float)
    discount = rng.choice([0.99, 0.5, 1.0], size=B)             # 1.0: moved atoms land on atoms
    m = categorical_projection(r, terminated, discount, probs, z)
    np.testing.assert_allclose(m, categorical_projection_naive(r, terminated, discount, probs, z),
                               atol=1e-12)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)


def test_head_gives_each_action_a_log_softmax_over_its_atoms_and_q_is_the_mean():
    head = CategoricalHead(n_actions=2, atoms=3, v_min=-1.0, v_max=1.0)   # z = (−1, 0, 1)
    logits = np.array([[0.0, 0.0, 0.0, np.log(1.0), np.log(2.0), np.log(5.0)]])
    logp = head.forward(logits)
    p = np.exp(logp).reshape(2, 3)
    np.testing.assert_allclose(p, [[1 / 3, 1 / 3, 1 / 3], [0.125, 0.25, 0.625]])
    # Q(s, a) = Σ z p: 0 for the even action, −0.125 + 0.625 = 0.5 for the other
    np.testing.assert_allclose(head.expected_q(logp), [[0.0, 0.5]], atol=1e-12)
    # large logits must not overflow: the softmax is shifted by each action's max
    assert np.isfinite(head.forward(np.array([[1000.0, 0, 0, 0, 0, -1000.0]]))).all()


def test_head_gradient_matches_centered_differences():
    rng = np.random.default_rng(0)
    head = CategoricalHead(n_actions=3, atoms=5, v_min=-2.0, v_max=2.0)
    errors = check_layer(head, rng.standard_normal((4, 15)))
    assert errors["x"] < 1e-7, errors


def test_cross_entropy_by_hand_and_against_centered_differences():
    logp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    m = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    loss, dlogp = cross_entropy(logp, m)
    assert loss == pytest.approx((-np.log(0.5) - 0.5 * np.log(0.1) - 0.5 * np.log(0.8)) / 2)
    np.testing.assert_allclose(dlogp, -m / 2)
    w = np.array([0.5, 2.0])
    loss_w, dlogp_w = cross_entropy(logp, m, weights=w)
    assert loss_w == pytest.approx((-0.5 * np.log(0.5) - 2 * (0.5 * np.log(0.1) + 0.5 * np.log(0.8))) / 2)
    numeric = numerical_gradient(lambda: cross_entropy(logp, m, weights=w)[0], logp)
    assert rel_error(dlogp_w, numeric) < 1e-7
    with pytest.raises(ValueError, match="one shape"):
        cross_entropy(logp, m[:, :2])


def test_head_and_cross_entropy_give_the_softmax_cross_entropy_gradient_p_minus_m():
    rng = np.random.default_rng(1)
    head = CategoricalHead(n_actions=1, atoms=4, v_min=0.0, v_max=3.0)
    logits = rng.standard_normal((3, 4))
    logp = head.forward(logits)
    m = rng.random((3, 4))
    m /= m.sum(axis=1, keepdims=True)
    _, dlogp = cross_entropy(logp, m)
    np.testing.assert_allclose(head.backward(dlogp), (np.exp(logp) - m) / 3, atol=1e-12)


def small_c51_agent(double: bool = False) -> tuple[DQNAgent, CategoricalHead]:
    rng = np.random.default_rng(2)
    head = CategoricalHead(n_actions=2, atoms=5, v_min=-2.0, v_max=2.0)
    net = Sequential([Dense(3, 10, rng=rng, dtype=np.float64), head])
    agent = DQNAgent(net, Adam(net.parameters(), lr=1e-2), double=double)
    agent.target.layers[0].params["w"][...] += 0.3 * rng.standard_normal((3, 10))   # θ⁻ ≠ θ
    return agent, head


def batch_of(rng: np.random.Generator, n: int = 6) -> Batch:
    return Batch(s=rng.standard_normal((n, 3)), a=rng.integers(2, size=n), r=rng.choice([-1.0, 0.0, 1.0], n),
                 s2=rng.standard_normal((n, 3)), terminated=(rng.random(n) < 0.3).astype(float),
                 discount=np.full(n, 0.97))


def q_of(net: Sequential, head: CategoricalHead, s: np.ndarray) -> np.ndarray:
    return np.exp(net.forward(s)).reshape(len(s), 2, 5) @ head.support          # (B, A)


@pytest.mark.parametrize("double", [False, True])
def test_agent_c51_step_fits_the_projected_target_by_hand(double):
    agent, head = small_c51_agent(double)
    rng = np.random.default_rng(3)
    batch = batch_of(rng)
    rows, w = np.arange(6), np.array([1.0, 0.5, 2.0, 0.25, 1.0, 0.75])       # importance weights
    # by hand, before the step: a* from Q = Σ z p of θ⁻ (or of θ for Double DQN)
    a_target = q_of(agent.target, head, batch.s2).argmax(axis=1)
    a_online = q_of(agent.online, head, batch.s2).argmax(axis=1)
    assert (a_target != a_online).any()            # so the two cases pick differently somewhere
    a_star = a_online if double else a_target
    p_target = np.exp(agent.target.forward(batch.s2)).reshape(6, 2, 5)
    m = categorical_projection(batch.r, batch.terminated, batch.discount, p_target[rows, a_star], head.support)
    p = np.exp(agent.online.forward(batch.s)).reshape(6, 2, 5)
    logp = np.log(p[rows, batch.a])
    expected_loss = -(w * (m * logp).sum(axis=1)).mean()
    kl = (m * (np.log(np.where(m > 0, m, 1)) - logp)).sum(axis=1)
    # the gradient at the logits: w (p − m) / B at the taken action, 0 at the others
    expected_dlogits = np.zeros((6, 2, 5))
    expected_dlogits[rows, batch.a] = w[:, None] * (p[rows, batch.a] - m) / 6

    loss, dlogp = agent.distribution_loss(batch, w)
    assert loss == pytest.approx(expected_loss)
    np.testing.assert_allclose(agent.td_error, kl, atol=1e-12)
    assert (agent.td_error >= -1e-12).all()
    np.testing.assert_allclose(head.backward(dlogp).reshape(6, 2, 5), expected_dlogits, atol=1e-12)
    # and learn runs that same loss, then steps
    assert agent.learn(batch, w) == pytest.approx(expected_loss)
    # acting reads Q as the distribution's mean
    q = agent.q_values(batch.s)
    np.testing.assert_allclose(q, np.exp(agent.online.forward(batch.s)).reshape(6, 2, 5) @ head.support)


def test_c51_step_on_two_half_batches_is_the_whole_batch_step_with_noisy_layers_too():
    from nnpy import NoisyDense, ReLU
    for noisy in (False, True):
        agents = []
        for half_batches in (False, True):
            rng = np.random.default_rng(5)
            affine = NoisyDense if noisy else Dense
            net = Sequential([affine(3, 8, rng=rng, dtype=np.float64), ReLU(),
                              affine(8, 2 * 5, rng=rng, dtype=np.float64),
                              CategoricalHead(n_actions=2, atoms=5, v_min=-2.0, v_max=2.0)])
            agents.append(DQNAgent(net, Adam(net.parameters(), lr=1e-2), double=True,
                                   half_batches=half_batches))
        batch = batch_of(np.random.default_rng(6), n=7)
        losses = [a.learn(batch, np.linspace(0.5, 1, 7), np.random.default_rng(7)) for a in agents]
        assert losses[0] == pytest.approx(losses[1], rel=1e-12)
        for k, v in agents[0].online.parameters().items():
            np.testing.assert_allclose(agents[1].online.parameters()[k], v, atol=1e-12)


def test_agent_c51_learns_a_terminal_returns_distribution():
    """Terminal transitions with r = 1 from one state: the target is all mass on the atom 1,
    so repeated steps drive p(s, a) there and Q(s, a) to 1, and the loss down."""
    agent, _ = small_c51_agent()
    rng = np.random.default_rng(4)
    s = np.tile(rng.standard_normal((1, 3)), (8, 1))
    batch = Batch(s=s, a=np.zeros(8, dtype=int), r=np.ones(8), s2=s, terminated=np.ones(8),
                  discount=np.full(8, 0.99))
    first = agent.learn(batch)
    for _ in range(300):
        last = agent.learn(batch)
    assert last < 0.1 * first
    assert agent.q_values(s[:1])[0, 0] == pytest.approx(1.0, abs=0.05)


def test_build_net_c51_outputs_log_probabilities_per_action_and_refuses_dueling():
    net = build_net("dqn2013", 6, np.random.default_rng(0), atoms=51)
    out = net.forward(np.zeros((2, 84, 84, 4), dtype=np.uint8), 1 / 255)
    assert out.shape == (2, 6 * 51)
    np.testing.assert_allclose(np.exp(out).reshape(2, 6, 51).sum(axis=2), 1.0, rtol=1e-5)
    rebuilt = Sequential.from_architecture(net.architecture())
    assert rebuilt.architecture() == net.architecture()
    with pytest.raises(ValueError, match="dueling"):
        build_net("dqn2013", 6, np.random.default_rng(0), atoms=51, dueling=True)


def test_c51_flags_refuse_dueling_and_a_bad_support_in_one_line():
    done = run_py("atari", "--c51", "true", "--dueling", "true")
    assert done.returncode != 0 and "--c51 true and --dueling true" in done.stderr
    assert "Traceback" not in done.stderr
    for bad, message in ((["--v-min", "5", "--v-max", "5"], "--v-max must be finite and above --v-min"),
                         (["--v-max", "inf"], "argument --v-max: expected a finite float, got 'inf'")):
        done = run_py("atari", "--c51", "true", *bad)
        assert done.returncode == 2 and message in done.stderr
        assert "Traceback" not in done.stderr


def test_pong_with_c51_and_prioritized_replay_trains_end_to_end_and_eval_plays_it(tmp_path):
    out = str(tmp_path / "run")
    done = run_py("atari", *SMALL_PONG, "--c51", "true", "--out", out)
    assert done.returncode == 0, done.stderr
    config = read_json(os.path.join(out, "config.json"))
    assert config["c51"] and config["prioritized"] and config["atoms"] == 51
    assert read_json(os.path.join(out, "summary.json"))["gradient_updates"] > 0
    watched = run_py("atari", "--eval", os.path.join(out, "best.npz"), "--episodes", "1")
    assert watched.returncode == 0, watched.stderr


def test_a_c51_network_survives_its_checkpoint_files_and_plays_from_them(tmp_path):
    """best.npz and checkpoint.npz hold the head's atoms in their JSON architecture, so --eval
    and --resume rebuild a network whose Q is the same mean of the same distribution."""
    from rl.cli.checkpoints import load_checkpoint, load_policy, save_checkpoint, save_policy
    agent, _ = small_c51_agent()
    agent.learn(batch_of(np.random.default_rng(8)))
    s = np.random.default_rng(9).standard_normal((4, 3))
    save_policy(str(tmp_path / "best.npz"), agent.online, "Test-v0", {})
    net, _ = load_policy(str(tmp_path / "best.npz"), "Test-v0")
    player = DQNAgent(net)
    assert isinstance(player.head, CategoricalHead) and player.n_actions == 2
    np.testing.assert_array_equal(player.q_values(s), agent.q_values(s))

    save_checkpoint(str(tmp_path / "checkpoint.npz"), agent, "Test-v0", {}, {})
    resumed, _ = small_c51_agent()
    load_checkpoint(str(tmp_path / "checkpoint.npz"), resumed, "Test-v0")
    np.testing.assert_array_equal(resumed.q_values(s), agent.q_values(s))
    assert resumed.updates == 1
