"""Time the shipped DQN training step (`DQNAgent.learn`) against the same step in PyTorch.

One training step on a minibatch of N uint8 screens (Mnih et al. 2015, Algorithm 1):

    max_a' Q(s', a'; θ⁻)   target forward on s'  (uint8 scaled by 1/255 on the way in)
    Q(s, ·; θ)             online forward on s
    y = r + γ (1 - terminated) max_a' Q(s', a'; θ⁻)
    L = Huber(Q(s, a; θ) - y);  backward;  clip the gradient norm;  one Adam step

and the batch-1 forward that picks an action while acting.  The numpy side is
the project's own code path: `atari.networks.build_net` through
`rl.dqn.DQNAgent.learn` and `act`.  The PyTorch side is the same step written
the way a PyTorch user would (NCHW, `nn.Sequential`, `smooth_l1_loss`,
`clip_grad_norm_`, `torch.optim.Adam`), started from the same weights and fed
the same batch; after one step both must give the same Q-values.

--threads N applies to both libraries: OpenBLAS reads its thread count once,
when numpy loads it, so the variable is set before numpy is imported;
PyTorch gets torch.set_num_threads(N).  Figures are medians over --reps
repetitions after --warmup, numpy and torch alternating in blocks.  The
achieved GFLOP/s count the multiply-adds a convolution or dense layer needs
by its definition (2 per weight per output position), whatever algorithm
computes it, beside this machine's float32 matrix-multiply peak measured in
the same run.

A benchmark is only worth reporting on an otherwise idle machine: the bench
prints the load average and every process using CPU before it starts, and
refuses to report if any other process is busy, before or during the run.
--force reports anyway and labels every figure as taken on a busy machine.

    python bench/engine.py --threads 1
    python bench/engine.py --threads 2
    python bench/engine.py --threads 2 --phases      (where the step's time goes, phase by phase)
    python bench/engine.py --threads 1 --layers      (where a forward's time goes, layer by layer;
                                                      --batch 1: acting's forward)

PyTorch is not a dependency of numpy-dqn; without it the bench times numpy alone.
"""
import argparse
import os
import sys
import time

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="threads for OpenBLAS and for PyTorch")
    parser.add_argument("--nets", default="dqn2013,dqn2015",
                        help="comma-separated names of atari/networks.py's ARCHS (not dqn2013_pool)")
    parser.add_argument("--batch", type=int, default=32, help="minibatch size of the training step")
    parser.add_argument("--reps", type=int, default=30, help="timed repetitions per figure")
    parser.add_argument("--warmup", type=int, default=5, help="untimed repetitions first")
    parser.add_argument("--lanes", type=int, default=None,
                        help="threads nnpy shares its own copies, adds and optimizer update between "
                             "(None: as many as OpenBLAS has, the library default)")
    parser.add_argument("--phases", action="store_true",
                        help="instead of the table: each phase of the training step (forwards, backward, "
                             "clip, Adam) timed in both libraries")
    parser.add_argument("--layers", action="store_true",
                        help="instead of the table: each layer's forward timed in both libraries, on a batch "
                             "of --batch screens (--batch 1: acting)")
    parser.add_argument("--force", action="store_true",
                        help="report even if other processes are busy (figures are labelled as such)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    # OpenBLAS sizes its thread pool once, when numpy loads it: set it before the imports below.
    _threads = parse_args().threads
    for _var in THREAD_VARS:
        os.environ[_var] = str(_threads)

import platform  # noqa: E402
from contextlib import contextmanager, nullcontext  # noqa: E402
import statistics  # noqa: E402

import numpy as np  # noqa: E402

# OpenBLAS starts its worker threads when numpy loads it: counting this process's threads
# now (before torch starts its own) shows the setting took.
NUMPY_THREADS = len(os.listdir("/proc/self/task"))

from atari.networks import ARCHS, POOL, build_net  # noqa: E402

# the shipped networks that the PyTorch mirror can rebuild (convolutions and dense layers);
# dqn2013_pool is an experiment of the guide, not a network anyone trains for speed
TIMED_ARCHS = [name for name, (convs, _) in ARCHS.items() if POOL not in convs]
import rl.dqn  # noqa: E402
from nnpy import Adam, conv_output_size, lanes  # noqa: E402
from rl.dqn import DQNAgent  # noqa: E402
from rl.replay import Batch  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

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


# -- the machine's float32 matrix-multiply peak ---------------------------------------------
def sgemm_peak(n: int = 2048, reps: int = 5) -> float:
    """Best GFLOP/s of an n x n x n float32 matrix multiply (2 n³ flops) on all of OpenBLAS's
    threads.  While nnpy shares the cores between its lanes OpenBLAS runs on one thread
    (nnpy/lanes.py), so the lanes are switched off while the peak is measured."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    saved, lanes.THREADS = lanes.THREADS, 1
    try:
        lanes.can_share()                       # OpenBLAS gets its own threads back
        a @ b
        best = min(timed(lambda: a @ b) for _ in range(reps))
    finally:
        lanes.THREADS = saved
        lanes.can_share()
    return 2 * n ** 3 / best / 1e9


def timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


# -- what one step has to compute ----------------------------------------------------
def forward_macs(net, n: int) -> list[int]:
    """Multiply-adds of each Conv2D / Dense layer's forward on a batch of n screens."""
    macs, (h, w) = [], SCREEN[:2]
    for layer in net.layers:
        cfg = layer.config()
        if cfg["type"] == "Conv2D":
            k, s = cfg["kernel_size"], cfg["stride"]
            h, w = conv_output_size(h, k, s), conv_output_size(w, k, s)
            macs.append(n * h * w * k * k * cfg["in_channels"] * cfg["out_channels"])
        elif cfg["type"] == "Dense":
            macs.append(n * cfg["in_features"] * cfg["out_features"])
    return macs


def step_flops(net, n: int) -> int:
    """Two forwards (s and s'), then dL/dw for every layer and dL/dx for all but the first."""
    macs = forward_macs(net, n)
    return 2 * (2 * sum(macs) + sum(macs) + sum(macs[1:]))


# -- the two sides ------------------------------------------------------------------
def make_batch(n: int, rng: np.random.Generator) -> Batch:
    screens = [rng.integers(0, 256, (n, *SCREEN), dtype=np.uint8) for _ in range(2)]
    return Batch(s=screens[0], a=rng.integers(0, N_ACTIONS, n), r=rng.standard_normal(n).astype(np.float32),
                 s2=screens[1], terminated=(rng.random(n) < 0.1).astype(np.float32),
                 discount=np.full(n, GAMMA, dtype=np.float32))


def make_agent(arch: str) -> DQNAgent:
    net = build_net(arch, N_ACTIONS, np.random.default_rng(0))
    return DQNAgent(net, Adam(net.parameters(), lr=LR, eps=ADAM_EPS), loss="huber", double=False,
                    max_grad_norm=MAX_GRAD_NORM, input_scale=1 / 255)


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


def torch_learn(net, target, opt, batch: tuple, lap=None) -> float:
    """DQNAgent.learn in PyTorch: target forward on s', online forward on s, Huber, clip, Adam.
    lap(phase), if given, is called as each of PHASES ends (--phases)."""
    lap = lap or (lambda phase: None)
    s, a, r, s2, terminated, discount = batch
    with torch.no_grad():
        q_next = target(s2.float().div_(255))
    q_all = net(s.float().div_(255))
    lap(PHASES[0])
    y = r + discount * (1 - terminated) * q_next.max(dim=1).values
    q = q_all.gather(1, a[:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q, y)                                       # Huber, δ = 1
    opt.zero_grad()
    lap(None)
    loss.backward()
    lap(PHASES[1])
    torch.nn.utils.clip_grad_norm_(net.parameters(), MAX_GRAD_NORM)
    lap(PHASES[2])
    opt.step()
    lap(PHASES[3])
    return loss.item()


def torch_act(net, obs) -> int:
    with torch.no_grad():
        return int(net(obs[None].float().div_(255)).argmax())


# -- timing ------------------------------------------------------------------------
# Both libraries keep their worker threads busy-waiting for a while after each
# call.  On 2 cores a torch call made right after a numpy call races numpy's
# still-spinning threads, and vice versa: measured here, alternating call by
# call made numpy's batch-1 forward of the 2013 net 8x slower (1.83 ms instead
# of 0.23).  So the libraries alternate in blocks of BLOCK repetitions, with a
# generous pause before each block for the other library's threads to fall
# asleep, then untimed calls for REWARM_S to wake this library's own, as they
# are awake in a running training loop.  One call is not enough: after a
# 0.3 s pause, the training steps right after it were slow for ~50-70 ms
# (medians of 8 pauses, idle machine, 2 threads: numpy's dqn2013 step took
# 17, 20, 17 ms, then 12; torch's 11.7, 9.2, then 8.8; at 1 thread, one or two
# slow steps in each), and a single warm-up call left numpy's first two timed
# steps in that slow stretch.  Both libraries get the same REWARM_S.
BLOCK = 5
PAUSE_S = 0.3
REWARM_S = 0.15


def measure(runs: dict, reps: int, warmup: int) -> dict:
    """runs: label -> zero-argument function.  label -> one record per timed call:
    {"total": its wall seconds} and, if the call returns a dict of seconds by phase, those."""
    records = {label: [] for label in runs}
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
                phases = runs[label]()
                total = time.perf_counter() - t0
                records[label].append({"total": total, **(phases if isinstance(phases, dict) else {})})
    return records


def median_ms(runs: dict, reps: int, warmup: int) -> dict:
    """runs: label -> zero-argument function.  Median wall time per call, in ms."""
    return {label: 1e3 * statistics.median(r["total"] for r in recs)
            for label, recs in measure(runs, reps, warmup).items()}


# -- where a step's time goes (--phases) -------------------------------------------
PHASES = ("forwards on s and s'", "backward", "clip gradient norm", "Adam step")


class Laps:
    """Seconds by phase within one call: lap(phase) ends `phase` (None: time not counted)."""

    def __init__(self):
        self.seconds, self.t = {}, time.perf_counter()

    def add(self, phase, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    def lap(self, phase) -> None:
        now = time.perf_counter()
        if phase is not None:
            self.add(phase, now - self.t)
        self.t = now


@contextmanager
def numpy_phased(agent: DQNAgent, batch: Batch):
    """Yields agent.learn(batch) as a function that returns its seconds by phase.

    Nothing in nnpy or rl is changed: the calls learn makes for each phase are wrapped, on
    this agent (its networks' forward and backward, its optimizer's step) and, for the clip,
    in rl.dqn until the block ends.  The two forwards run at once on two lanes: their phase
    is from the first one's start to the last one's end."""
    laps, spans = Laps(), []            # of the call under way

    def wrapped(owner, name, phase):
        inner = getattr(owner, name)

        def call(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                if phase == PHASES[0]:
                    spans.append((t0, time.perf_counter()))
                else:
                    laps.add(phase, time.perf_counter() - t0)
        setattr(owner, name, call)

    def learn():
        laps.seconds, spans[:] = {}, []
        agent.learn(batch)
        laps.add(PHASES[0], max(end for _, end in spans) - min(start for start, _ in spans))
        return dict(laps.seconds)

    clip = rl.dqn.clip_grad_norm
    for net in {id(agent.online): agent.online, id(agent.target): agent.target}.values():
        wrapped(net, "forward", PHASES[0])
    wrapped(agent.online, "backward", PHASES[1])
    wrapped(rl.dqn, "clip_grad_norm", PHASES[2])
    wrapped(agent.opt, "step", PHASES[3])
    try:
        yield learn
    finally:
        rl.dqn.clip_grad_norm = clip


def torch_phased(net, target, opt, batch: tuple):
    def learn():
        laps = Laps()
        torch_learn(net, target, opt, batch, lap=laps.lap)
        return laps.seconds
    return learn


def bench_phases(arch: str, n: int, reps: int, warmup: int) -> list[str]:
    """The lines of a table: median milliseconds of each of PHASES in one training step, both libraries."""
    agent, batch = make_agent(arch), make_batch(n, np.random.default_rng(1))
    with numpy_phased(agent, batch) as numpy_learn:
        runs = {"numpy": numpy_learn}
        if torch is not None:
            t_net, t_target = torch_copy(agent.online), torch_copy(agent.target)
            runs["torch"] = torch_phased(t_net, t_target,
                                         torch.optim.Adam(t_net.parameters(), lr=LR, eps=ADAM_EPS), torch_batch(batch))
        records = measure(runs, reps, warmup)
    rows = []
    for phase in (*PHASES, "the rest", "total"):
        cells = []
        for label in ("numpy", "torch"):
            if label not in records:
                cells.append(None)
                continue
            recs = records[label]
            rest = [r["total"] - sum(r.get(p, 0.0) for p in PHASES) for r in recs]
            values = rest if phase == "the rest" else [r.get(phase, 0.0) for r in recs]
            cells.append(1e3 * statistics.median(values))
        rows.append((phase, *cells))
    return ms_table(f"{arch}, train step, batch {n}: median ms of each phase (medians do not add up to the "
                    "total's)", "phase", rows)


def ms_table(title: str, first: str, rows: list[tuple]) -> list[str]:
    """The lines of a table: rows (name, numpy ms, torch ms), either ms None where it has none."""
    width = max([22] + [len(name) + 1 for name, _, _ in rows])
    lines = [f"\n{title}", f"| {first:<{width}}| numpy ms | torch ms | numpy/torch |",
             f"|{'-' * (width + 1)}|---------:|---------:|------------:|"]
    for name, numpy_ms, torch_ms in rows:
        cells = [f"{ms:8.3f}" if ms is not None else f"{'—':>8}" for ms in (numpy_ms, torch_ms)]
        ratio = f"{numpy_ms / torch_ms:11.2f}" if numpy_ms and torch_ms else f"{'—':>11}"
        lines.append(f"| {name:<{width}}| {cells[0]} | {cells[1]} | {ratio} |")
    return lines


# -- where a forward's time goes (--layers) -------------------------------------------
def layer_forward(i: int, layer, h, scale: float):
    """Layer i's output on h, as Sequential.forward calls it in an Atari net (whose first
    layer, a Conv2D, converts and scales the screens itself)."""
    return layer.forward(h, scale) if i == 0 else layer.forward(h)


def layer_inputs(layers: list, x, run) -> list:
    """inputs[i] is what layer i gets in one forward from x (inputs[0] is x);
    run(i, layer, h) is layer i's output on h.  len(inputs) == len(layers)."""
    inputs = [x]
    for i, layer in enumerate(layers[:-1]):
        inputs.append(run(i, layer, inputs[-1]))
    return inputs


def layer_name(i: int, layer) -> str:
    """A table row's name: index, type, and the sizes that say which layer it is."""
    cfg = layer.config()
    if cfg["type"] == "Conv2D":
        return f"{i} Conv2D {cfg['kernel_size']}x{cfg['kernel_size']}/{cfg['stride']}, {cfg['out_channels']}"
    if cfg["type"] == "Dense":
        return f"{i} Dense {cfg['in_features']} -> {cfg['out_features']}"
    return f"{i} {cfg['type']}"


def numpy_layer_runs(net, x: np.ndarray, scale: float) -> list[tuple]:
    """Rows (name, zero-argument call) timing each layer's forward on the input the whole
    forward gives it, then the whole forward; x (N, 84, 84, 4) uint8.  Each call returns
    what it computes, so a test can check the pairing."""
    inputs = layer_inputs(net.layers, x, lambda i, layer, h: layer_forward(i, layer, h, scale))
    rows = [(layer_name(i, layer), lambda i=i, layer=layer, h=h: layer_forward(i, layer, h, scale))
            for i, (layer, h) in enumerate(zip(net.layers, inputs))]
    return rows + [("whole forward", lambda: net.forward(x, scale))]


def bench_layers(arch: str, n: int, reps: int, warmup: int) -> list[str]:
    """The lines of a table: median ms of each layer's forward on a batch of n screens, both
    libraries, then the whole forward, as the target forward and acting run it (PyTorch
    without autograd).  numpy's first convolution takes the uint8 screens and converts them
    in the copy of them it makes anyway (Conv2D.forward); PyTorch converts them first, in a
    row of its own."""
    agent = make_agent(arch)
    x = make_batch(n, np.random.default_rng(1)).s                                   # (N, 84, 84, 4)
    rows = numpy_layer_runs(agent.online, x, agent.input_scale)
    runs = [{}] + [{"numpy": call} for _, call in rows]
    names = ["uint8 -> float / 255"] + [name for name, _ in rows]
    if torch is not None:
        # torch_copy keeps the numpy weights, and 255 is agent.input_scale's inverse, as in torch_learn
        modules, tx = torch_copy(agent.online), torch.from_numpy(x.transpose(0, 3, 1, 2).copy())  # (N, C, H, W)
        with torch.no_grad():
            t_inputs = layer_inputs(list(modules), tx.float().div_(255), lambda i, module, h: module(h))
        runs[0]["torch"] = lambda: tx.float().div_(255)
        for run, module, h in zip(runs[1:-1], modules, t_inputs):
            run["torch"] = lambda module=module, h=h: module(h)
        runs[-1]["torch"] = lambda: modules(tx.float().div_(255))
    table = []
    with torch.no_grad() if torch is not None else nullcontext():
        for name, run in zip(names, runs):
            if run:
                ms = median_ms(run, reps, warmup)
                table.append((name, ms.get("numpy"), ms.get("torch")))
    return ms_table(f"{arch}, forward, batch {n}: median ms of each layer (numpy's first convolution "
                    "includes converting the screens)", "layer", table)


def bench_net(arch: str, n: int, reps: int, warmup: int) -> list[tuple]:
    """Rows (arch, what, {library: ms}, flops) for the training step and for acting."""
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
    flops = step_flops(agent.online, n)
    return [(arch, f"train step, batch {n}", median_ms(train, reps, warmup), flops),
            (arch, "act, batch 1", median_ms(act, reps, warmup), 2 * sum(forward_macs(agent.online, 1)))]


def print_table(rows: list[tuple], label: str) -> None:
    print(f"\n| {'net':<8}| {'what':<20}| numpy ms | torch ms | numpy/torch | numpy GFLOP/s | torch GFLOP/s |")
    print(f"|{'-' * 9}|{'-' * 21}|---------:|---------:|------------:|--------------:|--------------:|")
    for arch, what, ms, flops in rows:
        t = ms.get("torch")
        torch_cells = (f"{t:8.2f} | {ms['numpy'] / t:11.2f}" if t is not None else f"{'—':>8} | {'—':>11}")
        gflops = [f"{flops / m / 1e6:13.1f}" if m is not None else f"{'—':>13}" for m in (ms["numpy"], t)]
        print(f"| {arch:<8}| {what:<20}| {ms['numpy']:8.2f} | {torch_cells} | {' | '.join(gflops)} |{label}")


def main():
    args = parse_args()
    names = args.nets.split(",")
    unknown = [n for n in names if n not in TIMED_ARCHS]
    if unknown:
        sys.exit(f"unknown net(s) {', '.join(unknown)}; choose from {', '.join(TIMED_ARCHS)}")
    if args.lanes is not None:
        lanes.THREADS = args.lanes
    if torch is None:
        print("torch is not importable: timing numpy alone (pip install torch==2.13.0 to compare)")
    else:
        torch.set_num_threads(args.threads)
    lanes.can_share()
    blas_now = lanes.get_blas_threads() if lanes.get_blas_threads is not None else NUMPY_THREADS
    print(f"numpy {np.__version__} (OpenBLAS started {NUMPY_THREADS} thread(s), runs on {blas_now}; "
          f"nnpy lanes {lanes.THREADS})"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch is not None else "")
          + f", python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")

    before, t0 = cpu_seconds_by_process(), time.perf_counter()
    time.sleep(1.0)
    idle = report_load(busy_since(before, time.perf_counter() - t0), "before")
    if not idle and not args.force:
        sys.exit(f"refusing to benchmark: another process uses more than {BUSY_SHARE:.0%} of a core "
                 "(--force reports anyway, labelled)")

    before, t0 = cpu_seconds_by_process(), time.perf_counter()
    peak = sgemm_peak()
    print(f"float32 matrix-multiply peak, {args.threads} thread(s): {peak:.0f} GFLOP/s (2048³, best of 5)")
    print(f"medians of {args.reps} reps after {args.warmup} warm-up"
          + (", numpy and torch alternating in blocks" if torch is not None else ""))
    if args.phases or args.layers:
        bench = bench_phases if args.phases else bench_layers
        tables = [line for name in names for line in bench(name, args.batch, args.reps, args.warmup)]
    else:
        rows = [row for name in names for row in bench_net(name, args.batch, args.reps, args.warmup)]
    idle = report_load(busy_since(before, time.perf_counter() - t0), "during the run") and idle
    if not idle and not args.force:
        sys.exit("refusing to report: another process was busy during the run (--force reports anyway, labelled)")
    label = "" if idle else " BUSY MACHINE (--force)"
    if args.phases or args.layers:
        print("\n".join(line + (label if line.startswith("| ") else "") for line in tables))
    else:
        print_table(rows, label)
        print(f"\nGFLOP/s: the layers' multiply-adds by definition ({step_flops(make_agent(names[0]).online, args.batch) / 1e9:.2f} "
              f"GFLOP per {names[0]} step), against the {peak:.0f} GFLOP/s peak above.")
    if label:
        print("These figures were taken while other processes were busy: do not publish them.")


if __name__ == "__main__":
    main()
