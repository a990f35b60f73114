"""Time one DQN training step of the nnpy engine (and of PyTorch, if importable).

One training step on a batch of N transitions (Mnih et al. 2015, Algorithm 1):

    Q(s, ·; θ)          online forward on s (uint8 screens scaled to [0, 1])
    max_a' Q(s', a'; θ⁻) target forward on s'
    y = r + γ (1 - done) max_a' Q(s', a'; θ⁻)
    L = Huber(Q(s, a; θ), y);  backward;  one Adam step

and the batch-1 forward that picks an action while acting.  Figures are
medians over --reps repetitions after --warmup.  When torch imports, the same
step runs in PyTorch (float32, NCHW, 2 threads) on the same weights and data;
numpy and torch repetitions alternate in blocks, so noise on the machine hits
both.
PyTorch is never a dependency of numpy-dqn: to compare, install it into a
virtual environment of its own (see the Performance section of the README).

    python bench/engine.py --reps 30 --warmup 5 --nets dqn2013,nature2015,cartpole
"""
import argparse
import platform
import statistics
import time

import numpy as np

from nnpy import Adam, Sequential, conv_output_size, huber

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

GAMMA = 0.99


def conv(c, f, k, s):
    return {"type": "Conv2D", "in_channels": c, "out_channels": f, "kernel_size": k, "stride": s}


def dense(d, m):
    return {"type": "Dense", "in_features": d, "out_features": m}


RELU, FLATTEN = {"type": "ReLU"}, {"type": "Flatten"}

NETS = {
    # name: (observation shape, batch size, architecture)
    "dqn2013": ((84, 84, 4), 32, [                     # Mnih et al. 2013, 6 actions (Pong)
        conv(4, 16, 8, 4), RELU, conv(16, 32, 4, 2), RELU, FLATTEN,
        dense(9 * 9 * 32, 256), RELU, dense(256, 6)]),
    "nature2015": ((84, 84, 4), 32, [                  # Mnih et al. 2015, Methods
        conv(4, 32, 8, 4), RELU, conv(32, 64, 4, 2), RELU, conv(64, 64, 3, 1), RELU, FLATTEN,
        dense(7 * 7 * 64, 512), RELU, dense(512, 6)]),
    "cartpole": ((4,), 64, [
        dense(4, 256), RELU, dense(256, 256), RELU, dense(256, 2)]),
}


def make_batch(obs_shape: tuple, n: int, n_actions: int, rng: np.random.Generator) -> tuple:
    """(s, a, r, s', done): uint8 screens (N, 84, 84, 4) for Atari, float32 (N, 4) for CartPole."""
    if len(obs_shape) == 3:
        s, s_next = (rng.integers(0, 256, (n, *obs_shape), dtype=np.uint8) for _ in range(2))
    else:
        s, s_next = (rng.standard_normal((n, *obs_shape)).astype(np.float32) for _ in range(2))
    return (s, rng.integers(0, n_actions, n), rng.standard_normal(n).astype(np.float32), s_next,
            (rng.random(n) < 0.1).astype(np.float32))


# -- numpy ------------------------------------------------------------------------
def np_scale(s: np.ndarray) -> np.ndarray:
    if s.dtype != np.uint8:
        return s
    x = s.astype(np.float32)
    x *= np.float32(1 / 255)
    return x


def np_train_step(net: Sequential, target: Sequential, opt: Adam, batch: tuple) -> float:
    s, a, r, s_next, done = batch
    rows = np.arange(len(a))
    q_all = net.forward(np_scale(s))                                              # (N, A)
    y = r + GAMMA * (1 - done) * target.forward(np_scale(s_next)).max(axis=1)    # (N,)
    loss, dq = huber(q_all[rows, a], y)
    dq_all = np.zeros_like(q_all)
    dq_all[rows, a] = dq
    net.backward(dq_all)
    opt.step(net.gradients())
    return loss


def np_act(net: Sequential, obs: np.ndarray) -> int:
    return int(net.forward(np_scale(obs[None])).argmax())


# -- torch, on the same weights -----------------------------------------------------
def torch_net(net: Sequential, obs_shape: tuple):
    """An nn.Sequential equal to `net`: weights (KH, KW, C, F) -> (F, C, KH, KW), and the
    first Dense re-ordered from NHWC-flatten (H, W, C) to NCHW-flatten (C, H, W) inputs."""
    modules, shape = [], obs_shape
    for layer in net.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            m = torch.nn.Conv2d(layer.c, layer.f, layer.k, layer.stride)
            m.weight.data = torch.from_numpy(layer.params["w"].transpose(3, 2, 0, 1).copy())
            h, w = (conv_output_size(d, layer.k, layer.stride) for d in shape[:2])
            shape = (h, w, layer.f)
        elif kind == "Dense":
            m = torch.nn.Linear(layer.d, layer.m)
            w = layer.params["w"]                                                 # (D, M)
            if len(shape) == 3:
                w = w.reshape(*shape, layer.m).transpose(2, 0, 1, 3).reshape(layer.d, layer.m)
            m.weight.data = torch.from_numpy(w.T.copy())                          # (M, D)
            shape = (layer.m,)
        else:
            m = {"ReLU": torch.nn.ReLU, "Flatten": torch.nn.Flatten}[kind]()
        if kind in ("Conv2D", "Dense"):
            m.bias.data = torch.from_numpy(layer.params["b"].copy())
        modules.append(m)
    return torch.nn.Sequential(*modules)


def torch_batch(batch: tuple) -> tuple:
    """The same batch as tensors, screens NCHW as torch prefers."""
    s, a, r, s_next, done = batch
    nchw = (lambda x: x.transpose(0, 3, 1, 2)) if s.ndim == 4 else (lambda x: x)
    return (torch.from_numpy(nchw(s).copy()), torch.from_numpy(a), torch.from_numpy(r),
            torch.from_numpy(nchw(s_next).copy()), torch.from_numpy(done))


def torch_scale(s):
    return s.float().div_(255) if s.dtype == torch.uint8 else s


def torch_train_step(net, target, opt, batch: tuple) -> float:
    s, a, r, s_next, done = batch
    q = net(torch_scale(s)).gather(1, a[:, None]).squeeze(1)
    with torch.no_grad():
        y = r + GAMMA * (1 - done) * target(torch_scale(s_next)).max(dim=1).values
    loss = F.smooth_l1_loss(q, y)                  # Huber with δ = 1
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def torch_act(net, obs) -> int:
    with torch.no_grad():
        return int(net(torch_scale(obs[None])).argmax())


# -- timing ------------------------------------------------------------------------
# Both libraries keep their worker threads busy-waiting for a while after each
# call.  On 2 cores a torch call made right after a numpy call races numpy's
# still-spinning threads, and vice versa: measured here, alternating call by
# call made numpy's batch-1 forward of the 2013 net 8x slower (1.83 ms instead
# of 0.23).  So the libraries alternate in blocks of BLOCK repetitions, with a
# generous pause before each block for the other library's threads to fall
# asleep, and one untimed call to wake this library's own, as they are awake
# in a running training loop.
BLOCK = 5
PAUSE_S = 0.3


def median_ms(runs: dict, reps: int, warmup: int) -> dict:
    """runs: label -> zero-argument function.  Median wall time per call, in ms."""
    times = {label: [] for label in runs}
    labels = list(runs)
    for f in runs.values():
        for _ in range(warmup):
            f()
    for block in range(-(-reps // BLOCK)):
        for label in (labels if block % 2 == 0 else labels[::-1]):
            if len(labels) > 1:
                time.sleep(PAUSE_S)
                runs[label]()
            for _ in range(min(BLOCK, reps - block * BLOCK)):
                t0 = time.perf_counter()
                runs[label]()
                times[label].append(1e3 * (time.perf_counter() - t0))
    return {label: statistics.median(t) for label, t in times.items()}


def bench_net(name: str, reps: int, warmup: int) -> list[tuple]:
    obs_shape, n, arch = NETS[name]
    n_actions = arch[-1]["out_features"]
    rng = np.random.default_rng(0)
    net = Sequential.from_architecture(arch, rng=rng)
    target = net.copy()
    opt = Adam(net.parameters(), lr=1e-4)
    batch = make_batch(obs_shape, n, n_actions, rng)
    obs = batch[0][0]
    train = {"numpy": lambda: np_train_step(net, target, opt, batch)}
    act = {"numpy": lambda: np_act(net, obs)}
    if torch is not None:
        t_net, t_target = torch_net(net, obs_shape), torch_net(target, obs_shape)
        t_opt = torch.optim.Adam(t_net.parameters(), lr=1e-4)
        t_batch = torch_batch(batch)
        t_obs = t_batch[0][0]
        # one identical step in both, then the Q-values must still agree
        np_train_step(net, target, opt, batch)
        torch_train_step(t_net, t_target, t_opt, t_batch)
        with torch.no_grad():
            q_torch = t_net(torch_scale(t_batch[0])).numpy()
        diff = np.max(np.abs(net.forward(np_scale(batch[0])) - q_torch))
        print(f"{name}: after one step max |Q_numpy - Q_torch| = {diff:.1e}")
        train["torch"] = lambda: torch_train_step(t_net, t_target, t_opt, t_batch)
        act["torch"] = lambda: torch_act(t_net, t_obs)
    return [(name, f"train step, batch {n}", median_ms(train, reps, warmup)),
            (name, "act, batch 1", median_ms(act, reps, warmup))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=30, help="timed repetitions per figure")
    parser.add_argument("--warmup", type=int, default=5, help="untimed repetitions first")
    parser.add_argument("--nets", default=",".join(NETS), help=f"comma-separated, from {', '.join(NETS)}")
    args = parser.parse_args()
    names = args.nets.split(",")
    unknown = [n for n in names if n not in NETS]
    if unknown:
        parser.error(f"unknown net(s) {', '.join(unknown)}; choose from {', '.join(NETS)}")
    if torch is not None:
        torch.set_num_threads(2)
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
                                       if torch is not None else ", torch not importable")
          + f", python {platform.python_version()}, {platform.machine()}; "
          + f"medians of {args.reps} reps after {args.warmup} warm-up")
    rows = [row for name in names for row in bench_net(name, args.reps, args.warmup)]
    print(f"\n| {'net':<11}| {'what':<22}| numpy ms | torch ms | numpy/torch |")
    print(f"|{'-' * 12}|{'-' * 23}|---------:|---------:|------------:|")
    for name, what, ms in rows:
        t = ms.get("torch")
        cells = (f"{t:8.2f} | {ms['numpy'] / t:11.2f}" if t is not None else f"{'—':>8} | {'—':>11}")
        print(f"| {name:<11}| {what:<22}| {ms['numpy']:8.2f} | {cells} |")


if __name__ == "__main__":
    main()
