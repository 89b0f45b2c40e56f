"""softmax over the last axis on the CPU: numba, rows in parallel (serially
for small arrays: see _threads.py), each row in two passes (spec.md)."""
import math

import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import exp, row_stats, widen


def rows_of(x):
    """x (C-contiguous) as a 2-D array of its rows, the last axis."""
    return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


@numba.njit(**FLAGS)
def _write(x, m, s, out):
    for j in range(x.size):
        out[j] = exp(x[j] - m) / s


def _launch(x, out):
    for r in numba.prange(x.shape[0]):
        m, s = row_stats(x[r])
        _write(x[r], m, s, out[r])


_launches = twins(_launch)


def softmax(x):
    dtype = x.dtype
    x = widen(x)
    out = np.empty_like(x)
    pick(_launches, x.size)(rows_of(x), rows_of(out))
    return out.astype(dtype, copy=False)
