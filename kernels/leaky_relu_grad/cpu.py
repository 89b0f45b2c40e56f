"""leaky_relu_grad on the CPU: numba, one pass over chunks of elements
(parallel for large arrays, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import CHUNK, chunks, widen


@numba.njit(**FLAGS)
def _chunk(x, dy, out, alpha):
    for i in range(out.size):
        out[i] = dy[i] if x[i] > 0 else dy[i] * alpha


def _launch(x, dy, out, alpha):
    for c in numba.prange(chunks(out.size)):
        lo, hi = c * CHUNK, (c + 1) * CHUNK
        _chunk(x[lo:hi], dy[lo:hi], out[lo:hi], alpha)


_launches = twins(_launch)


def leaky_relu_grad(x, dy, alpha):
    dtype = dy.dtype
    x, dy = widen(x), widen(dy)
    out = np.empty_like(dy)
    pick(_launches, out.size)(x.reshape(-1), dy.reshape(-1), out.reshape(-1), dy.dtype.type(alpha))
    return out.astype(dtype, copy=False)
