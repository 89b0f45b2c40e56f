"""log_softmax over the last axis on the CPU: numba, rows in parallel
(serially for small arrays: see _threads.py), each row in two passes."""
import math

import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import row_stats, widen
from ..softmax.cpu import rows_of


@numba.njit(**FLAGS)
def _write(x, m, log_s, out):
    for j in range(x.size):
        out[j] = (x[j] - m) - log_s


def _launch(x, out):
    for r in numba.prange(x.shape[0]):
        m, s = row_stats(x[r])
        _write(x[r], m, x.dtype.type(math.log(s)), out[r])


_launches = twins(_launch)


def log_softmax(x):
    dtype = x.dtype
    x = widen(x)
    out = np.empty_like(x)
    pick(_launches, x.size)(rows_of(x), rows_of(out))
    return out.astype(dtype, copy=False)
