"""The training loop's pieces: the optimizer it builds (centered RMSProp as the paper has it),
a short CartPole run that has to learn, the early stop once solved, and what summary.json reports."""
import dataclasses

import numpy as np
import pytest

from nnpy import CenteredRMSProp
from rl.cli.cartpole import CartPoleConfig, build_mlp, make_task
from rl.dqn import DQNAgent
from rl.cli.checkpoints import save_policy
from rl.train import (CONFIRM_SEED, EVAL_SEED, FINAL_EVAL_SEED, RunState, evaluate, evaluate_and_keep_best,
                      make_optimizer, out_of_reach, solved_for_good, train)


def test_centered_rmsprop_reproduces_the_papers_update_on_a_summed_gradient():
    # DeepMind's update, by hand, on per-transition gradients g_i summed over a minibatch of
    # B = 4, with the paper's 0.01 under the square root; ours sees their mean, as nnpy's
    # losses produce it, and must move θ exactly as far
    B, lr = 4, 2.5e-4
    per_transition = [np.array([[0.3, -1.0, 0.02, 4.0]] * B) * np.arange(1, B + 1)[:, None],
                      np.array([[-0.1, 0.5, 0.0, 2.0]] * B) + np.arange(B)[:, None]]   # (B, 4) each
    params = {"p": np.zeros(4)}
    cfg = CartPoleConfig(optimizer="centered_rmsprop", lr=lr, batch_size=B)
    opt = make_optimizer(cfg, params)
    assert isinstance(opt, CenteredRMSProp) and opt.min_sq == pytest.approx(0.01 / B ** 2)

    theta, m, s = np.zeros(4), np.zeros(4), np.zeros(4)
    for g_i in per_transition:
        g_sum = g_i.sum(axis=0)                                # what DeepMind's update sees
        m = 0.95 * m + 0.05 * g_sum
        s = 0.95 * s + 0.05 * g_sum ** 2
        theta = theta - lr * g_sum / np.sqrt(s - m ** 2 + 0.01)
        opt.step({"p": g_i.mean(axis=0)})                      # what ours sees
    np.testing.assert_allclose(params["p"], theta, rtol=1e-12)
    # with 0.01 itself (min_sq B² times too large), a small gradient takes a much smaller step:
    # here component 2, g_sum = 0.2, moves 1.8 lr instead of 0.5 lr
    plain = {"p": np.zeros(4)}
    CenteredRMSProp(plain, lr=lr, min_sq=0.01).step({"p": per_transition[0].mean(axis=0)})
    paper_step = lr * 0.2 / np.sqrt(0.05 * 0.2 ** 2 - (0.05 * 0.2) ** 2 + 0.01)
    assert abs(plain["p"][2]) < 0.3 * paper_step


def test_a_short_cartpole_run_beats_a_random_policy_clearly(tmp_path):
    # a random policy balances the pole for ~22 steps on average; a few seconds of DQN
    # must do several times better (greedy return of the best network, 10 fresh episodes)
    cfg = CartPoleConfig(seed=0, steps=6_000, eval_every=1_500, eval_episodes=5,
                         final_eval_episodes=10, eps_decay_steps=4_000, log_every=1_500,
                         checkpoint_every=6_000)
    result = train(cfg, make_task(cfg), str(tmp_path), quiet=True)
    assert not result.interrupted and result.steps == 6_000
    assert result.final_eval_mean_return > 100, result


def test_a_solved_streak_counts_consecutive_evaluations_at_the_goal():
    run = RunState()
    for step, mean in [(1, 19.0), (2, 17.0), (3, 18.0), (4, 18.5)]:
        run.step = step
        run.record_eval(mean, goal=18.0, wall_seconds=10.0 * step, stop_margin=0.0, best_over=1)
    assert run.solved_at_step == 1 and run.solved_at_seconds == 10.0    # the first, not the last
    assert run.solved_streak == 2                                        # 17 broke the first streak
    assert run.best_eval == 19.0 and run.best_step == 1                  # best_over 1: its own mean
    assert solved_for_good(run, CartPoleConfig(stop_after_solved=2))
    assert not solved_for_good(run, CartPoleConfig(stop_after_solved=3))
    assert not solved_for_good(run, CartPoleConfig(stop_after_solved=0))  # 0: never stop early


def test_a_stop_margin_and_best_over_two_keep_the_network_of_a_good_stretch():
    # Pong's rule: the streak counts evaluations at 18 + 1; a network scores the lower of its
    # evaluation and the one before it.  The lucky 19.9 right after -9.4 is not the best.
    run = RunState()
    for step, mean in [(1, -9.4), (2, 19.9), (3, 11.2), (4, 18.5), (5, 19.2), (6, 19.6)]:
        run.step = step
        run.record_eval(mean, goal=18.0, wall_seconds=1.0, stop_margin=1.0, best_over=2)
        assert run.solved_streak == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1, 6: 2}[step]   # 18.5 < 19
    assert run.solved_at_step == 2                   # the goal itself (+18) was first reached there
    assert run.best_step == 6 and run.best_eval == 19.2   # min(19.2, 19.6): the network it stops with
    assert solved_for_good(run, CartPoleConfig(stop_after_solved=2))


def test_without_a_goal_nothing_counts_as_solved_and_best_over_still_applies():
    run = RunState()
    for step, mean in [(1, 5.0), (2, 9.0), (3, 7.0)]:
        run.step = step
        run.record_eval(mean, goal=None, wall_seconds=1.0, stop_margin=1.0, best_over=2)
    assert run.solved_streak == 0 and run.solved_at_step is None
    assert (run.best_step, run.best_eval) == (3, 7.0)           # min(9, 7) beats min(5, 9)


def test_cartpole_keeps_the_plain_rules():
    cfg = CartPoleConfig()
    assert (cfg.confirm_episodes, cfg.stop_margin, cfg.best_over) == (0, 0.0, 1)


def test_a_resumed_run_finishes_with_the_best_network_so_far_not_the_checkpoints(tmp_path):
    cfg = CartPoleConfig(seed=0, steps=1_000, learning_starts=200, eval_every=500, eval_episodes=2,
                         final_eval_episodes=3, log_every=500, checkpoint_every=1_000)
    task = make_task(cfg)
    train(cfg, task, str(tmp_path), quiet=True)
    # plant a different "best so far": a fresh network; resuming at the last step trains
    # nothing, so the final evaluation must play exactly the planted network
    planted = build_mlp(cfg.hidden, np.random.default_rng(123))
    save_policy(str(tmp_path / "best.npz"), planted, task.env_id, {})
    result = train(cfg, task, str(tmp_path), resume=True, quiet=True)
    expected = evaluate(DQNAgent(planted), task.make_eval_env(cfg.seed + EVAL_SEED), 3,
                        cfg.eval_epsilon, cfg.seed + FINAL_EVAL_SEED)
    assert result.final_eval_returns == expected


def test_an_evaluation_at_the_goal_counts_only_once_other_episodes_confirm_it():
    class TwoFacedEnv:
        """Every episode lasts one step; its return depends on the seed of the last seeded
        reset: +20 on the periodic evaluation's episodes, +10 on the confirmation's."""
        def __init__(self):
            self.episodes, self.r = 0, None

        def reset(self, seed=None):
            if seed is not None:
                self.r = {EVAL_SEED: 20.0, CONFIRM_SEED: 10.0}[seed]
            self.episodes += 1
            return np.zeros(4, np.float32), {}

        def step(self, action):
            return np.zeros(4, np.float32), self.r, True, False, {}

    class Folder:                                  # what evaluate_and_keep_best writes
        def __init__(self):
            self.saved = 0

        def save_best(self, net):
            self.saved += 1

        def plot(self, run):
            pass

    def evaluate_once(confirm_episodes, threshold):
        cfg = CartPoleConfig(seed=0, eval_episodes=5, confirm_episodes=confirm_episodes)
        task = dataclasses.replace(make_task(cfg), reward_threshold=threshold)
        net = build_mlp(8, np.random.default_rng(0))
        agent, env, run, folder = DQNAgent(net, make_optimizer(cfg, net.parameters())), TwoFacedEnv(), RunState(), Folder()
        returns = evaluate_and_keep_best(agent, agent.online.copy(), env, run, cfg, task, folder, 1.0)
        return float(np.mean(returns)), env.episodes, run, folder.saved

    # five lucky games reach +18; five more say +15 over ten: not solved, though still the best
    mean, episodes, run, saved = evaluate_once(confirm_episodes=5, threshold=18.0)
    assert (mean, episodes) == (15.0, 10)
    assert run.solved_streak == 0 and run.solved_at_step is None
    assert run.best_eval == 15.0 and saved == 1
    # without the check the same five games count as solved
    mean, episodes, run, _ = evaluate_once(confirm_episodes=0, threshold=18.0)
    assert (mean, episodes, run.solved_streak) == (20.0, 5, 1)
    # below the goal nothing more is played
    mean, episodes, run, _ = evaluate_once(confirm_episodes=5, threshold=21.0)
    assert (mean, episodes, run.solved_streak) == (20.0, 5, 0)


def test_training_stops_after_the_goal_is_reached_twice_and_still_evaluates_the_best(tmp_path):
    # a goal every CartPole episode reaches (an episode lasts at least 8 steps), so the first
    # two evaluations both count: the run must stop at the second, not train all 20,000 steps
    cfg = CartPoleConfig(steps=20_000, learning_starts=200, eval_every=500, eval_episodes=2,
                         final_eval_episodes=3, log_every=500, checkpoint_every=10_000,
                         stop_after_solved=2)
    task = dataclasses.replace(make_task(cfg), reward_threshold=5.0)
    result = train(cfg, task, str(tmp_path), quiet=True)
    assert result.steps == 1_000 and not result.interrupted
    assert result.solved_at_step == 500 and result.solved_at_seconds > 0
    assert result.final_eval_episodes == 3                     # a finished run: final evaluation done
    assert result.last_eval_mean_return is not None            # the evaluation at the last step
    assert (tmp_path / "summary.json").exists() and (tmp_path / "best.npz").exists()


def test_the_last_networks_return_is_the_evaluation_at_the_last_step(tmp_path):
    cfg = CartPoleConfig(steps=1_200, learning_starts=200, eval_every=500, eval_episodes=2,
                         final_eval_episodes=2, log_every=500, checkpoint_every=10_000)
    result = train(cfg, make_task(cfg), str(tmp_path), quiet=True)
    assert result.last_eval_mean_return is None                # steps 500 and 1,000 only: not the last
    assert result.solved_at_seconds is None and result.solved_at_step is None


def test_evaluate_resets_once_per_episode_and_seeds_only_the_first():
    """A second reset would press FIRE in the middle of an Atari game."""
    class CountingEnv:
        def __init__(self):
            self.resets, self.t = [], 0

        def reset(self, seed=None):
            self.resets.append(seed)
            self.t = 0
            return np.zeros(4, np.float32), {}

        def step(self, action):
            self.t += 1
            return np.zeros(4, np.float32), 1.0, self.t == 3, False, {}

    env = CountingEnv()
    agent = DQNAgent(build_mlp(8, np.random.default_rng(0)))
    assert evaluate(agent, env, episodes=4, epsilon=0.0, seed=123) == [3.0] * 4
    assert env.resets == [123, None, None, None]


class ScriptedGames:
    """An evaluation env whose episodes score scores[0], scores[1], ... from the evaluation's
    seeded reset, and scores[5], scores[6], ... from the confirming one's."""

    def __init__(self, scores):
        self.scores, self.k = list(scores), -1

    def reset(self, seed=None):
        self.k = {None: self.k + 1, EVAL_SEED: 0, CONFIRM_SEED: 5}[seed]
        return np.zeros(4, np.float32), {}

    def step(self, action):
        return np.zeros(4, np.float32), float(self.scores[self.k]), True, False, {}


def give_up_setup(scores, confirm_episodes=0, give_up=True):
    cfg = CartPoleConfig(seed=0, eval_episodes=5, confirm_episodes=confirm_episodes, eval_give_up=give_up)
    task = dataclasses.replace(make_task(cfg), reward_threshold=18.0, max_return=21.0)
    net = build_mlp(8, np.random.default_rng(0))
    agent = DQNAgent(net, make_optimizer(cfg, net.parameters()))

    class Folder:
        def save_best(self, net):
            pass

        def plot(self, run):
            pass

    run = RunState()
    returns = evaluate_and_keep_best(agent, agent.online.copy(), ScriptedGames(scores), run, cfg, task,
                                     Folder(), 1.0)
    return returns, run


def test_an_evaluation_gives_up_once_the_goal_is_out_of_reach():
    # 5 games at +18 allow 5 × 3 = 15 points short of 21 in all
    assert give_up_setup([-21] * 5)[0] == [-21]                  # 42 short after one game
    assert give_up_setup([10] * 5)[0] == [10, 10]                # 11 short, then 22
    assert give_up_setup([18, 18, 18, 18, 17])[0] == [18, 18, 18, 18, 17]   # 15 short: 16 only at the end
    assert give_up_setup([21, 21, 21, 21, 5])[0] == [21, 21, 21, 21, 5]     # every game played
    returns, run = give_up_setup([6, 21, 21, 21, 21])           # 15 short: exactly +18 still possible
    assert returns == [6, 21, 21, 21, 21] and run.solved_at_step == 0
    # the confirming games are scored with the first five: 10 games allow 30 short in all
    returns, run = give_up_setup([21] * 5 + [10] * 5, confirm_episodes=5)
    assert returns == [21] * 5 + [10] * 3 and run.solved_at_step is None
    # without give-up every game is played
    assert give_up_setup([-21] * 5, give_up=False)[0] == [-21] * 5


def test_giving_up_never_changes_whether_an_evaluation_reaches_the_goal():
    rng = np.random.default_rng(0)
    for _ in range(300):
        scores = list(rng.choice([-21, 0, 10, 15, 17, 18, 19, 20, 21], size=10))
        full, full_run = give_up_setup(scores, confirm_episodes=5, give_up=False)
        short, short_run = give_up_setup(scores, confirm_episodes=5)
        assert short == full[:len(short)]                        # the same games, maybe fewer
        assert (np.mean(short) >= 18) == (np.mean(full) >= 18)
        assert short_run.solved_at_step == full_run.solved_at_step
        if len(short) < len(full):
            assert out_of_reach(short, len(full), 18.0, 21.0) and np.mean(short) < 18
