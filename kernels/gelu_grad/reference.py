"""gelu_grad in plain numpy and Python's math.erf: the oracle (float64 work,
rounded once)."""
import math

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)
C = math.sqrt(2 / math.pi)
K = 0.044715


def gelu_grad(x, dy, approximate):
    x, dy = np.asarray(x), np.asarray(dy)
    v, d = x.astype(np.float64), dy.astype(np.float64)
    with np.errstate(all="ignore"):
        if approximate:
            # the textbook formula: in float64, its cancellations stay below
            # float32's rounding (the tests allow for them in float64)
            t = np.tanh(C * (v + K * v ** 3))
            out = d * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * K * v * v))
        else:
            cdf = 0.5 * (1 + _erf(v / math.sqrt(2)).astype(np.float64))
            pdf = np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
            out = d * (cdf + v * pdf)
    return out.astype(dy.dtype)
