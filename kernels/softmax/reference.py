"""softmax over the last axis in plain numpy: the oracle (float64 work,
rounded once)."""
import numpy as np


def softmax(x):
    x = np.asarray(x)
    v = x.astype(np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(v - v.max(axis=-1, keepdims=True)) if v.size else v
        return (e / e.sum(axis=-1, keepdims=True)).astype(x.dtype)
