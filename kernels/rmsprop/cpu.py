"""rmsprop on the CPU: one numba launch over every tensor's chunks (parallel for
large work, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._multi_tensor import run, view
from .._threads import FLAGS, twins


@numba.njit(inline="never", **FLAGS)
def _update(p, g, v, m, a, lr, rho, mu, eps, decay, has_m, centered, one_minus_rho):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        gi = g[i]
        pi = p[i] - p[i] * decay
        vi = rho * v[i] + one_minus_rho * (gi * gi)
        v[i] = vi
        if centered:
            ai = rho * a[i] + one_minus_rho * gi
            a[i] = ai
            den = vi - ai * ai + eps
        else:
            den = vi + eps
        inc = (lr * gi) / np.sqrt(den)
        if has_m:
            mi = mu * m[i] + inc
            m[i] = mi
            p[i] = pi - mi
        else:
            p[i] = pi - inc


def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                view(table, 3, t, sizes, sample)[lo:hi],
                view(table, 4, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])


_launches = twins(_launch)


def rmsprop(params, grads, velocities, momentums, average_grads, lr, rho, momentum, epsilon, decay):
    run(_launches, [params, grads, velocities, momentums, average_grads], (lr, rho, momentum, epsilon, decay, float(momentums is not None), float(average_grads is not None), 1 - rho))
