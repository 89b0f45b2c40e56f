"""Adam on the CPU: one numba launch over every tensor's chunks (parallel for
large work, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._multi_tensor import run, view
from .._threads import FLAGS, twins
from .reference import coefficients


@numba.njit(inline="never", **FLAGS)
def _update(p, g, m, v, vh, alpha, c1, c2, eps, decay, amsgrad):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        gi = g[i]
        pi = p[i] - p[i] * decay
        mi = m[i] + (gi - m[i]) * c1
        vi = v[i] + (gi * gi - v[i]) * c2
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = max(vh[i], vi)
            vh[i] = vi
        p[i] = pi - (mi * alpha) / (np.sqrt(vi) + eps)


def _launch(table, sizes, chunks, sample, h):
    amsgrad = h[5] != 0
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi], view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi], view(table, 3, t, sizes, sample)[lo:hi],
                view(table, 4, t, sizes, sample)[lo:hi], h[0], h[1], h[2], h[3], h[4], amsgrad)


_launches = twins(_launch)


def adam(params, grads, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, decay):
    dtype = params[0].dtype if params else None
    hyper = coefficients(lr, beta_1, beta_2, epsilon, step, decay, dtype) + (float(v_hat is not None),)
    run(_launches, [params, grads, m, v, v_hat], hyper)
