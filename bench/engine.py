"""Time the shipped DQN training step (`DQNAgent.learn`) against the same step in PyTorch.

One training step on a minibatch of N uint8 screens (Mnih et al. 2015, Algorithm 1):

    max_a' Q(s', a'; θ⁻)   target forward on s'  (uint8 scaled by 1/255 on the way in)
    Q(s, ·; θ)             online forward on s
    y = r + γ (1 - terminated) max_a' Q(s', a'; θ⁻)
    L = Huber(Q(s, a; θ) - y);  backward;  clip the gradient norm;  one Adam step

and the batch-1 forward that picks an action while acting.  The numpy side is
the project's own code path, as `run.py atari` trains: `atari.networks.build_net`
through `rl.dqn.DQNAgent.learn` on two half batches (nnpy/parallel.py) and `act`.
The PyTorch side is the same step written the way a PyTorch user would (NCHW,
`nn.Sequential`, `smooth_l1_loss`, `clip_grad_norm_`, `torch.optim.Adam`),
started from the same weights and fed the same batch; after one step both must
give the same Q-values.

--threads N applies to both libraries: nnpy.parallel.use_threads(N) and
torch.set_num_threads(N).  Figures are medians over --reps repetitions after
--warmup, numpy and torch alternating in blocks.

A benchmark is only worth reporting on an otherwise idle machine: the bench
prints the load average and every process using CPU before it starts, and
refuses to report if any other process is busy, before or during the run.
--force reports anyway and labels every figure as taken on a busy machine.

    python bench/engine.py --threads 1
    python bench/engine.py --threads 2

PyTorch is not a dependency of numpy-dqn; without it the bench times numpy alone.
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

from atari.networks import ARCHS, POOL, build_net
from nnpy import Adam, conv_output_size
from nnpy import parallel
from rl.dqn import DQNAgent
from rl.replay import Batch

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

# the shipped networks that the PyTorch mirror can rebuild (convolutions and dense layers);
# dqn2013_pool is an experiment of the guide, not a network anyone trains for speed
TIMED_ARCHS = [name for name, (convs, _) in ARCHS.items() if POOL not in convs]

N_ACTIONS = 6                   # Pong's minimal action set
GAMMA = 0.99
LR, ADAM_EPS, MAX_GRAD_NORM = 1e-4, 1.5e-4, 10.0    # the Atari defaults of run.py
SCREEN = (84, 84, 4)

# -- is the machine idle? ----------------------------------------------------------
BUSY_SHARE = 0.10               # another process using more than 10% of a core is "busy"


def cpu_seconds_by_process() -> dict:
    """pid -> (name, user + system CPU seconds so far), for every process but this one."""
    tick, me, out = os.sysconf("SC_CLK_TCK"), os.getpid(), {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue                                    # the process ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()    # fields[11], [12] = utime, stime
        if int(pid) != me:
            out[int(pid)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def busy_since(before: dict, seconds: float) -> list[tuple]:
    """(pid, name, share of one core) of the other processes busy since `before`, busiest first."""
    now = cpu_seconds_by_process()
    shares = [(pid, name, (cpu - before[pid][1]) / seconds) for pid, (name, cpu) in now.items()
              if pid in before]
    return sorted((s for s in shares if s[2] > 0.01), key=lambda s: -s[2])


def report_load(busy: list[tuple], when: str) -> bool:
    """Print what else used the CPU; True if the machine counts as idle."""
    with open("/proc/loadavg") as f:
        print(f"{when}: load average {' '.join(f.read().split()[:3])} (1, 5, 15 min)")
    for pid, name, share in busy:
        print(f"  pid {pid} ({name}) used {100 * share:.0f}% of a core")
    return all(share <= BUSY_SHARE for _, _, share in busy)


def timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


# -- the two sides ------------------------------------------------------------------
def make_batch(n: int, rng: np.random.Generator) -> Batch:
    screens = [rng.integers(0, 256, (n, *SCREEN), dtype=np.uint8) for _ in range(2)]
    return Batch(s=screens[0], a=rng.integers(0, N_ACTIONS, n), r=rng.standard_normal(n).astype(np.float32),
                 s2=screens[1], terminated=(rng.random(n) < 0.1).astype(np.float32),
                 discount=np.full(n, GAMMA, dtype=np.float32))


def make_agent(arch: str) -> DQNAgent:
    """The agent run.py atari trains: the learning step on two half batches (nnpy/parallel.py)."""
    net = build_net(arch, N_ACTIONS, np.random.default_rng(0))
    return DQNAgent(net, Adam(net.parameters(), lr=LR, eps=ADAM_EPS), loss="huber", double=False,
                    max_grad_norm=MAX_GRAD_NORM, input_scale=1 / 255, half_batches=True)


def torch_copy(net):
    """An nn.Sequential equal to `net`: conv weights (KH, KW, C, F) -> (F, C, KH, KW), and the first
    Dense re-ordered from NHWC-flatten (H, W, C) to NCHW-flatten (C, H, W) inputs."""
    modules, shape = [], SCREEN
    for layer in net.layers:
        cfg = layer.config()
        if cfg["type"] == "Conv2D":
            m = torch.nn.Conv2d(cfg["in_channels"], cfg["out_channels"], cfg["kernel_size"], cfg["stride"])
            m.weight.data = torch.from_numpy(layer.params["w"].transpose(3, 2, 0, 1).copy())
            h, w = (conv_output_size(d, cfg["kernel_size"], cfg["stride"]) for d in shape[:2])
            shape = (h, w, cfg["out_channels"])
        elif cfg["type"] == "Dense":
            d, m_out = cfg["in_features"], cfg["out_features"]
            m = torch.nn.Linear(d, m_out)
            w = layer.params["w"]                                                   # (D, M)
            if len(shape) == 3:
                w = w.reshape(*shape, m_out).transpose(2, 0, 1, 3).reshape(d, m_out)  # (C*H*W, M)
            m.weight.data = torch.from_numpy(w.T.copy())                            # (M, D)
            shape = (m_out,)
        else:
            m = {"ReLU": torch.nn.ReLU, "Flatten": torch.nn.Flatten}[cfg["type"]]()
        if cfg["type"] in ("Conv2D", "Dense"):
            m.bias.data = torch.from_numpy(layer.params["b"].copy())
        modules.append(m)
    return torch.nn.Sequential(*modules)


def torch_batch(batch: Batch) -> tuple:
    """The same batch as tensors, screens NCHW as PyTorch's convolutions expect."""
    def nchw(x):
        return torch.from_numpy(x.transpose(0, 3, 1, 2).copy())          # (N, C, H, W)
    return (nchw(batch.s), torch.from_numpy(batch.a), torch.from_numpy(batch.r), nchw(batch.s2),
            torch.from_numpy(batch.terminated), torch.from_numpy(batch.discount))


def torch_learn(net, target, opt, batch: tuple) -> float:
    """DQNAgent.learn in PyTorch: target forward on s', online forward on s, Huber, clip, Adam."""
    s, a, r, s2, terminated, discount = batch
    with torch.no_grad():
        q_next = target(s2.float().div_(255))
    q_all = net(s.float().div_(255))
    y = r + discount * (1 - terminated) * q_next.max(dim=1).values
    q = q_all.gather(1, a[:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q, y)                                       # Huber, δ = 1
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), MAX_GRAD_NORM)
    opt.step()
    return loss.item()


def torch_act(net, obs) -> int:
    with torch.no_grad():
        return int(net(obs[None].float().div_(255)).argmax())


# -- timing ------------------------------------------------------------------------
# Both libraries keep their worker threads busy-waiting for a while after each call, and
# a call made right after the other library's races those threads (alternating call by
# call made numpy's batch-1 forward 8x slower).  So the libraries alternate in blocks of
# BLOCK repetitions, with a pause before each block for the other library's threads to
# fall asleep, then untimed calls for REWARM_S to wake this library's own, as they are
# awake in a running training loop (docs/PERFORMANCE.md has the measurements).
BLOCK = 5
PAUSE_S = 0.3
REWARM_S = 0.15


def measure(runs: dict, reps: int, warmup: int) -> dict:
    """runs: label -> zero-argument function.  label -> the wall seconds of each timed call."""
    seconds = {label: [] for label in runs}
    labels = list(runs)
    for f in runs.values():
        for _ in range(warmup):
            f()
    for block in range(-(-reps // BLOCK)):
        for label in (labels if block % 2 == 0 else labels[::-1]):
            if len(labels) > 1:
                time.sleep(PAUSE_S)
                awake = time.perf_counter() + REWARM_S
                runs[label]()
                while time.perf_counter() < awake:
                    runs[label]()
            for _ in range(min(BLOCK, reps - block * BLOCK)):
                t0 = time.perf_counter()
                runs[label]()
                seconds[label].append(time.perf_counter() - t0)
    return seconds


def median_ms(runs: dict, reps: int, warmup: int) -> dict:
    """runs: label -> zero-argument function.  Median wall time per call, in ms."""
    return {label: 1e3 * statistics.median(s) for label, s in measure(runs, reps, warmup).items()}


def bench_net(arch: str, n: int, reps: int, warmup: int) -> list[tuple]:
    """Rows (arch, what, {library: ms}) for the training step and for acting."""
    agent, batch = make_agent(arch), make_batch(n, np.random.default_rng(1))
    obs, act_rng = batch.s[0], np.random.default_rng(2)
    train = {"numpy": lambda: agent.learn(batch)}
    act = {"numpy": lambda: agent.act(obs, 0.0, act_rng)}
    if torch is not None:
        t_net, t_target = torch_copy(agent.online), torch_copy(agent.target)
        t_opt = torch.optim.Adam(t_net.parameters(), lr=LR, eps=ADAM_EPS)
        t_batch = torch_batch(batch)
        t_obs = t_batch[0][0]
        # one identical step in both; then the Q-values must still agree
        loss_np, loss_torch = agent.learn(batch), torch_learn(t_net, t_target, t_opt, t_batch)
        with torch.no_grad():
            q_torch = t_net(t_batch[0].float().div_(255)).numpy()
        diff = np.max(np.abs(agent.q_values(batch.s) - q_torch))
        print(f"{arch}: one step in both: loss {loss_np:.6f} vs {loss_torch:.6f}, "
              f"then max |Q_numpy - Q_torch| = {diff:.1e}")
        train["torch"] = lambda: torch_learn(t_net, t_target, t_opt, t_batch)
        act["torch"] = lambda: torch_act(t_net, t_obs)
    return [(arch, f"train step, batch {n}", median_ms(train, reps, warmup)),
            (arch, "act, batch 1", median_ms(act, reps, warmup))]


def print_table(rows: list[tuple], label: str) -> None:
    print(f"\n| {'net':<8}| {'what':<20}| numpy ms | torch ms | numpy/torch |")
    print(f"|{'-' * 9}|{'-' * 21}|---------:|---------:|------------:|")
    for arch, what, ms in rows:
        t = ms.get("torch")
        torch_cells = f"{t:8.2f} | {ms['numpy'] / t:11.2f}" if t is not None else f"{'—':>8} | {'—':>11}"
        print(f"| {arch:<8}| {what:<20}| {ms['numpy']:8.2f} | {torch_cells} |{label}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="threads for nnpy and for PyTorch")
    parser.add_argument("--nets", default="dqn2013,dqn2015",
                        help="comma-separated names of atari/networks.py's ARCHS (not dqn2013_pool)")
    parser.add_argument("--batch", type=int, default=32, help="minibatch size of the training step")
    parser.add_argument("--reps", type=int, default=30, help="timed repetitions per figure")
    parser.add_argument("--warmup", type=int, default=5, help="untimed repetitions first")
    parser.add_argument("--force", action="store_true",
                        help="report even if other processes are busy (figures are labelled as such)")
    return parser.parse_args(argv)


def main():
    args = parse_args()
    names = args.nets.split(",")
    unknown = [n for n in names if n not in TIMED_ARCHS]
    if unknown:
        sys.exit(f"unknown net(s) {', '.join(unknown)}; choose from {', '.join(TIMED_ARCHS)}")
    parallel.use_threads(args.threads)
    if torch is None:
        print("torch is not importable: timing numpy alone (pip install torch==2.13.0 to compare)")
    else:
        torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__} (nnpy on {parallel.threads()} thread(s), OpenBLAS on "
          f"{parallel.blas_threads()})"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch is not None else "")
          + f", python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")

    before, t0 = cpu_seconds_by_process(), time.perf_counter()
    time.sleep(1.0)
    idle = report_load(busy_since(before, time.perf_counter() - t0), "before")
    if not idle and not args.force:
        sys.exit(f"refusing to benchmark: another process uses more than {BUSY_SHARE:.0%} of a core "
                 "(--force reports anyway, labelled)")
    before, t0 = cpu_seconds_by_process(), time.perf_counter()
    print(f"medians of {args.reps} reps after {args.warmup} warm-up"
          + (", numpy and torch alternating in blocks" if torch is not None else ""))
    rows = [row for name in names for row in bench_net(name, args.batch, args.reps, args.warmup)]
    idle = report_load(busy_since(before, time.perf_counter() - t0), "during the run") and idle
    if not idle and not args.force:
        sys.exit("refusing to report: another process was busy during the run (--force reports anyway, labelled)")
    label = "" if idle else " BUSY MACHINE (--force)"
    print_table(rows, label)
    if label:
        print("These figures were taken while other processes were busy: do not publish them.")


if __name__ == "__main__":
    main()
