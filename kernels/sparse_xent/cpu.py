"""The sparse softmax cross-entropy on the CPU: numba, rows in parallel
(serially for small arrays: see _threads.py), one pass over each row."""
import math

import numba
import numpy as np

from .._threads import pick, twins
from .._vmath import row_stats, widen
from ..softmax.cpu import rows_of


def _launch(x, labels, loss):
    depth = x.shape[1]
    for r in numba.prange(x.shape[0]):
        m, s = row_stats(x[r])
        label = labels[r]
        if 0 <= label < depth:
            loss[r] = math.log(s) - (x[r, label] - m)
        else:
            loss[r] = np.nan


_launches = twins(_launch)


def sparse_xent(logits, labels):
    dtype = logits.dtype
    x = rows_of(widen(logits))
    loss = np.empty(x.shape[0], x.dtype)
    pick(_launches, x.size)(x, np.ascontiguousarray(labels).reshape(-1), loss)
    return loss.astype(dtype, copy=False).reshape(labels.shape)
