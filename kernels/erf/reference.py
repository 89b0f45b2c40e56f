"""erf in plain numpy and Python's math.erf: slow, exact, the oracle."""
import math

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    x = np.asarray(x)
    work = x.astype(np.float64)
    return _erf(work).astype(np.float64).astype(x.dtype)
