"""Sharing the work of a training step between threads ("lanes").

OpenBLAS spreads each matrix multiply over its own threads, but everything
between the multiplies (copies, shifted adds, ReLU, the optimizer's update)
would run on one core, and the multiplies of a DQN at batch 32 are too small
for OpenBLAS's threads to pay off well.  numpy releases the GIL inside BLAS
calls, copies and ufuncs, so Python threads running *independent* pieces of
work run them on separate cores.  Every piece computes what it would compute
alone, so the results are those of one thread, bit for bit, as far as OpenBLAS
itself gives the same bits at one thread as at two (it does at the DQN's
batch-32 shapes, which tests/test_lanes.py checks; not at every shape):

    both(f, g)                 f() and g() at once, one lane each -> (f(), g())
                               e.g. the target forward on s' beside the online forward on s,
                               or a layer's dL/dw beside its dL/dx
    split_rows(fn, n, size)    fn(lo, hi) on contiguous ranges covering [0, n), one per lane
    copy_rows(dst, src, scale) dst[...] = src * scale in dst's dtype, rows shared that way
    matmul_columns(a, b)       a @ b, blocks of the product's columns shared that way

With more than one lane, OpenBLAS runs on one thread (two callers each asking
its thread pool for both cores would take turns instead of running at once,
and its idle workers spin; see can_share): the cores are nnpy's to share.
Measured (dqn2013 step, batch 32, idle 2-core machine, medians): the two
forwards on s and s' take 9.3 ms one after the other on one thread, 5.3 ms
on two lanes.  Where OpenBLAS's thread count cannot be set (a numpy built on
another BLAS), lanes run one after the other.

Waking a thread costs ~30 µs while the other core is busy and ~0.2 ms once it
has gone idle (measured here, a virtual machine), so only work of at least
MIN_ELEMENTS elements per lane is shared; the batch-1 forward while acting
stays on one thread (split, it was slower: 0.66 ms instead of 0.42 for dqn2013).
A lane never starts lanes of its own: work asked for inside a lane runs on the
thread that asked.  Lanes are started by one thread
at a time: a training loop, not several threads of a program sharing nnpy.

THREADS is how many lanes to use: OPENBLAS_NUM_THREADS, else every CPU this process may
use, so one setting says how many cores the process may have; nnpy then takes them and
gives OpenBLAS one.  With THREADS = 1 (OPENBLAS_NUM_THREADS=1, or nnpy.lanes.THREADS = 1)
all of nnpy's work stays on the calling thread and OpenBLAS keeps the threads it was given.
"""
import ctypes
import os
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np


def blas_threads() -> int:
    """The threads OpenBLAS was given (OPENBLAS_NUM_THREADS, else every CPU this process may use)."""
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return max(1, int(env)) if env and env.isdigit() else len(os.sched_getaffinity(0))


def find_openblas() -> tuple:
    """(set_num_threads, get_num_threads) of the OpenBLAS numpy loaded, or (None, None).

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


THREADS = blas_threads()
_BLAS_THREADS = THREADS             # what OpenBLAS was given: it gets them back if THREADS drops to 1
# Split only work of at least this many elements per lane (256 KB of float32).
MIN_ELEMENTS = 65_536

_set_blas_threads, get_blas_threads = find_openblas()   # numpy has loaded OpenBLAS by now
_blas_now = _BLAS_THREADS           # the count OpenBLAS has now, as this module last set it
_executor, _workers = None, 0       # the helper threads, made on first use
_busy = False                       # lanes are running: whatever they ask for runs inline


def can_share() -> bool:
    """True when nnpy shares work between lanes: THREADS > 1 and OpenBLAS's threads can be set.

    Then OpenBLAS runs on one thread, always: an OpenBLAS worker, once woken, spins for a
    while waiting for more work, and spinning beside two lanes on two cores it took a core
    from them (measured: the dqn2013 step 13.5 ms when no multiply ran on OpenBLAS's threads,
    22 ms when the first layer's dw did).
    """
    global _blas_now
    want = 1 if THREADS > 1 and _set_blas_threads is not None else _BLAS_THREADS
    if _set_blas_threads is not None and want != _blas_now:
        _set_blas_threads(want)
        _blas_now = want
    return want == 1 and THREADS > 1


can_share()                         # from the start: acting and evaluation see the same OpenBLAS


def _run(calls: list) -> list:
    """Every call at once, the first on this thread; their results in order."""
    global _executor, _workers, _busy
    if len(calls) == 1 or _busy or not can_share():
        return [call() for call in calls]
    if _workers < len(calls) - 1:
        _executor, _workers = ThreadPoolExecutor(len(calls) - 1, thread_name_prefix="nnpy-lane"), len(calls) - 1
    _busy = True
    try:
        others = [_executor.submit(call) for call in calls[1:]]
        try:
            first = calls[0]()
        finally:
            wait(others)            # even if this lane failed: every lane has ended before we return
        return [first] + [f.result() for f in others]
    finally:
        _busy = False


def both(f, g, size: int | None = None) -> tuple:
    """(f(), g()), computed at once on two lanes; f first, then g, when THREADS is 1 or
    size (elements the two touch) is under 2 * MIN_ELEMENTS.  f and g must not share outputs."""
    if size is not None and size < 2 * MIN_ELEMENTS:
        return f(), g()
    gv, fv = _run([g, f])
    return fv, gv


def split_rows(fn, n: int, size: int) -> None:
    """fn(lo, hi) for contiguous ranges covering [0, n); size = elements touched in all."""
    lanes = max(1, min(THREADS, n, size // MIN_ELEMENTS))
    if lanes == 1:                  # the common case while acting: no lists, no lambdas
        fn(0, n)
        return
    bounds = [n * i // lanes for i in range(lanes + 1)]
    _run([lambda lo=bounds[i], hi=bounds[i + 1]: fn(lo, hi) for i in range(lanes)])


def copy_rows(dst: np.ndarray, src, scale: float = 1.0) -> None:
    """dst[...] = src * scale in dst's dtype (src any view, e.g. of uint8), rows shared between lanes."""
    if scale == 1.0:
        split_rows(lambda lo, hi: np.copyto(dst[lo:hi], src[lo:hi]), len(dst), dst.size)
    else:
        split_rows(lambda lo, hi: np.multiply(src[lo:hi], scale, out=dst[lo:hi], dtype=dst.dtype),
                   len(dst), dst.size)


# OpenBLAS computes a product in blocks of columns; a lane's block must start where one of
# OpenBLAS's would, or the last few columns go through another kernel and round differently
# (measured: split at column 35 of 70, the last bits differ; at multiples of 16, 138 random
# shapes up to 300 x 20,000 x 300 gave the same bits).
COLUMN_BLOCK = 16


def matmul_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (M, K) @ b (K, N) -> (M, N), each lane computing a block of columns over the whole K:
    every entry is the same sum, in the same order, as in one multiply."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    blocks = -(-b.shape[1] // COLUMN_BLOCK)

    def columns(lo, hi):                                    # blocks lo:hi
        cols = slice(lo * COLUMN_BLOCK, hi * COLUMN_BLOCK)
        np.matmul(a, b[:, cols], out=out[:, cols])

    split_rows(columns, blocks, a.size + b.size)
    return out
