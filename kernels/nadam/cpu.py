"""nadam on the CPU: one numba launch over every tensor's chunks (parallel for
large work, serial for small: see _threads.py)."""
import numba
import numpy as np

from .._multi_tensor import run, view
from .._threads import FLAGS, twins
from .reference import _coefficients


@numba.njit(inline="never", **FLAGS)
def _update(p, g, m, v, lr, c1, c2, eps, decay, u_next, d1, one_minus_u, d2, d3):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        gi = g[i]
        pi = p[i] - p[i] * decay
        mi = m[i] + (gi - m[i]) * c1
        vi = v[i] + (gi * gi - v[i]) * c2
        m[i] = mi
        v[i] = vi
        m_hat = (u_next * mi) / d1 + (one_minus_u * gi) / d2
        p[i] = pi - (m_hat * lr) / (np.sqrt(vi / d3) + eps)


def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                view(table, 3, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9])


_launches = twins(_launch)


def nadam(params, grads, m, v, lr, beta_1, beta_2, epsilon, step, u_product, decay):
    run(_launches, [params, grads, m, v], _coefficients(lr, beta_1, beta_2, epsilon, step, u_product, decay,
                                            params[0].dtype if params else None))
