"""The CPU: numpy arrays."""
import contextlib

import numpy

from .base import Backend


class NumpyBackend(Backend):
    kind = "cpu"
    xp = numpy

    def asarray(self, value, dtype=None):
        return numpy.asarray(value, dtype=dtype)

    def to_host(self, array):
        return numpy.asarray(array)

    def is_native(self, value):
        return isinstance(value, (numpy.ndarray, numpy.generic))

    def device_scope(self):
        return contextlib.nullcontext()

    def scatter_add(self, target, indices, updates):
        numpy.add.at(target, indices, updates)
        return target

    def erf(self, x):
        # numpy has no erf; a numba ufunc over math.erf, compiled on first use
        global _erf_ufunc
        if _erf_ufunc is None:
            _erf_ufunc = _build_erf()
        x = numpy.asarray(x)
        if x.dtype == numpy.float16:
            return _erf_ufunc(x.astype(numpy.float32)).astype(numpy.float16)
        return _erf_ufunc(x)

    def _make_generator(self, key):
        return numpy.random.default_rng(key)


_erf_ufunc = None


def _build_erf():
    import math
    import numba

    @numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
    def erf(x):
        return math.erf(x)
    return erf
