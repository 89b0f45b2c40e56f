"""bias_add_grad on the CPU: numba. Column sums over chunks of rows in
parallel, then the chunks' partial rows in order (see spec.md)."""
import math

import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import CHUNK, work_dtype


@numba.njit(fastmath={"reassoc", "nsz"}, **FLAGS)
def _run_sum(run):
    total = run.dtype.type(0)
    for j in range(run.size):
        total += run[j]
    return total


@numba.njit(**FLAGS)
def _add_row(acc, row):
    for c in range(acc.size):  # 1-D from index 0: vectorises
        acc[c] += row[c]


def _runs(g3, sums):
    # sums[n, c] = sum(g3[n, c, :]): the (outer, C) matrix of runs
    channels = g3.shape[1]
    for i in numba.prange(g3.shape[0] * channels):
        n, c = i // channels, i % channels
        sums[n, c] = _run_sum(g3[n, c])


def _columns(a, rows_per_chunk, partial):
    # partial[k] = the column sums of rows [k * rows_per_chunk, ...) of a
    for k in numba.prange(partial.shape[0]):
        acc = partial[k]
        acc[:] = 0
        for n in range(k * rows_per_chunk, min((k + 1) * rows_per_chunk, a.shape[0])):
            _add_row(acc, a[n])


@numba.njit(**FLAGS)
def _finish(partial, out):
    out[:] = 0
    for k in range(partial.shape[0]):
        _add_row(out, partial[k])


_run_launches = twins(_runs)
_column_launches = twins(_columns)


def bias_add_grad(g, axis):
    dtype = g.dtype
    work = work_dtype(dtype)
    g = np.ascontiguousarray(g, dtype=work)  # numba has no float16 arithmetic
    channels = g.shape[axis]
    outer = math.prod(g.shape[:axis])
    inner = math.prod(g.shape[axis + 1:])
    if inner == 1:
        rows = g.reshape(outer, channels)
    else:
        rows = np.empty((outer, channels), work)
        pick(_run_launches, g.size)(g.reshape(outer, channels, inner), rows)
    rows_per_chunk = max(1, CHUNK // max(channels, 1))
    partial = np.empty(((outer + rows_per_chunk - 1) // rows_per_chunk, channels), work)
    pick(_column_launches, rows.size)(rows, rows_per_chunk, partial)
    out = np.empty(channels, work)
    _finish(partial, out)
    return out.astype(dtype, copy=False)
