"""sgd on the CPU: one numba launch over every tensor's chunks (parallel for
large work, serial for small: see _threads.py)."""
import numba

from .._multi_tensor import run, view
from .._threads import FLAGS, twins


@numba.njit(inline="never", **FLAGS)
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


def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2], h[3], h[4])


_launches = twins(_launch)


def sgd(params, grads, momentums, lr, momentum, nesterov, decay):
    run(_launches, [params, grads, momentums], (lr, momentum, float(bool(nesterov)), decay, float(momentums is not None)))
