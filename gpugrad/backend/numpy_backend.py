"""The CPU: numpy arrays."""
import contextlib

import numpy

from .base import Backend


class NumpyBackend(Backend):
    kind = "cpu"
    xp = numpy

    def __init__(self, index=0):
        super().__init__(index)
        self._kernels = {}

    def asarray(self, value, dtype=None):
        return numpy.asarray(value, dtype=dtype)

    def to_host(self, array):
        return numpy.asarray(array)

    def is_native(self, value):
        return isinstance(value, (numpy.ndarray, numpy.generic))

    def is_writable_contiguous(self, array):
        return type(array) is numpy.ndarray and array.flags.c_contiguous and array.flags.writeable

    def contiguous(self, array):
        if type(array) is numpy.ndarray and array.flags.c_contiguous:
            return array
        return numpy.array(array, copy=True, order="C")

    def device_scope(self):
        return contextlib.nullcontext()

    def scatter_add(self, target, indices, updates):
        numpy.add.at(target, indices, updates)
        return target

    def kernel(self, name, entry=None):
        """The numba implementation in kernels/<name>/cpu.py (its function
        ``entry``, by default the one named like the kernel)."""
        key = name if entry is None else (name, entry)
        found = self._kernels.get(key)
        if found is None:
            from . import kernels
            found = self._kernels[key] = getattr(kernels.load_module(name, "cpu"), entry or name)
        return found

    def erf(self, x):
        return self.kernel("erf")(x)

    def collectives(self, runtime):
        return runtime.host        # MPI on host memory (backend/collectives.py)

    def _make_generator(self, key):
        return numpy.random.default_rng(key)

