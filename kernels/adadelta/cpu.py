"""adadelta on the CPU: one numba launch over every tensor's chunks (parallel for
large work, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._multi_tensor import run, view
from .._threads import FLAGS, twins


@numba.njit(inline="never", **FLAGS)
def _update(p, g, ag, ad, lr, rho, eps, decay, one_minus_rho):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        gi = g[i]
        pi = p[i] - p[i] * decay
        agi = rho * ag[i] + one_minus_rho * (gi * gi)
        ag[i] = agi
        delta = -(np.sqrt(ad[i] + eps) * gi) / np.sqrt(agi + eps)
        ad[i] = rho * ad[i] + one_minus_rho * (delta * delta)
        p[i] = pi + lr * delta


def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                view(table, 3, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2], h[3], h[4])


_launches = twins(_launch)


def adadelta(params, grads, accumulated_grads, accumulated_deltas, lr, rho, epsilon, decay):
    run(_launches, [params, grads, accumulated_grads, accumulated_deltas], (lr, rho, epsilon, decay, 1 - rho))
