"""Sharing elementwise work between threads.

OpenBLAS spreads every matrix multiply over its own threads, but the copies
and adds between the multiplies (space-to-depth, the shifted adds, im2col,
the optimizer's update) would run on one core.  numpy releases the GIL
inside a copy or a ufunc, so Python threads working on disjoint rows of an
array run them on separate cores, with results identical bit for bit.

    split_rows(fn, n, size)   calls fn(lo, hi) on contiguous ranges covering [0, n),
                              one range per lane, the caller's own thread taking the first
    copy_rows(dst, src, scale)  dst[...] = src * scale, converted to dst's dtype, rows shared that way

THREADS is how many lanes to use: as many as OpenBLAS has (OPENBLAS_NUM_THREADS, else
every CPU this process may use), so one setting governs both.  Set nnpy.lanes.THREADS = 1
to keep all of nnpy's own work on the calling thread.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def blas_threads() -> int:
    """The threads OpenBLAS was given (OPENBLAS_NUM_THREADS, else every CPU this process may use)."""
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return max(1, int(env)) if env and env.isdigit() else len(os.sched_getaffinity(0))


THREADS = blas_threads()
# Waking a thread costs tens of microseconds: split only work of at least this many elements
# per lane (256 KB of float32, ~0.05 ms of copying).  A batch-1 forward while acting stays whole.
MIN_ELEMENTS = 65_536

_executor, _workers = None, 0       # the helper threads, made on first use


def split_rows(fn, n: int, size: int) -> None:
    """fn(lo, hi) for contiguous ranges covering [0, n); size = elements touched in all."""
    global _executor, _workers
    lanes = max(1, min(THREADS, n, size // MIN_ELEMENTS))
    if lanes == 1:
        fn(0, n)
        return
    if _workers < lanes - 1:
        _executor, _workers = ThreadPoolExecutor(lanes - 1, thread_name_prefix="nnpy-lane"), lanes - 1
    bounds = [n * i // lanes for i in range(lanes + 1)]
    others = [_executor.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, lanes)]
    fn(bounds[0], bounds[1])
    for f in others:
        f.result()


def copy_rows(dst: np.ndarray, src, scale: float = 1.0) -> None:
    """dst[...] = src * scale in dst's dtype (src any view, e.g. of uint8), rows shared between lanes."""
    if scale == 1.0:
        split_rows(lambda lo, hi: np.copyto(dst[lo:hi], src[lo:hi]), len(dst), dst.size)
    else:
        split_rows(lambda lo, hi: np.multiply(src[lo:hi], scale, out=dst[lo:hi], dtype=dst.dtype),
                   len(dst), dst.size)
