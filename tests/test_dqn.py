"""The DQN agent: Bellman targets by hand, ε schedule, target sync, and learning on a fixed batch."""
import numpy as np
import pytest

from nnpy import Adam, Dense, ReLU, Sequential, huber, numerical_gradient, rel_error
from nnpy.optim import Optimizer
from rl.dqn import DQNAgent, bellman_target
from rl.replay import Batch
from rl.schedule import linear_epsilon
from test_nnpy_gradcheck import NET_TOL, small_dqn

# One batch of three transitions, all with r = 1 and γ = 0.9:
#   0: terminal      (the pole fell: nothing after it)
#   1: truncated     (the time limit: the MDP goes on, so it is stored with terminated = 0)
#   2: ordinary
R = np.array([1.0, 1.0, 1.0])
TERMINATED = np.array([1.0, 0.0, 0.0])
GAMMA = np.full(3, 0.9)
Q_NEXT_TARGET = np.array([[2.0, 5.0],     # Q(s', ·; θ⁻)
                          [3.0, 1.0],
                          [0.0, 4.0]])
Q_NEXT_ONLINE = np.array([[9.0, 0.0],     # Q(s', ·; θ): picks a* = 0, 1, 0
                          [0.0, 9.0],
                          [9.0, 0.0]])


def test_bellman_target_dqn():
    # y = r + γ (1 − terminated) max_a' Q(s', a'; θ⁻)
    y = bellman_target(R, TERMINATED, GAMMA, Q_NEXT_TARGET)
    np.testing.assert_allclose(y, [1.0, 1.0 + 0.9 * 3.0, 1.0 + 0.9 * 4.0], rtol=1e-15)


def test_bellman_target_double_dqn():
    # y = r + γ (1 − terminated) Q(s', argmax_a' Q(s', a'; θ); θ⁻): online picks, target values
    y = bellman_target(R, TERMINATED, GAMMA, Q_NEXT_TARGET, Q_NEXT_ONLINE)
    np.testing.assert_allclose(y, [1.0, 1.0 + 0.9 * 1.0, 1.0 + 0.9 * 0.0], rtol=1e-15)


def test_bellman_target_uses_each_transitions_own_discount():
    # n-step: γ^m per transition (here m = 2 and 1)
    y = bellman_target(R[1:], TERMINATED[1:], np.array([0.81, 0.9]), Q_NEXT_TARGET[1:])
    np.testing.assert_allclose(y, [1.0 + 0.81 * 3.0, 1.0 + 0.9 * 4.0], rtol=1e-15)


def test_epsilon_schedule_endpoints():
    assert linear_epsilon(0, 1.0, 0.05, 1000) == 1.0
    assert linear_epsilon(500, 1.0, 0.05, 1000) == pytest.approx(0.525)
    assert linear_epsilon(1000, 1.0, 0.05, 1000) == pytest.approx(0.05)
    assert linear_epsilon(10**6, 1.0, 0.05, 1000) == pytest.approx(0.05)   # held afterwards
    assert linear_epsilon(0, 1.0, 0.05, 0) == 0.05                        # no decay at all


def make_agent(double=False, loss="huber", lr=1e-3) -> DQNAgent:
    """A float64 4 -> 16 -> 16 -> 2 MLP (float64, so the comparisons can be tight) with Adam."""
    rng = np.random.default_rng(0)
    net = Sequential([Dense(4, 16, rng, np.float64), ReLU(), Dense(16, 16, rng, np.float64), ReLU(),
                      Dense(16, 2, rng, np.float64)])
    return DQNAgent(net, Adam(net.parameters(), lr=lr), loss=loss, double=double)


def fixed_batch(n=32, seed=1) -> Batch:
    rng = np.random.default_rng(seed)
    return Batch(s=rng.normal(size=(n, 4)), a=rng.integers(0, 2, n), r=rng.normal(size=n),
                 s2=rng.normal(size=(n, 4)), terminated=(rng.random(n) < 0.2).astype(float),
                 discount=np.full(n, 0.99))


def params_of(net) -> dict:
    return {k: v.copy() for k, v in net.parameters().items()}


@pytest.mark.parametrize("double", [False, True])
def test_learn_regresses_q_of_the_taken_action_onto_the_bellman_target(double):
    agent, batch = make_agent(double=double), fixed_batch()
    q_next_target = agent.target.forward(batch.s2)
    q_next_online = agent.online.forward(batch.s2) if double else None
    y = bellman_target(batch.r, batch.terminated, batch.discount, q_next_target, q_next_online)
    q_taken = agent.online.forward(batch.s)[np.arange(32), batch.a]
    expected_loss, _ = huber(q_taken, y)
    assert agent.learn(batch) == pytest.approx(expected_loss, rel=1e-12)


def test_only_the_taken_action_gets_gradient():
    agent, batch = make_agent(), fixed_batch()
    batch.a[:] = 1                                         # every transition took action 1
    agent.learn(batch)
    last = agent.online.layers[-1]                         # Dense(16, 2): column k feeds Q(·, k)
    assert np.all(last.grads["w"][:, 0] == 0) and last.grads["b"][0] == 0
    assert np.any(last.grads["w"][:, 1] != 0)


@pytest.mark.parametrize("double,loss", [(False, "huber"), (True, "huber"), (True, "mse")])
def test_repeated_learning_steps_on_a_fixed_batch_drive_the_loss_down(double, loss):
    agent, batch = make_agent(double=double, loss=loss, lr=3e-3), fixed_batch()
    losses = [agent.learn(batch) for _ in range(300)]      # θ⁻ is never synced: a fixed regression
    assert losses[-1] < 0.05 * losses[0]
    assert agent.updates == 300


def test_target_sync_copies_the_weights_exactly_and_stays_a_separate_copy():
    agent, batch = make_agent(), fixed_batch()
    for _ in range(5):
        agent.learn(batch)
    online, target = agent.online.parameters(), agent.target.parameters()
    assert any(not np.array_equal(online[k], target[k]) for k in online)
    agent.sync_target()
    for k in online:
        np.testing.assert_array_equal(target[k], online[k])
        assert target[k] is not online[k]
    agent.learn(batch)                                     # moving θ leaves θ⁻ where it was
    assert any(not np.array_equal(online[k], target[k]) for k in online)


def test_without_a_target_network_the_target_moves_with_every_update():
    """--target-network false: y uses θ itself, so the second of two identical updates
    regresses onto a different target than the first (with θ⁻ it would be the same)."""
    rng = np.random.default_rng(0)
    net = Sequential([Dense(4, 8, rng, np.float64), ReLU(), Dense(8, 2, rng, np.float64)])
    agent, batch = DQNAgent(net, Adam(net.parameters(), lr=1e-2), target_network=False), fixed_batch()
    assert agent.target is agent.online
    targets = []
    for _ in range(2):
        targets.append(bellman_target(batch.r, batch.terminated, batch.discount,
                                      agent.online.forward(batch.s2)))
        agent.learn(batch)
        agent.sync_target()                                # nothing to copy: no error, no change
    assert not np.allclose(targets[0], targets[1])


def test_soft_target_update_is_polyak_averaging():
    agent, batch = make_agent(), fixed_batch()
    agent.learn(batch)
    before, online = params_of(agent.target), agent.online.parameters()
    agent.sync_target(tau=0.25)
    for k, p in agent.target.parameters().items():
        np.testing.assert_allclose(p, 0.75 * before[k] + 0.25 * online[k], rtol=1e-12)


def test_act_is_greedy_at_epsilon_0_and_uniform_at_epsilon_1():
    agent, rng = make_agent(), np.random.default_rng(0)
    obs = np.array([0.1, -0.2, 0.05, 0.3])
    greedy = int(agent.q_values(obs[None])[0].argmax())
    assert all(agent.act(obs, 0.0, rng) == greedy for _ in range(50))
    actions = [agent.act(obs, 1.0, rng) for _ in range(4000)]
    assert abs(np.mean(actions) - 0.5) < 0.03


class NoStep(Optimizer):
    """Leaves θ where it is, so after learn() the network still holds the gradient at θ."""

    def update(self, p, g, st):
        pass


@pytest.mark.parametrize("double", [False, True])
def test_learn_backpropagates_the_gradient_of_its_own_loss(double):
    """DQNAgent.learn itself against centered differences of the loss it returns, in float64.

    Only θ is differentiated: y depends on θ⁻, and in Double DQN on θ only through an argmax,
    which is constant under a tiny perturbation.  Double DQN runs the online network on s'
    as well as on s; backward uses the caches of the *last* forward, so learn() must run
    Q(s, ·; θ) last, and this check fails if it does not."""
    rng = np.random.default_rng(3)
    net = small_dqn(rng)                                    # (N, 11, 11, 2) -> (N, 3), float64
    agent = DQNAgent(net, NoStep(net.parameters(), lr=1.0), loss="huber", double=double)
    for p in agent.target.parameters().values():            # θ⁻ ≠ θ, as between two syncs
        p += 0.1 * rng.standard_normal(p.shape)
    n = 6
    batch = Batch(s=rng.standard_normal((n, 11, 11, 2)), a=rng.integers(0, 3, n),
                  r=np.array([0.1, 3.0, -0.2, -3.0, 0.3, 0.0]), s2=rng.standard_normal((n, 11, 11, 2)),
                  terminated=np.array([0.0, 1.0, 0.0, 0.0, 1.0, 0.0]), discount=np.full(n, 0.99))
    q_next_online = agent.online.forward(batch.s2) if double else None
    y = bellman_target(batch.r, batch.terminated, batch.discount, agent.target.forward(batch.s2),
                       q_next_online)
    td_error = np.abs(agent.online.forward(batch.s)[np.arange(n), batch.a] - y)
    assert np.any(td_error < 1) and np.any(td_error > 1)   # both branches of the Huber loss

    agent.learn(batch)
    analytic = {k: g.copy() for k, g in agent.online.gradients().items()}
    errors = {k: rel_error(analytic[k], numerical_gradient(lambda: agent.learn(batch), p))
              for k, p in agent.online.parameters().items()}
    assert max(errors.values()) < NET_TOL, errors
    assert all(np.any(g != 0) for g in analytic.values())  # every layer got a gradient


@pytest.mark.parametrize("double", [False, True])
def test_without_a_target_network_learn_is_learn_with_a_target_just_synced(double):
    """With no θ⁻, θ plays both parts, and its forwards on s' and s take turns on one network:
    the step must equal one whose separate θ⁻ is a copy of θ, so the caches backward reads
    must hold s, not s'."""
    agents = []
    for target_network in (False, True):
        rng = np.random.default_rng(0)                                         # the same θ twice
        net = Sequential([Dense(4, 16, rng, np.float64), ReLU(), Dense(16, 2, rng, np.float64)])
        agents.append(DQNAgent(net, Adam(net.parameters(), lr=1e-3), double=double,
                               target_network=target_network))
    batch = fixed_batch()
    losses = [agent.learn(batch) for agent in agents]
    assert losses[0] == losses[1]
    for k, v in params_of(agents[0].online).items():
        np.testing.assert_array_equal(v, agents[1].online.parameters()[k])


def q_by_hand(net: Sequential, x: np.ndarray) -> np.ndarray:
    """Q(x, ·) of an MLP of Dense and ReLU layers, from its weight arrays alone:
    h <- h @ w + b, h <- max(h, 0).  Independent of Sequential.forward and DQNAgent.q_values."""
    h = x
    for layer in net.layers:
        h = h @ layer.params["w"] + layer.params["b"] if isinstance(layer, Dense) else np.maximum(h, 0)
    return h


def target_apart_from_online(agent: DQNAgent, seed: int = 5) -> None:
    """θ⁻ ≠ θ, as between two syncs (at initialisation the two are equal)."""
    rng = np.random.default_rng(seed)
    for p in agent.target.parameters().values():
        p += 0.5 * rng.standard_normal(p.shape)


def test_act_and_q_values_use_the_online_network_not_the_target():
    """Slip 4 of docs/GUIDE.md: the agent acts with the current θ; θ⁻ only computes targets.
    With θ⁻ ≠ θ and states where the two prefer different actions, the greedy action must be
    θ's, computed here from θ's arrays, not through q_values."""
    agent, rng = make_agent(), np.random.default_rng(0)
    target_apart_from_online(agent)
    obs = rng.normal(size=(200, 4))
    by_online, by_target = q_by_hand(agent.online, obs), q_by_hand(agent.target, obs)
    assert np.any(by_online.argmax(1) != by_target.argmax(1))     # the test can tell them apart
    np.testing.assert_allclose(agent.q_values(obs), by_online, rtol=1e-12)
    assert [agent.act(o, 0.0, rng) for o in obs] == by_online.argmax(1).tolist()


def test_between_syncs_learn_regresses_onto_a_target_that_holds_still():
    """Stop 20 of docs/GUIDE.md: between two syncs y is computed with θ⁻, which learning does
    not move.  y is computed once, by hand from θ⁻'s arrays; every one of several updates must
    return the loss of Q(s, a; θ) as θ now is against that same y.  A target computed with θ
    (or a θ⁻ that followed θ) would move after the first update and fail."""
    agent, batch = make_agent(lr=3e-3), fixed_batch()
    target_apart_from_online(agent)
    y = bellman_target(batch.r, batch.terminated, batch.discount, q_by_hand(agent.target, batch.s2))
    rows = np.arange(len(batch.a))
    for _ in range(5):
        expected, _ = huber(q_by_hand(agent.online, batch.s)[rows, batch.a], y)
        assert agent.learn(batch) == pytest.approx(expected, rel=1e-10)
