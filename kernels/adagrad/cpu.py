"""adagrad on the CPU: one numba launch over every tensor's chunks (parallel for
large work, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._multi_tensor import run, view
from .._threads import FLAGS, twins


@numba.njit(inline="never", **FLAGS)
def _update(p, g, acc, lr, eps, decay):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        gi = g[i]
        pi = p[i] - p[i] * decay
        ai = acc[i] + gi * gi
        acc[i] = ai
        p[i] = pi - (lr * gi) / np.sqrt(ai + eps)


def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2])


_launches = twins(_launch)


def adagrad(params, grads, accumulators, lr, epsilon, decay):
    run(_launches, [params, grads, accumulators], (lr, epsilon, decay))
