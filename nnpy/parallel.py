"""Where nnpy uses more than one core: a training step on two half batches at once.

This is the only module that starts threads or sets OpenBLAS's thread count; the layers,
losses and optimizers stay plain numpy, and importing nnpy changes nothing.  Its callers:
the learning step (rl/dqn.py), the training loop's use_threads (rl/train.py), and the
benchmark that times the step (bench/engine.py).

Data parallelism, as multi-GPU trainers do it, on the cores of one CPU.  The minibatch
is cut into two halves; each half goes forward and backward through its own replica of
the network (the same parameter arrays, its own caches and gradients), and the gradient
of the whole batch is the sum of the halves' gradients, because the loss is a sum over
examples:

    ∇θ L = Σ_{j ∈ half 0} ∇θ ℓ_j / B  +  Σ_{j ∈ half 1} ∇θ ℓ_j / B

numpy lets go of the GIL inside matrix multiplies, copies and elementwise operations, so
two Python threads running one half each use two cores.  The batch is cut in two however
many threads there are, and after use_threads every multiply runs on one OpenBLAS thread,
so the numbers are the same on one core as on two, bit for bit; they differ from a
full-batch step only by float rounding (the same sums, added in another order).

    use_threads(n)           the training process's cores: the halves on two threads
                             (n > 1) or one after the other (n = 1), OpenBLAS on one
                             thread (two threads each asking OpenBLAS for both cores
                             would take turns instead of running at once)
    HalfBatches(net)         net's forward and backward, each on two half batches at once
    step_in_halves(opt, g)   opt.step(g), each parameter's first half of rows on one thread
                             and the rest on the other (the update is elementwise)
"""
import copy
import ctypes
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

_pool: ThreadPoolExecutor | None = None      # the second half's thread, while use_threads(n > 1)


def openblas_threads_api() -> tuple:
    """(set_num_threads, get_num_threads) of the OpenBLAS numpy uses, or (None, None).

    numpy does not expose them; the library is found among the files this process has mapped
    (/proc/self/maps, Linux) and the functions under the names its builds use.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                return setter, getter
    return None, None


def blas_threads() -> int | None:
    """OpenBLAS's thread count now, or None where numpy's BLAS is another library."""
    _, get = openblas_threads_api()
    return get() if get is not None else None


def set_blas_threads(n: int) -> None:
    """Give OpenBLAS n threads (nothing happens where numpy's BLAS is another library)."""
    set_, _ = openblas_threads_api()
    if set_ is not None:
        set_(n)


def use_threads(n: int) -> None:
    """Run the halves of HalfBatches on n threads (1: one after the other) and OpenBLAS on one."""
    global _pool
    if n < 1:
        raise ValueError(f"threads must be 1 or more, got {n}")
    set_blas_threads(1)
    if _pool is not None:
        _pool.shutdown()
    _pool = ThreadPoolExecutor(1, thread_name_prefix="nnpy-half") if n > 1 else None


def threads() -> int:
    """How many threads the halves run on now: 2 after use_threads(n > 1), else 1."""
    return 2 if _pool is not None else 1


def both(f, g) -> tuple:
    """(f(), g()): g on the second thread while f runs on this one, or one after the other."""
    if _pool is None:
        return f(), g()
    other = _pool.submit(g)
    try:
        first = f()
    finally:
        wait([other])                            # g has ended before we return, or raise f's error
    return first, other.result()                 # (other.result() raises g's error, if any)


def replica(net):
    """A copy of net with caches and gradients of its own that shares net's parameters and
    every array a layer holds (a noisy layer's noise, drawn in place): the same function, a
    separate pass.  Flags are copied, not shared: set_noise(net, False) does not reach it."""
    shared = [*net.parameters().values(),
              *(v for layer in net.leaf_layers() for v in vars(layer).values() if isinstance(v, np.ndarray))]
    return copy.deepcopy(net, memo={id(a): a for a in shared})


class HalfBatches:
    """net.forward and net.backward, each on two half batches at once, one per thread.

    forward : x (B, ...) -> out (B, ...), rows 0:B//2 through one replica, the rest through
              the other; B >= 2
    backward: dout (B, ...) -> None; each replica backpropagates its rows of dout through
              its last forward, and net's gradients become the sum of the two.
    """

    def __init__(self, net):
        self.net = net
        self.halves = (replica(net), replica(net))

    def forward(self, x: np.ndarray, input_scale: float = 1.0) -> np.ndarray:
        half = len(x) // 2
        if half == 0:
            raise ValueError(f"HalfBatches needs a batch of 2 or more, got {len(x)}")
        first, second = both(lambda: self.halves[0].forward(x[:half], input_scale),
                             lambda: self.halves[1].forward(x[half:], input_scale))
        return np.concatenate([first, second])                         # (B, ...)

    def backward(self, dout: np.ndarray) -> None:
        half = len(dout) // 2
        both(lambda: self.halves[0].backward(dout[:half]), lambda: self.halves[1].backward(dout[half:]))
        for layer, a, b in zip(self.net.leaf_layers(), *(h.leaf_layers() for h in self.halves)):
            for k in layer.grads:
                layer.grads[k] = a.grads[k] + b.grads[k]               # ∇θ L = Σ_half 0 + Σ_half 1


def step_in_halves(optimizer, grads: dict) -> None:
    """optimizer.step(grads), the first half of every parameter's rows updated on one thread
    and the second half on the other: the same numbers as one whole step, bit for bit
    (Optimizer.step is t += 1, then update_rows over all rows)."""
    optimizer.t += 1
    both(lambda: optimizer.update_rows(grads, 0.0, 0.5), lambda: optimizer.update_rows(grads, 0.5, 1.0))
