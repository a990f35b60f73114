"""The DQN training loop: Algorithm 1 of Mnih et al. (2013), with the 2015 target network.

    initialise replay memory D, Q-network θ, target network θ⁻ = θ
    for t = 0, 1, ..., steps - 1:
        act:      a_t = a random action with probability ε(t), else argmax_a Q(s_t, a; θ)
                  (noisy nets: ε(t) falls to 0 and θ's noise is drawn anew for every action);
                  play it, observe r_t, s_{t+1} and whether the episode ended
        store:    (s_t, a_t, r_t, s_{t+1}, terminated) in D
        learn:    every train_every steps, gradient_steps times:
                  sample a minibatch (s, a, R, s', terminated, γ^m) from D and take one step on
                      L(θ) = mean ℓ(Q(s, a; θ) − y),   y = R + γ^m (1 − terminated) max_a' Q(s', a'; θ⁻)
                  (prioritized replay: sampled ∝ p^α, L = 1/B Σ w_j ℓ_j, then p_j = |δ_j| + ε)
        sync:     every C = target_update_every steps:  θ⁻ <- θ
        evaluate: every eval_every steps: ε_eval-greedy episodes on a separate environment; keep the best θ
        log:      every log_every steps (and after each evaluation): a progress.csv row, with the
                  average max_a Q(s, a; θ) over held-out states (rl/held_out.py)

Learning (and syncing) waits for `learning_starts` steps of experience.  The
equations of the learning step are in rl/dqn.py, the n-step R and γ^m in
rl/replay.py.  The same loop trains CartPole and Atari; a `Task` supplies
what differs (the environments, the network, the replay memory).  What the
run writes to disk is done by RunFolder (rl/cli/run_folder.py).
"""
import math
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nnpy import OPTIMIZERS, Sequential, noise_off
from nnpy.optim import Optimizer
from nnpy.parallel import use_threads
from nnpy.summary import summary

from .cli.progress import count, format_duration
from .cli.run_folder import RunFolder, run_files
from .dqn import DQNAgent
from .dqn_config import DQNConfig
from .held_out import HELD_OUT_SEED, average_max_q, collect_states
from .prioritized import PrioritizedReplay
from .schedule import importance_beta, linear_epsilon

RECENT = 20          # the "recent return" is the mean over this many finished episodes
EVAL_SEED = 10_000   # periodic evaluations play the same episodes, seeded seed + EVAL_SEED, every time
# The best network is chosen on those episodes, so its score there is biased upwards; the
# final evaluation plays other ones, seeded seed + FINAL_EVAL_SEED.
FINAL_EVAL_SEED = 20_000
# An evaluation that reaches the goal is confirmed on cfg.confirm_episodes more episodes,
# seeded seed + CONFIRM_SEED: neither the ones above nor the final evaluation's.  (The
# held-out states' random play, rl/held_out.py, starts from the same seed; those states
# only measure Q and never choose a network.)
CONFIRM_SEED = 30_000


@dataclass
class Task:
    """What a run trains on, apart from its hyperparameters."""
    env_id: str
    make_env: Callable[[int], Any]          # seed -> training environment
    make_eval_env: Callable[[int], Any]     # seed -> evaluation environment (whole games, true score)
    build_net: Callable[[np.random.Generator], Sequential]
    make_memory: Callable[[], Any]          # -> replay memory with add() / sample() / __len__ / rng
    memory_bytes_per_transition: int        # its size / capacity, checked against free RAM first
    input_scale: float = 1.0                # obs * input_scale = network input
    half_batches: bool = False              # learn on two half batches at once (nnpy/parallel.py)
    reward_threshold: float | None = None   # "solved" when an evaluation reaches this
    max_return: float | None = None         # the highest score an episode can have (Pong: 21)
    make_sticky_eval_env: Callable[[int], Any] | None = None   # seed -> the eval env, sticky actions
    policy_meta: dict = field(default_factory=dict)   # stored in best.npz for --eval


@dataclass
class RunState:
    """The loop's counters and history: what a resumed run needs besides the networks,
    the optimizer and the random-number generators (saved in checkpoint.npz)."""
    step: int = 0                                               # environment steps taken
    episode: int = 0                                            # whole episodes (games) finished
    episode_steps: list = field(default_factory=list)           # the step each episode ended at
    episode_returns: list = field(default_factory=list)         # its return (the true score)
    eval_steps: list = field(default_factory=list)              # the step of each evaluation
    eval_returns: list = field(default_factory=list)            # its mean return
    best_eval: float | None = None                              # the best score so far ...
    best_step: int | None = None                                # ... and its step (best.npz)
    solved_at_step: int | None = None                           # first evaluation >= threshold ...
    solved_at_seconds: float | None = None                      # ... and the training time to it
    solved_streak: int = 0                                      # evaluations >= goal + stop_margin in a row
    wall_seconds: float = 0.0                                   # training time, over resumes
    last_loss: float | None = None                              # loss of the latest update
    q_steps: list = field(default_factory=list)                 # the step of each log row ...
    avg_max_q: list = field(default_factory=list)               # ... its held-out average max Q

    def end_episode(self, step: int, ret: float) -> None:
        self.episode += 1
        self.episode_steps.append(step)
        self.episode_returns.append(ret)

    def recent_mean(self) -> float | None:
        """Mean return of the last RECENT episodes (None before the first one ends)."""
        return float(np.mean(self.episode_returns[-RECENT:])) if self.episode_returns else None

    def record_avg_max_q(self, value: float) -> None:
        self.q_steps.append(self.step)
        self.avg_max_q.append(value)

    def record_eval(self, mean: float, goal: float | None, wall_seconds: float, *,
                    stop_margin: float, best_over: int) -> bool:
        """Note evaluation k, mean m_k, at this step (wall_seconds of training so far).

            score_k = min(m_{k−b+1}, ..., m_k),   b = best_over   (b = 1: m_k itself)

        Returns True if score_k is the highest so far: this network is now the best.
        The solved streak counts evaluations in a row with m_k ≥ goal + stop_margin."""
        self.eval_steps.append(self.step)
        self.eval_returns.append(mean)
        if reaches_goal(mean, goal) and self.solved_at_step is None:
            self.solved_at_step, self.solved_at_seconds = self.step, round(wall_seconds, 2)
        stop_level = None if goal is None else goal + stop_margin
        self.solved_streak = self.solved_streak + 1 if reaches_goal(mean, stop_level) else 0
        score = min(self.eval_returns[-best_over:])
        if self.best_eval is None or score > self.best_eval:
            self.best_eval, self.best_step = score, self.step
            return True
        return False


def reaches_goal(mean: float, threshold: float | None) -> bool:
    """An evaluation's mean return counts as solving the task (never, without a goal)."""
    return threshold is not None and mean >= threshold


@dataclass
class Result:
    """What train() returns, finished or interrupted; summary.json holds the same fields."""
    env: str
    seed: int
    steps: int
    episodes: int
    wall_seconds: float
    final_eval_mean_return: float | None        # None if interrupted (no final evaluation)
    final_eval_episodes: int
    final_eval_returns: list
    sticky_eval_mean_return: float | None       # the same network on sticky-action games (None:
    sticky_eval_returns: list                   # not played, e.g. the run itself was sticky)
    best_eval_mean_return: float | None         # the best network's score (see RunState.record_eval)
    best_eval_step: int | None
    solved_at_step: int | None
    solved_at_seconds: float | None             # training wall time to the first evaluation >= threshold
    last_eval_mean_return: float | None         # the network as training left it: the evaluation
                                                # at the last step (None if none happened there)
    reward_threshold: float | None
    gradient_updates: int
    interrupted: bool


def make_optimizer(cfg: DQNConfig, params: dict) -> Optimizer:
    """The optimizer named by cfg.optimizer (a key of OPTIMIZERS) over params, with cfg.lr."""
    own_knobs = {
        "adam": {"eps": cfg.adam_eps},
        # the paper's constant is for a minibatch-summed gradient, ours is averaged: / B²
        # makes the update the paper's exactly (see CenteredRMSProp in nnpy/optim.py)
        "centered_rmsprop": {"min_sq": cfg.rmsprop_min_sq / cfg.batch_size ** 2},
    }
    return OPTIMIZERS[cfg.optimizer](params, lr=cfg.lr, **own_knobs.get(cfg.optimizer, {}))


def learn_from(memory, agent: DQNAgent, cfg: DQNConfig, step: int, noise_rng: np.random.Generator) -> float:
    """One gradient step on a minibatch from D; returns the loss.  Uniform replay, or
    prioritized: importance weights in the loss, then |δ| (C51: the KL) as the new priorities."""
    if not cfg.prioritized:
        return agent.learn(memory.sample(cfg.batch_size), noise_rng=noise_rng)
    beta = importance_beta(step, cfg.priority_beta0, cfg.priority_beta_steps)
    batch, slots, weights = memory.sample(cfg.batch_size, memory.rng, beta)
    loss = agent.learn(batch, weights, noise_rng)
    memory.update_priorities(slots, agent.td_error)
    return loss


def play_episode(agent: DQNAgent, env, epsilon: float, rng: np.random.Generator,
                 seed: int | None = None, on_frame: Callable | None = None) -> float:
    """One whole episode from env.reset(seed=seed); returns the true score
    (info["score"] where the env clips rewards)."""
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        if on_frame is not None:
            on_frame(env, obs)                     # before acting: the screen and the state s_t
        obs, r, terminated, truncated, info = env.step(agent.act(obs, epsilon, rng))
        total += info.get("score", r)
        done = terminated or truncated
    return total


def evaluate(agent: DQNAgent, env, episodes: int, epsilon: float, seed: int,
             give_up: Callable[[list[float]], bool] | None = None) -> list[float]:
    """Returns of `episodes` episodes on a separate env, seeded the same way every time:
    the first episode's reset seeds the env, the others go on from there.  (One reset per
    episode: on Atari a second reset would press FIRE in the middle of the game.)  With
    give_up, the evaluation ends early, after the first episode at which give_up(returns so
    far) is True: fewer than `episodes` returns come back."""
    rng = np.random.default_rng(seed)
    returns = []
    with noise_off(agent.online):               # a noisy network is judged by its mean weights
        for k in range(episodes):
            returns.append(play_episode(agent, env, epsilon, rng, seed=seed if k == 0 else None))
            if give_up is not None and give_up(returns):
                break
    return returns


def out_of_reach(returns: list[float], episodes: int, goal: float, max_return: float) -> bool:
    """Can the mean over `episodes` episodes no longer reach goal, whatever the ones still to
    play score?  With k played and each still to come scoring at most G_max:

        Σ_{i≤k} G_i + (episodes − k) G_max  <  episodes · goal

    i.e. the points short of a perfect score, Σ (G_max − G_i), exceed episodes (G_max − goal).
    Pong (G_max = 21, goal 18, 5 games): once the games played fell 16 points short of 21-0
    in all.  An evaluation that stops here could not have passed, so stopping it changes no
    verdict; the mean of the games it played is what it reports."""
    return sum(returns) + (episodes - len(returns)) * max_return < episodes * goal


def no_learning_warning(steps_to_go: int, learning_starts: int) -> str | None:
    """What to say when a run of steps_to_go steps ends before learning would begin (nothing
    when no step is to go: a resumed run that had finished only plays its final evaluation
    again)."""
    if steps_to_go <= 0 or steps_to_go > learning_starts:
        return None
    return (f"no gradient step will run: {steps_to_go:,} steps to go, and learning starts after "
            f"--learning-starts {learning_starts:,} steps of replay fill; give more --steps or a "
            f"smaller --learning-starts")


def resumed_note(run: RunState, cfg: DQNConfig) -> str:
    """What a resumed run will do: train on (after refilling D, which is not saved), or, if
    it had finished, only play its final evaluation again."""
    if solved_for_good(run, cfg):
        return (f"this run had stopped at step {run.step:,}, solved; only its final evaluation "
                f"is played again")
    if run.step >= cfg.steps:
        return (f"this run had reached step {run.step:,} (--steps {cfg.steps:,}); only its final "
                f"evaluation is played again (a larger --steps trains on)")
    to_go = cfg.steps - run.step
    if to_go <= cfg.learning_starts:                  # no_learning_warning says the rest
        return (f"resuming at step {run.step:,}: the replay memory is not saved, and the "
                f"{to_go:,} steps to go only refill it")
    return (f"resuming at step {run.step:,}: the replay memory is not saved, so the first "
            f"{cfg.learning_starts:,} steps refill it before learning goes on (they count toward "
            f"--steps)")


class EvaluationInterrupted(Exception):
    """Ctrl-C during the final evaluation, after every training step: checkpoint.npz is
    saved, and only the final evaluation (summary.json) is missing."""


class Diverged(Exception):
    """Training produced a non-finite loss or weight.  The run stops at once and saves
    nothing more, so checkpoint.npz and best.npz keep the last finite networks."""


def finite_loss(loss: float, run: RunState, step: int) -> float:
    """loss, if it is finite; else raise Diverged.  Checked after every update: one test on
    a scalar, nothing beside the update's own milliseconds.  run.last_loss is still the
    previous update's (finite) loss here."""
    if not math.isfinite(loss):
        raise Diverged(f"training diverged at step {step:,}: the loss became {loss} "
                       f"(last finite loss: {last_loss_text(run)})")
    return loss


def check_weights(agent: DQNAgent, run: RunState) -> None:
    """Raise Diverged if any number in θ, θ⁻ or the optimizer's state is not finite.  An
    update can leave NaN in θ while the loss it returned was still finite, so this runs
    before every evaluation and every save (a pass over the arrays, rare enough to be free)."""
    for name, array in agent.state_arrays().items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise Diverged(f"training diverged by step {run.step:,}: {name} is not finite "
                           f"(last finite loss: {last_loss_text(run)})")


def last_loss_text(run: RunState) -> str:
    return "none yet" if run.last_loss is None else f"{run.last_loss:.4g}"


class StopOnSignal:
    """Inside `with StopOnSignal() as stop:`, Ctrl-C / SIGTERM only set `stop.requested`,
    which the loop checks between steps, so a checkpoint is never taken in the middle of an
    update.  A second Ctrl-C raises KeyboardInterrupt at once.  Leaving the block restores
    the previous handlers."""

    def __init__(self):
        self.requested = False

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> "StopOnSignal":
        self.old = {s: signal.signal(s, self._handler) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self.old.items():
            signal.signal(s, handler)


def train(cfg: DQNConfig, task: Task, out_dir: str, resume: bool = False, quiet: bool = False) -> Result:
    """Run Algorithm 1 for cfg.steps steps (or, with resume, the rest of them) and write the
    run folder out_dir.  Ctrl-C stops after the current step with a checkpoint.

        act:    a_t = random with probability ε(t), else argmax_a Q(s_t, a; θ)
        store:  D ← D ∪ {(s_t, a_t, r_t, s_{t+1}, terminated_t)}
        learn:  θ ← θ − α ∇_θ mean_j ℓ(Q(s_j, a_j; θ) − y_j),  (s_j, a_j, R_j, s′_j) ~ D,
                y_j = R_j + γ^m (1 − terminated_j) max_a′ Q(s′_j, a′; θ⁻)
        sync:   θ⁻ ← θ every C steps
    """
    rng = np.random.default_rng(cfg.seed)
    net = task.build_net(rng)                                              # θ
    use_threads(cfg.cores() if task.half_batches else 1)
    agent = DQNAgent(net, make_optimizer(cfg, net.parameters()), cfg.loss, cfg.double,
                     cfg.max_grad_norm, task.input_scale, cfg.target_network,
                     task.half_batches)                                    # θ, θ⁻ = θ, optimizer
    memory = task.make_memory()                                            # D
    if cfg.prioritized:
        memory = PrioritizedReplay(memory, cfg.priority_alpha)
    act_rng = np.random.default_rng([cfg.seed, 1])
    folder = RunFolder(out_dir, cfg, task, quiet)
    run = RunState(**folder.load_checkpoint(agent, act_rng, memory.rng)) if resume else RunState()
    best_net = agent.online.copy()
    if run.best_eval is not None:               # resumed: the best so far is in best.npz, not θ
        folder.load_best(best_net)
    folder.start(run.step, resume)              # after every file a resume reads was read whole
    if resume:
        folder.message(resumed_note(run, cfg))
        if warning := no_learning_warning(cfg.steps - run.step, cfg.learning_starts):
            folder.warn(warning)

    # a resumed run starts a fresh episode (environment state is not saved) and, since D is
    # not saved either, collects learning_starts steps again before it learns
    env = task.make_env(cfg.seed + run.step)
    eval_env = task.make_eval_env(cfg.seed + EVAL_SEED)
    held_out = collect_states(task.make_env, agent.n_actions, cfg.seed + HELD_OUT_SEED)  # own env, own rng
    obs, _ = env.reset(seed=cfg.seed + run.step)
    folder.message(summary(net, obs.shape))                 # the network, layer by layer
    first, ep_return = True, 0.0
    learning_starts = run.step + cfg.learning_starts
    started = time.monotonic() - run.wall_seconds
    with StopOnSignal() as stop:
        for step in range(run.step, cfg.steps):
            if stop.requested or solved_for_good(run, cfg):     # (a resumed run may be solved)
                break
            # act: ε-greedy on Q(s, ·; θ) (a noisy network: ε falls to 0, its noise explores)
            epsilon = linear_epsilon(step, cfg.eps_start, 0.0 if agent.noisy else cfg.eps_end,
                                     cfg.eps_decay_steps)
            action = agent.act(obs, epsilon, act_rng)
            next_obs, reward, terminated, truncated, info = env.step(action)
            # store (s, a, r, s', terminated) in D; a time-limit truncation is not terminal
            memory.add(obs, action, reward, next_obs, terminated, truncated, first)
            obs, first = next_obs, False
            ep_return += info.get("score", reward)        # the true score, even where r is clipped
            if terminated or truncated:
                if info.get("game_over", True):            # Atari: a lost life is not a new game
                    run.end_episode(step + 1, ep_return)
                    ep_return = 0.0
                obs, _ = env.reset()
                first = True
            # learn: sample minibatches from D, one gradient step on L(θ) each
            if step >= learning_starts and step % cfg.train_every == 0:
                for _ in range(cfg.gradient_steps):
                    run.last_loss = finite_loss(learn_from(memory, agent, cfg, step, act_rng), run, step)
            # sync: θ⁻ <- θ every C steps
            if step >= learning_starts and step % cfg.target_update_every == 0:
                agent.sync_target(cfg.tau)
            run.step = step + 1
            # evaluate the ε_eval-greedy policy; keep the best network
            evaluated = None
            if run.step % cfg.eval_every == 0:
                evaluated = evaluate_and_keep_best(agent, best_net, eval_env, run, cfg, task, folder,
                                                   time.monotonic() - started)
            # log
            if run.step % cfg.log_every == 0 or evaluated is not None:
                with noise_off(agent.online):             # a noisy net: its mean weights
                    run.record_avg_max_q(average_max_q(agent.q_values, held_out))
                folder.log(run, epsilon, evaluated)
            folder.show(run, epsilon)
            if run.step % cfg.checkpoint_every == 0:
                save_checkpoint(agent, run, act_rng, memory, folder, time.monotonic() - started)
    save_checkpoint(agent, run, act_rng, memory, folder, time.monotonic() - started)
    if interrupted(run, cfg):
        folder.message(f"interrupted at step {run.step:,}; checkpoint saved. Continue with: --resume {out_dir}")
        return result_of(run, cfg, task, agent, final_returns=[])
    return finish(run, cfg, task, agent, best_net, eval_env, folder, started)


def evaluate_and_keep_best(agent: DQNAgent, best_net: Sequential, eval_env, run: RunState,
                           cfg: DQNConfig, task: Task, folder: RunFolder, wall_seconds: float) -> list[float]:
    """Play cfg.eval_episodes ε_eval-greedy episodes (the same ones every time), and if their mean
    reaches the task's goal, cfg.confirm_episodes more; if the mean over all of them is the
    best so far, copy θ into best_net and save it as best.npz.  Returns the episodes' returns.

    Why confirm: on Pong a network that wins 5 games by +20 can average under +17 over the
    final evaluation's 10 (results/pong/experiments/unconfirmed-seed-1: +20.4 at 150k steps,
    then +16.9).  Confirming narrows that luck; it does not remove it (the same network
    scored +19.9 on its 10), which is what stop_margin and best_over in record_eval are for.

    With cfg.eval_give_up (and a task that knows its highest score), either part stops as
    soon as the goal is out of reach (out_of_reach): a network far from the goal plays one
    or two games instead of five, and one that reaches it plays every game."""
    check_weights(agent, run)                  # never play or keep a NaN network
    goal = task.reward_threshold
    can_give_up = cfg.eval_give_up and goal is not None and task.max_return is not None

    def give_up(total: int, played_before: list[float]):
        """None, or: is the goal out of reach over `total` episodes, these played first?"""
        if not can_give_up:
            return None
        return lambda returns: out_of_reach(played_before + returns, total, goal, task.max_return)

    n, m = cfg.eval_episodes, cfg.confirm_episodes
    returns = evaluate(agent, eval_env, n, cfg.eval_epsilon, cfg.seed + EVAL_SEED, give_up(n, []))
    if m and len(returns) == n and reaches_goal(float(np.mean(returns)), goal):
        returns += evaluate(agent, eval_env, m, cfg.eval_epsilon, cfg.seed + CONFIRM_SEED,
                            give_up(n + m, list(returns)))
    if run.record_eval(float(np.mean(returns)), goal, wall_seconds,
                       stop_margin=cfg.stop_margin, best_over=cfg.best_over):
        best_net.load_weights_from(agent.online)
        folder.save_best(best_net)
    folder.plot(run)
    return returns


def save_checkpoint(agent: DQNAgent, run: RunState, act_rng: np.random.Generator, memory,
                    folder: RunFolder, wall_seconds: float) -> None:
    """checkpoint.npz: θ, θ⁻, the optimizer, the counters and both random generators, once
    every number in them is checked finite (a diverged run keeps its last good checkpoint)."""
    run.wall_seconds = wall_seconds
    check_weights(agent, run)
    folder.save_checkpoint(agent, run, act_rng, memory.rng)


def solved_for_good(run: RunState, cfg: DQNConfig) -> bool:
    """Early stop: the last cfg.stop_after_solved evaluations all reached the task's goal
    (0 = never stop early), so the wall time is the time to solve, not a fixed budget."""
    return cfg.stop_after_solved > 0 and run.solved_streak >= cfg.stop_after_solved


def interrupted(run: RunState, cfg: DQNConfig) -> bool:
    """Stopped by a signal before cfg.steps, and not because the goal was reached."""
    return run.step < cfg.steps and not solved_for_good(run, cfg)


def finish(run: RunState, cfg: DQNConfig, task: Task, agent: DQNAgent, best_net: Sequential,
           eval_env, folder: RunFolder, started: float) -> Result:
    """The final evaluation: the best network plays cfg.final_eval_episodes more episodes.
    Without a periodic evaluation there is no best network (and no best.npz): the network
    training left behind plays instead."""
    if run.best_eval is None:
        played = "the last network: no evaluation ran during training, so there is no best.npz"
        best_net.load_weights_from(agent.online)
    else:
        played = f"the best network, best.npz, from step {run.best_step:,}"
    best = DQNAgent(best_net, input_scale=task.input_scale)             # acting only
    try:
        final = evaluate(best, eval_env, cfg.final_eval_episodes, cfg.eval_epsilon,
                         cfg.seed + FINAL_EVAL_SEED)
        sticky = []
        if cfg.sticky_eval_episodes and task.make_sticky_eval_env is not None:
            # the same network where the previous action sometimes repeats: does it react or
            # only replay a timing it learned in a deterministic emulator?
            sticky = evaluate(best, task.make_sticky_eval_env(cfg.seed + FINAL_EVAL_SEED),
                              cfg.sticky_eval_episodes, cfg.eval_epsilon, cfg.seed + FINAL_EVAL_SEED)
    except KeyboardInterrupt:
        raise EvaluationInterrupted(f"interrupted during the final evaluation; training itself is "
                                    f"complete ({run.step:,} steps, checkpoint.npz saved)") from None
    folder.plot(run)
    run.wall_seconds = time.monotonic() - started
    result = result_of(run, cfg, task, agent, final, sticky)
    folder.save_summary(result)
    sticky_text = f", {np.mean(sticky):.1f} with sticky actions ({count(len(sticky), 'episode')})" if sticky else ""
    folder.message(f"done: final eval mean return {result.final_eval_mean_return:.1f} over "
                   f"{count(len(final), 'episode')}{sticky_text} ({played}); {format_duration(result.wall_seconds)}")
    folder.message(f"wrote {folder.dir}/: {', '.join(run_files(folder.dir))}")
    return result


def result_of(run: RunState, cfg: DQNConfig, task: Task, agent: DQNAgent, final_returns: list,
              sticky_returns: list = ()) -> Result:
    return Result(
        env=task.env_id, seed=cfg.seed, steps=run.step, episodes=run.episode,
        wall_seconds=round(run.wall_seconds, 2),
        final_eval_mean_return=float(np.mean(final_returns)) if final_returns else None,
        final_eval_episodes=len(final_returns), final_eval_returns=[float(x) for x in final_returns],
        sticky_eval_mean_return=float(np.mean(sticky_returns)) if len(sticky_returns) else None,
        sticky_eval_returns=[float(x) for x in sticky_returns],
        best_eval_mean_return=run.best_eval, best_eval_step=run.best_step,
        solved_at_step=run.solved_at_step, solved_at_seconds=run.solved_at_seconds,
        last_eval_mean_return=run.eval_returns[-1] if run.eval_steps and run.eval_steps[-1] == run.step else None,
        reward_threshold=task.reward_threshold, gradient_updates=agent.updates,
        interrupted=interrupted(run, cfg))
