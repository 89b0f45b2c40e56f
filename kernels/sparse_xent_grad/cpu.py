"""The gradient of the sparse softmax cross-entropy on the CPU: numba, rows
in parallel (serially for small arrays: see _threads.py), each row in two
passes: its online (max, sum of exp), then the outputs."""
import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import exp, row_stats, widen
from ..softmax.cpu import rows_of


@numba.njit(**FLAGS)
def _write(x, m, s, g, out):
    for j in range(x.size):
        out[j] = exp(x[j] - m) / s * g


def _launch(x, labels, g, out):
    depth = x.shape[1]
    for r in numba.prange(x.shape[0]):
        label = labels[r]
        if 0 <= label < depth:
            m, s = row_stats(x[r])
            _write(x[r], m, s, g[r], out[r])
            out[r, label] = (exp(x[r, label] - m) / s - x.dtype.type(1)) * g[r]
        else:
            out[r, :] = np.nan


_launches = twins(_launch)


def sparse_xent_grad(logits, labels, g):
    dtype = logits.dtype
    x = widen(logits)
    out = np.empty_like(x)
    g = np.ascontiguousarray(g, dtype=x.dtype).reshape(-1)
    pick(_launches, x.size)(rows_of(x), np.ascontiguousarray(labels).reshape(-1), g, rows_of(out))
    return out.astype(dtype, copy=False)
