"""relu_grad in plain numpy: the oracle."""
import numpy as np


def relu_grad(y, dy):
    y, dy = np.asarray(y), np.asarray(dy)
    work = dy.astype(np.float64) * (y.astype(np.float64) > 0)
    return work.astype(dy.dtype)
