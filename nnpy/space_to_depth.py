"""Strided convolution by space-to-depth: the fast path for the DQN's 8x8/4 and 4x4/2 layers.

A convolution whose kernel is a multiple of its stride, KH = KW = m·s, is a
stride-1 m x m convolution in disguise.  Cut the image into s x s blocks
and stack each block's pixels as channels (space-to-depth),

    xb[n, I, J, (a, b, c)] = x[n, s·I + a, s·J + b, c]           xb: (N, HB, WB, s·s·C)

and cut the kernel the same way, wb[(a, b, c), (di, dj, f)] = w[s·di + a, s·dj + b, c, f]:

    out[n, i, j, f] = b[f] + Σ_{di, dj < m} (xb[n, i + di, j + dj] @ wb)[di, dj, f]

The 84x84x4 screen becomes 21x21x64 and the 8x8/4 convolution a 2x2 one.
One matrix multiply over *all* block pixels computes every term,

    y = xb (N·HB·WB, s·s·C) @ wb (s·s·C, m·m·F)  ->  (N·HB·WB, m·m·F)

and m² shifted adds sum them.  The matrix multiply reads the image once
(3.6 MB for a batch of 32 screens) where im2col first copies every 8x8x4
patch into a 13 MB matrix and then reads that; its output has m·m·F
columns instead of F, a better shape for BLAS.

The backward pass is the same multiply transposed.  Spread dout back to the
block pixels that fed it (the adjoint of the shifted adds),

    dy[n, i + di, j + dj, di, dj, f] = dout[n, i, j, f]          (0 elsewhere)

then dwb = xb^T @ dy and dxb = dy @ wb^T, and depth-to-space undoes the
blocks.  No col2im: its KH·KW strided adds of (KW·C)-float runs were the
slowest part of the im2col backward.

Space-to-depth is faster than im2col on all four DQN layers but one backward
(docs/PERFORMANCE.md has the figures); the tests hold it against im2col and the loops.
"""
import numpy as np



def space_to_depth(x: np.ndarray, s: int, hb: int, wb: int, dtype=None, scale: float = 1.0) -> np.ndarray:
    """x (N, H, W, C) -> xb (N, HB, WB, s·s·C), xb[n, I, J, (a, b, c)] = scale · x[n, s·I + a, s·J + b, c].

    Rows and columns from HB·s and WB·s on are dropped: no output reads them.
    The result is a new contiguous array of `dtype` (default x's): one copy, which
    also converts and scales, so uint8 screens need no pass of their own.
    """
    n, _, _, c = x.shape
    blocks = x[:, :hb * s, :wb * s].reshape(n, hb, s, wb, s, c)   # (N, HB, s, WB, s, C) view
    xb = np.multiply(blocks.transpose(0, 1, 3, 2, 4, 5), scale, dtype=dtype or x.dtype)  # (N, HB, WB, s, s, C)
    return xb.reshape(n, hb, wb, s * s * c)                        # (N, HB, WB, s*s*C)


def depth_to_space(xb: np.ndarray, s: int, x_shape: tuple) -> np.ndarray:
    """Adjoint of space_to_depth: xb (N, HB, WB, s·s·C) -> x (N, H, W, C), zero where dropped."""
    n, h, w, c = x_shape
    _, hb, wb, _ = xb.shape
    x = np.zeros(x_shape, dtype=xb.dtype) if (hb * s, wb * s) != (h, w) else np.empty(x_shape, dtype=xb.dtype)
    blocks = x[:, :hb * s, :wb * s].reshape(n, hb, s, wb, s, c)   # (N, HB, s, WB, s, C) view into x
    blocks[...] = xb.reshape(n, hb, wb, s, s, c).transpose(0, 1, 3, 2, 4, 5)   # (N, HB, s, WB, s, C)
    return x


def block_kernel(w: np.ndarray, s: int) -> np.ndarray:
    """w (m·s, m·s, C, F) -> wb (s·s·C, m·m·F), wb[(a, b, c), (di, dj, f)] = w[s·di + a, s·dj + b, c, f]."""
    k, _, c, f = w.shape
    m = k // s
    wb = w.reshape(m, s, m, s, c, f).transpose(1, 3, 4, 0, 2, 5)   # (s, s, C, m, m, F)
    return np.ascontiguousarray(wb).reshape(s * s * c, m * m * f)


def unblock_kernel(dwb: np.ndarray, s: int, w_shape: tuple) -> np.ndarray:
    """Inverse of block_kernel: (s·s·C, m·m·F) -> (m·s, m·s, C, F)."""
    k, _, c, f = w_shape
    m = k // s
    dw = dwb.reshape(s, s, c, m, m, f).transpose(3, 0, 4, 1, 2, 5)  # (m, s, m, s, C, F)
    return dw.reshape(w_shape)


def conv_s2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, scale: float = 1.0) -> tuple:
    """x (N, H, W, C) of any dtype, w (m·s, m·s, C, F), b (F,) -> out (N, OH, OW, F), the cache.

    The layer's input is scale · x in w's dtype (see Conv2D.forward).

    The multiply is done transposed, y^T = wb^T @ xb^T, one row per (di, dj, f) and one column
    per block pixel r = (n·HB + I)·WB + J.  Moving a block pixel by (di, dj) moves its column by
    di·WB + dj, so each shifted add is one long contiguous slice of a row; in the untransposed
    y each would be N·OH·OW short runs of F floats, and numpy pays for every run.  Columns
    whose (I, J) lies past (OH, OW) sum garbage and are dropped.
    """
    n, h, wd, c = x.shape
    k, _, _, f = w.shape
    m = k // s
    oh, ow = (h - k) // s + 1, (wd - k) // s + 1
    hb, wb = oh + m - 1, ow + m - 1                                 # block pixels any output reads
    r = n * hb * wb
    xb = space_to_depth(x, s, hb, wb, w.dtype, scale).reshape(r, s * s * c)   # (N*HB*WB, s*s*C)
    yt = (block_kernel(w, s).T @ xb.T).reshape(m, m, f, r)           # (m, m, F, N*HB*WB)
    last = r - (m - 1) * (wb + 1)                                   # columns with all m*m terms
    out_t = np.empty((f, r), dtype=yt.dtype)                        # (F, N*HB*WB); from last on never read
    out_t[:, :last] = yt[0, 0, :, :last] + b[:, None]
    for di in range(m):
        for dj in range(m):
            if di or dj:
                shift = di * wb + dj
                out_t[:, :last] += yt[di, dj, :, shift:shift + last]
    out = out_t.reshape(f, n, hb, wb)[:, :, :oh, :ow].transpose(1, 2, 3, 0)  # (N, OH, OW, F) view
    return np.ascontiguousarray(out), (x.shape, xb)


def conv_s2d_backward(dout: np.ndarray, cache: tuple, w: np.ndarray, s: int, need_dx: bool) -> tuple:
    """dout (N, OH, OW, F) -> (dx (N, H, W, C) or None, dw (KH, KW, C, F), db (F,))."""
    x_shape, xb = cache
    n, oh, ow, f = dout.shape
    m = w.shape[0] // s
    hb, wb = oh + m - 1, ow + m - 1
    dy = np.zeros((n, hb, wb, m, m, f), dtype=dout.dtype)           # (N, HB, WB, m, m, F)
    for di in range(m):
        for dj in range(m):
            dy[:, di:di + oh, dj:dj + ow, di, dj] = dout
    dy = dy.reshape(n * hb * wb, m * m * f)                         # (N*HB*WB, m*m*F)
    dw = unblock_kernel(xb.T @ dy, s, w.shape)                      # (KH, KW, C, F)
    db = dout.reshape(-1, f).sum(axis=0)                            # (F,)
    if not need_dx:
        return None, dw, db
    dxb = (dy @ block_kernel(w, s).T).reshape(n, hb, wb, -1)        # (N, HB, WB, s*s*C)
    return depth_to_space(dxb, s, x_shape), dw, db                  # dx (N, H, W, C)
