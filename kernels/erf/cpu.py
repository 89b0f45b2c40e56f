"""erf on the CPU: a numba ufunc over the C library's erf."""
import math

import numba
import numpy as np


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def _erf(x):
    return math.erf(x)


def erf(x):
    x = np.asarray(x)
    if x.dtype == np.float16:
        return _erf(x.astype(np.float32)).astype(np.float16)
    return _erf(x)
