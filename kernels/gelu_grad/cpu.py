"""gelu_grad on the CPU: numba, one pass over chunks of elements (parallel
for large arrays, serial for small: see _threads.py)."""
import math

import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import CHUNK, chunks, erf, exp, widen

C = math.sqrt(2 / math.pi)
K = 0.044715


@numba.njit(**FLAGS)
def _exact(x, dy, out):
    t = x.dtype.type
    half, one = t(0.5), t(1)
    inv_sqrt2, inv_sqrt_2pi = t(1 / math.sqrt(2)), t(1 / math.sqrt(2 * math.pi))
    for i in range(out.size):
        v = x[i]
        cdf = half * (one + erf(v * inv_sqrt2))
        pdf = exp(-half * v * v) * inv_sqrt_2pi
        out[i] = dy[i] * (cdf + v * pdf)


@numba.njit(**FLAGS)
def _tanh(x, dy, out):
    t = x.dtype.type
    half, one, two = t(0.5), t(1), t(2)
    c, k, k3 = t(C), t(K), t(3 * K)
    for i in range(out.size):
        v = x[i]
        v2 = v * v
        u = c * (v + k * v2 * v)
        q = exp(-two * abs(u))
        r = one / (one + q)
        one_plus_t = two * r * (one if u >= 0 else q)
        sech2 = two * two * q * r * r
        du = c * (one + k3 * v2)
        out[i] = dy[i] * (half * one_plus_t + half * v * sech2 * du)


def _launch(x, dy, out, approximate):
    for i in numba.prange(chunks(out.size)):
        lo, hi = i * CHUNK, (i + 1) * CHUNK
        if approximate:
            _tanh(x[lo:hi], dy[lo:hi], out[lo:hi])
        else:
            _exact(x[lo:hi], dy[lo:hi], out[lo:hi])


_launches = twins(_launch)


def gelu_grad(x, dy, approximate):
    dtype = dy.dtype
    x, dy = widen(x), widen(dy)
    out = np.empty_like(dy)
    pick(_launches, out.size)(x.reshape(-1), dy.reshape(-1), out.reshape(-1), bool(approximate))
    return out.astype(dtype, copy=False)
