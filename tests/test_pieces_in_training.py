"""The DQN family's pieces wired into training: prioritized replay's weights and new priorities,
noisy nets' noise (new for every update, off for evaluation, ε = 0), dueling heads end to end."""
import os

import numpy as np
import pytest

from cli_helpers import SMALL_PONG, read_csv, read_json, run_py
from atari.cli import AtariConfig
from nnpy import Adam, huber, set_noise
from nnpy.noisy import noisy_layers
from rl.cli.cartpole import CartPoleConfig, build_mlp
from rl.cli.command import _saved_config
from rl.dqn import DQNAgent
from rl.prioritized import PrioritizedReplay
from rl.replay import ReplayMemory
from rl.train import evaluate, learn_from
from atari.networks import build_net


def filled_memory(n=64) -> PrioritizedReplay:
    memory = PrioritizedReplay(ReplayMemory(128, (4,), np.float32, 0.99, 1, seed=0), alpha=0.6)
    rng = np.random.default_rng(0)
    for t in range(n):
        memory.add(rng.standard_normal(4).astype(np.float32), int(rng.integers(2)), 1.0,
                   rng.standard_normal(4).astype(np.float32), t % 20 == 19, False, t % 20 == 0)
    memory.update_priorities(np.arange(n), rng.exponential(1.0, n))    # unequal: unequal weights
    return memory


def test_learn_from_weights_the_loss_and_sets_the_new_priorities_to_abs_td_plus_eps_to_alpha():
    cfg = CartPoleConfig(prioritized=True, batch_size=16, steps=1000)
    memory = filled_memory()
    net = build_mlp(16, np.random.default_rng(1))
    agent = DQNAgent(net, Adam(net.parameters(), lr=1e-3))
    for p in agent.target.parameters().values():                        # θ⁻ ≠ θ: y must use θ⁻
        p *= 0.5
    sampler = np.random.default_rng(5)
    memory.rng.bit_generator.state = sampler.bit_generator.state
    batch, slots, weights = memory.sample(16, memory.rng, 0.4)          # what learn_from will draw
    q = agent.q_values(batch.s)[np.arange(16), batch.a]
    q_next = agent.target.forward(batch.s2).max(axis=1)                  # max_a' Q(s', a'; θ⁻) (B,)
    y = batch.r + batch.discount * np.where(batch.terminated, 0.0, q_next)   # the Bellman target, by hand
    memory.rng.bit_generator.state = np.random.default_rng(5).bit_generator.state
    loss = learn_from(memory, agent, cfg, step=0, noise_rng=np.random.default_rng(0))
    np.testing.assert_allclose(agent.td_error, q - y, rtol=1e-5, atol=1e-6)   # δ = Q(s, a) − y
    y = q - agent.td_error                                                # the targets it fitted, to the bit
    assert loss == np.float32(huber(q, y, weights=weights)[0])          # the weighted loss
    assert weights.min() < 1 and loss != np.float32(huber(q, y)[0])
    expected = (np.abs(agent.td_error).astype(np.float64) + memory.eps) ** 0.6
    np.testing.assert_allclose(memory.tree.priorities(slots), expected, rtol=1e-12)


def test_beta_follows_its_own_schedule_whatever_the_budget():
    """β(t) rises from priority_beta0 to 1 over priority_beta_steps: the budget --steps (which
    a --resume may change) leaves what a run learns alone."""
    betas = []
    for steps in (1000, 100_000):
        cfg = CartPoleConfig(prioritized=True, batch_size=16, steps=steps, priority_beta_steps=500)
        memory = filled_memory()
        draw = memory.sample
        memory.sample = lambda b, rng, beta: betas.append(beta) or draw(b, rng, beta)
        net = build_mlp(16, np.random.default_rng(1))
        learn_from(memory, DQNAgent(net, Adam(net.parameters(), lr=1e-3)), cfg, step=250,
                   noise_rng=np.random.default_rng(0))
    assert betas == [pytest.approx(0.4 + 0.6 * 250 / 500)] * 2


def test_a_noisy_net_is_evaluated_with_its_mean_weights_and_trained_with_noise():
    net = build_net("dqn2013", 6, np.random.default_rng(0), noisy=True)
    agent = DQNAgent(net, input_scale=1 / 255)
    screens = np.random.default_rng(1).integers(0, 256, (3, 84, 84, 4), dtype=np.uint8)
    noisy_q = agent.q_values(screens)
    set_noise(net, False)
    mean_q = agent.q_values(screens)
    set_noise(net, True)
    seen = []

    class Env:                                  # one step per episode; records what the agent sees
        def reset(self, seed=None):
            return screens[0], {}

        def step(self, action):
            seen.append(agent.q_values(screens))
            return screens[0], 0.0, True, False, {}

    evaluate(agent, Env(), 2, 0.0, seed=0)
    assert not np.allclose(noisy_q, mean_q)
    assert all(np.array_equal(q, mean_q) for q in seen)
    assert all(layer.noise for layer in noisy_layers(net))             # noise back on afterwards


def test_a_noisy_agent_draws_new_noise_for_every_update_and_every_action():
    net = build_net("dqn2013", 6, np.random.default_rng(0), noisy=True)
    agent = DQNAgent(net, Adam(net.parameters(), lr=1e-4), input_scale=1 / 255, half_batches=True)
    rng = np.random.default_rng(2)
    from test_parallel import screens_batch
    layers = noisy_layers(agent.online) + noisy_layers(agent.target)
    before = [layer.eps_out.copy() for layer in layers]
    agent.learn(screens_batch(rng), noise_rng=np.random.default_rng(3))
    assert all(not np.array_equal(b, layer.eps_out) for b, layer in zip(before, layers))
    acted = [layer.eps_out.copy() for layer in noisy_layers(agent.online)]
    agent.act(screens_batch(rng).s[0], 0.0, np.random.default_rng(4))     # and for every action
    assert all(not np.array_equal(b, layer.eps_out) for b, layer in zip(acted, noisy_layers(agent.online)))


def test_pong_with_every_piece_trains_end_to_end_and_eval_plays_its_best_network(tmp_path):
    out = str(tmp_path / "run")
    done = run_py("atari", *SMALL_PONG, "--dueling", "true", "--noisy", "true", "--prioritized", "true",
                  "--double", "true", "--eps-decay-steps", "600", "--out", out)
    assert done.returncode == 0, done.stderr
    config = read_json(os.path.join(out, "config.json"))
    assert config["dueling"] and config["noisy"] and config["prioritized"]
    assert float(read_csv(os.path.join(out, "progress.csv"))[-1]["epsilon"]) == 0.0   # not eps_end
    assert read_json(os.path.join(out, "summary.json"))["gradient_updates"] > 0
    watched = run_py("atari", "--eval", os.path.join(out, "best.npz"), "--episodes", "1")
    assert watched.returncode == 0, watched.stderr


def test_cartpole_trains_with_prioritized_replay(tmp_path):
    out = str(tmp_path / "run")
    done = run_py("cartpole", "--steps", "1500", "--learning-starts", "200", "--eval-every", "1500",
                  "--eval-episodes", "1", "--final-eval-episodes", "1", "--prioritized", "true", "--out", out)
    assert done.returncode == 0, done.stderr
    assert read_json(os.path.join(out, "config.json"))["prioritized"]


def test_noise_off_runs_the_mean_network_and_puts_each_layers_noise_back():
    from nnpy import noise_off
    net = build_net("dqn2013", 6, np.random.default_rng(0), noisy=True, dueling=True)
    layers = noisy_layers(net)
    layers[0].noise = False                     # a mixed state comes back as it was
    with noise_off(net):
        assert not any(layer.noise for layer in layers)
    assert [layer.noise for layer in layers] == [False] + [True] * (len(layers) - 1)


def test_a_noisy_agent_refuses_to_learn_without_a_noise_generator():
    import pytest
    from test_parallel import screens_batch
    net = build_net("dqn2013", 6, np.random.default_rng(0), noisy=True)
    agent = DQNAgent(net, Adam(net.parameters(), lr=1e-4), input_scale=1 / 255)
    with pytest.raises(ValueError, match="noise_rng"):
        agent.learn(screens_batch(np.random.default_rng(1)))


def test_a_run_saved_before_beta_had_its_own_schedule_resumes_with_beta_over_its_budget(tmp_path):
    """config.json written when β rose over --steps: --resume keeps that schedule."""
    import json
    from dataclasses import asdict
    (tmp_path / "checkpoint.npz").write_bytes(b"")
    old = {k: v for k, v in asdict(AtariConfig(prioritized=True, steps=700_000)).items()
           if k != "priority_beta_steps"}                               # the field did not exist yet
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert _saved_config(AtariConfig(), str(tmp_path))["priority_beta_steps"] == 700_000
    (tmp_path / "config.json").write_text(json.dumps({**old, "priority_beta_steps": 500_000}))
    assert _saved_config(AtariConfig(), str(tmp_path))["priority_beta_steps"] == 500_000
