"""tanh_grad on the CPU: numba, one pass over chunks of elements (parallel
for large arrays, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import CHUNK, chunks, widen


@numba.njit(**FLAGS)
def _chunk(y, dy, out):
    one = y.dtype.type(1)
    for i in range(out.size):
        out[i] = dy[i] * (one - y[i] * y[i])


def _launch(y, dy, out):
    for c in numba.prange(chunks(out.size)):
        lo, hi = c * CHUNK, (c + 1) * CHUNK
        _chunk(y[lo:hi], dy[lo:hi], out[lo:hi])


_launches = twins(_launch)


def tanh_grad(y, dy):
    dtype = dy.dtype
    y, dy = widen(y), widen(dy)
    out = np.empty_like(dy)
    pick(_launches, out.size)(y.reshape(-1), dy.reshape(-1), out.reshape(-1))
    return out.astype(dtype, copy=False)
