"""bias_add_grad in plain numpy: the oracle (float64 sums, rounded once)."""
import numpy as np


def bias_add_grad(g, axis):
    g = np.asarray(g)
    others = tuple(i for i in range(g.ndim) if i != axis)
    return g.astype(np.float64).sum(axis=others).astype(g.dtype)
