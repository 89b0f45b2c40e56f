"""adagrad on the CPU: one parallel numba launch over every tensor's chunks."""
import numba
import numpy as np

from .._multi_tensor import run, view

_FLAGS = dict(error_model="numpy", cache=True)


@numba.njit(inline="never", **_FLAGS)
def _update(p, g, acc, lr, eps, decay):
    # a separate function over plain 1-D arrays: LLVM vectorises this loop
    for i in range(p.size):
        gi = g[i]
        pi = p[i] - p[i] * decay
        ai = acc[i] + gi * gi
        acc[i] = ai
        p[i] = pi - (lr * gi) / np.sqrt(ai + eps)


@numba.njit(parallel=True, **_FLAGS)
def _launch(table, sizes, chunks, sample, h):
    for c in numba.prange(chunks.shape[0]):
        t, lo, hi = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        _update(view(table, 0, t, sizes, sample)[lo:hi],
                view(table, 1, t, sizes, sample)[lo:hi],
                view(table, 2, t, sizes, sample)[lo:hi],
                h[0], h[1], h[2])


def adagrad(params, grads, accumulators, lr, epsilon, decay):
    run(_launch, [params, grads, accumulators], (lr, epsilon, decay))
