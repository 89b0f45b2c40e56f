"""sgd on the CPU: one parallel numba launch over every tensor's chunks."""
import numba
import numpy as np

from .._multi_tensor import run, view

_FLAGS = dict(error_model="numpy", cache=True)


@numba.njit(inline="never", **_FLAGS)
def _update(p, g, m, lr, mu, nesterov, decay, has_m):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        pi = p[i] - p[i] * decay
        if has_m:
            mi = m[i] * mu - g[i] * lr
            m[i] = mi
            if nesterov:
                pi = pi + (mi * mu - g[i] * lr)
            else:
                pi = pi + mi
        else:
            pi = pi - g[i] * lr
        p[i] = pi


@numba.njit(parallel=True, **_FLAGS)
def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2], h[3], h[4])


def sgd(params, grads, momentums, lr, momentum, nesterov, decay):
    run(_launch, [params, grads, momentums], (lr, momentum, float(bool(nesterov)), decay, float(momentums is not None)))
