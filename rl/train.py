"""The DQN training loop, read top to bottom (Mnih et al. 2015, Algorithm 1).

    for each step:
        act ε-greedily, store (s, a, r, s', terminated) in D,
        every `train_every` steps: sample minibatches from D and learn,
        every C steps: θ⁻ <- θ,
        every `eval_every` steps: play greedy episodes, keep the best network,
        every `log_every` steps and after each evaluation: a progress.csv row and a status line.

The same loop trains CartPole and Atari; a `Task` supplies what differs
(the environments, the network, the replay memory).
"""
import dataclasses
import json
import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nnpy import OPTIMIZERS, Sequential

from .checkpoints import load_checkpoint, save_checkpoint, save_policy
from .dqn import DQNAgent
from .dqn_config import DQNConfig
from .plot import plot_curve
from .progress import ProgressCSV, ProgressLine
from .schedule import linear_epsilon

RECENT = 20          # the "recent return" is the mean over this many finished episodes


@dataclass
class Task:
    """What a run trains on, apart from its hyperparameters."""
    env_id: str
    make_env: Callable[[int], Any]          # seed -> training environment
    make_eval_env: Callable[[int], Any]     # seed -> evaluation environment (whole games, true score)
    build_net: Callable[[np.random.Generator], Sequential]
    make_memory: Callable[[], Any]          # -> replay memory with add() / sample() / __len__
    input_scale: float = 1.0                # obs * input_scale = network input
    reward_threshold: float | None = None   # "solved" when an evaluation reaches this
    policy_meta: dict = dataclasses.field(default_factory=dict)   # stored in best.npz for --eval


def make_optimizer(cfg: DQNConfig, params: dict):
    if cfg.optimizer == "adam":
        return OPTIMIZERS["adam"](params, lr=cfg.lr, eps=cfg.adam_eps)
    return OPTIMIZERS[cfg.optimizer](params, lr=cfg.lr)


def play_episode(agent: DQNAgent, env, epsilon: float, rng: np.random.Generator,
                 on_frame: Callable | None = None) -> float:
    """One whole episode; returns the true score (info["score"] when the env clips rewards)."""
    obs, _ = env.reset()
    total, done = 0.0, False
    while not done:
        if on_frame is not None:
            on_frame(env)
        obs, r, terminated, truncated, info = env.step(agent.act(obs, epsilon, rng))
        total += info.get("score", r)
        done = terminated or truncated
    return total


def evaluate(agent: DQNAgent, env, episodes: int, epsilon: float, seed: int) -> list[float]:
    """Returns of `episodes` episodes on a separate env, seeded the same way every time."""
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    return [play_episode(agent, env, epsilon, rng) for _ in range(episodes)]


class _StopFlag:
    """Ctrl-C / SIGTERM set a flag the loop checks between steps, so a checkpoint is
    never taken in the middle of an update.  A second Ctrl-C stops at once."""

    def __init__(self):
        self.raised = False

    def __call__(self, signum, frame):
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True


def write_json(path: str, obj: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def train(cfg: DQNConfig, task: Task, out_dir: str, resume: bool = False, quiet: bool = False) -> dict:
    """Train, writing config.json, progress.csv, curve.png, checkpoint.npz, best.npz and
    summary.json into out_dir. Returns the summary dict."""
    paths = {k: os.path.join(out_dir, f) for k, f in (
        ("config", "config.json"), ("csv", "progress.csv"), ("curve", "curve.png"),
        ("ckpt", "checkpoint.npz"), ("best", "best.npz"), ("summary", "summary.json"))}
    rng = np.random.default_rng(cfg.seed)
    agent = DQNAgent(task.build_net(rng), None, cfg.loss, cfg.double, cfg.max_grad_norm, task.input_scale)
    agent.opt = make_optimizer(cfg, agent.online.parameters())
    memory = task.make_memory()
    act_rng = np.random.default_rng([cfg.seed, 1])

    # run state: everything a resumed run needs besides the networks and optimizer
    run = {"step": 0, "episode": 0, "episode_steps": [], "episode_returns": [], "eval_steps": [],
           "eval_returns": [], "best_eval": None, "best_step": None, "solved_at_step": None,
           "wall_seconds": 0.0, "last_loss": None}
    if resume:
        meta = load_checkpoint(paths["ckpt"], agent, task.env_id)
        run = meta["run"]
        act_rng.bit_generator.state = meta["act_rng"]
        memory.rng.bit_generator.state = meta["memory_rng"]
    best_net = agent.online.copy()
    write_json(paths["config"], {"env_id": task.env_id, **dataclasses.asdict(cfg)})
    log_csv = ProgressCSV(paths["csv"], resume_step=run["step"] if resume else None)
    progress = ProgressLine(cfg.steps)
    extra = {"config": dataclasses.asdict(cfg), **task.policy_meta}

    def checkpoint():
        save_checkpoint(paths["ckpt"], agent, task.env_id, run,
                        {**extra, "act_rng": act_rng.bit_generator.state,
                         "memory_rng": memory.rng.bit_generator.state})

    # a resumed run starts a fresh episode (environment state is not saved) and refills D
    env = task.make_env(cfg.seed + run["step"])
    eval_env = task.make_eval_env(cfg.seed + 10_000)
    obs, _ = env.reset(seed=cfg.seed + run["step"])
    first, ep_return = True, 0.0
    # mean of the last RECENT episode returns, updated only when an episode ends (not every step)
    recent_mean = float(np.mean(run["episode_returns"][-RECENT:])) if run["episode_returns"] else None
    refill_until = run["step"] + (cfg.learning_starts if resume else 0)

    stop = _StopFlag()
    old_handlers = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    t0, wall0 = time.monotonic(), run["wall_seconds"]
    tick_time, tick_step, steps_per_s = t0, run["step"], 0.0
    learning_starts = max(cfg.learning_starts, refill_until)
    try:
        for step in range(run["step"], cfg.steps):
            if stop.raised:
                break
            # -- act ------------------------------------------------------------------
            epsilon = linear_epsilon(step, cfg.eps_start, cfg.eps_end, cfg.eps_decay_steps)
            action = agent.act(obs, epsilon, act_rng)
            next_obs, reward, terminated, truncated, info = env.step(action)
            # -- store ----------------------------------------------------------------
            memory.add(obs, action, reward, next_obs, terminated, truncated, first)
            obs, first = next_obs, False
            ep_return += info.get("score", reward)
            if terminated or truncated:
                if info.get("game_over", True):         # Atari: a lost life is not a new game
                    run["episode"] += 1
                    run["episode_steps"].append(step + 1)
                    run["episode_returns"].append(ep_return)
                    recent_mean = float(np.mean(run["episode_returns"][-RECENT:]))
                    ep_return = 0.0
                obs, _ = env.reset()
                first = True
            # -- learn ----------------------------------------------------------------
            if step >= learning_starts and step % cfg.train_every == 0:
                for _ in range(cfg.gradient_steps):
                    run["last_loss"] = agent.learn(memory.sample(cfg.batch_size))
            # -- sync the target network ----------------------------------------------
            if step >= learning_starts and step % cfg.target_update_every == 0:
                agent.sync_target(cfg.tau)
            done_steps = step + 1
            run["step"] = done_steps
            # -- evaluate -------------------------------------------------------------
            evaluated = None
            if done_steps % cfg.eval_every == 0:
                returns = evaluate(agent, eval_env, cfg.eval_episodes, cfg.eval_epsilon, cfg.seed + 10_000)
                evaluated = float(np.mean(returns))
                run["eval_steps"].append(done_steps)
                run["eval_returns"].append(evaluated)
                if run["best_eval"] is None or evaluated > run["best_eval"]:
                    run["best_eval"], run["best_step"] = evaluated, done_steps
                    best_net.load_weights_from(agent.online)
                    save_policy(paths["best"], best_net, task.env_id, extra)
                if (run["solved_at_step"] is None and task.reward_threshold is not None
                        and evaluated >= task.reward_threshold):
                    run["solved_at_step"] = done_steps
                plot_curve(paths["curve"], task.env_id, run["episode_steps"], run["episode_returns"],
                           run["eval_steps"], run["eval_returns"], cfg.steps, task.reward_threshold)
            # -- log ------------------------------------------------------------------
            if done_steps % cfg.log_every == 0 or evaluated is not None:
                now = time.monotonic()
                steps_per_s = (done_steps - tick_step) / max(now - tick_time, 1e-9)
                tick_time, tick_step = now, done_steps
                fields = (done_steps, run["episode"], recent_mean, epsilon, steps_per_s)
                log_csv.write({"step": done_steps, "episode": run["episode"],
                               "recent_mean_return": "" if recent_mean is None else f"{recent_mean:.3f}",
                               "epsilon": f"{epsilon:.4f}",
                               "loss": "" if run["last_loss"] is None else f"{run['last_loss']:.6f}",
                               "steps_per_s": f"{steps_per_s:.0f}",
                               "eval_mean_return": "" if evaluated is None else f"{evaluated:.3f}"})
                if not quiet and (evaluated is not None or not progress.live):
                    progress.log(*fields, extra="" if evaluated is None else f"  eval {evaluated:.1f}")
            if not quiet:
                progress.update(done_steps, run["episode"], recent_mean, epsilon, steps_per_s)
            if done_steps % cfg.checkpoint_every == 0:
                run["wall_seconds"] = wall0 + time.monotonic() - t0
                checkpoint()
    finally:
        for s, h in old_handlers.items():
            signal.signal(s, h)
    run["wall_seconds"] = wall0 + time.monotonic() - t0
    checkpoint()
    interrupted = run["step"] < cfg.steps
    if interrupted:
        if not quiet:
            progress.message(f"interrupted at step {run['step']:,}; checkpoint saved. "
                             f"Continue with: --resume {out_dir}")
        return {"interrupted": True, "step": run["step"]}

    # -- final evaluation of the best network ------------------------------------------
    if run["best_eval"] is None:            # no periodic evaluation happened: the last net is the best
        best_net.load_weights_from(agent.online)
        save_policy(paths["best"], best_net, task.env_id, extra)
    agent_best = DQNAgent(best_net, None, input_scale=task.input_scale)    # acting only
    final = evaluate(agent_best, eval_env, cfg.final_eval_episodes, cfg.eval_epsilon, cfg.seed + 20_000)
    plot_curve(paths["curve"], task.env_id, run["episode_steps"], run["episode_returns"],
               run["eval_steps"], run["eval_returns"], cfg.steps, task.reward_threshold)
    summary = {
        "env": task.env_id, "seed": cfg.seed, "steps": run["step"], "episodes": run["episode"],
        "wall_seconds": round(time.monotonic() - t0 + wall0, 2),
        "final_eval_mean_return": float(np.mean(final)), "final_eval_episodes": len(final),
        "final_eval_returns": [float(x) for x in final],
        "best_eval_mean_return": run["best_eval"], "best_eval_step": run["best_step"],
        "solved_at_step": run["solved_at_step"], "reward_threshold": task.reward_threshold,
        "gradient_updates": agent.updates,
    }
    write_json(paths["summary"], summary)
    if not quiet:
        progress.message(f"done: final eval mean return {summary['final_eval_mean_return']:.1f} over "
                         f"{len(final)} episodes (best network, from step {run['best_step']}); "
                         f"{summary['wall_seconds']:.0f} s; files in {out_dir}")
    return summary
