"""NVIDIA GPUs: CuPy arrays, one backend per device.

Importing this module never fails on a machine without CUDA; ``probe``
answers whether GPUs are usable and, when not, why.
"""
from .base import Backend

try:  # CuPy is an optional extra
    import cupy
    import cupyx
    _IMPORT_ERROR = None
except Exception as exc:  # ImportError, or a broken CUDA install
    cupy = cupyx = None
    _IMPORT_ERROR = exc


def probe():
    """(number of usable GPUs, reason when there are none)."""
    if cupy is None:
        return 0, f"CuPy is not installed ({_IMPORT_ERROR}); install gpugrad[cuda12] or gpugrad[cuda13]"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no libcuda, driver too old, no device node
        return 0, f"CuPy is installed but the CUDA driver is not usable: {exc}"
    if count == 0:
        return 0, "CuPy and the CUDA driver are present but no CUDA device was found"
    return count, None


class CupyBackend(Backend):
    kind = "gpu"
    xp = cupy
    checks_indices = False

    def __init__(self, index=0, scoped=False):
        super().__init__(index)
        self.scoped = scoped
        self._device = cupy.cuda.Device(index)
        self._kernels = {}

    def asarray(self, value, dtype=None):
        with self._device:
            return cupy.asarray(value, dtype=dtype)

    def to_host(self, array):
        return cupy.asnumpy(array)

    def is_native(self, value):
        return isinstance(value, cupy.ndarray)

    def is_writable_contiguous(self, array):
        return type(array) is cupy.ndarray and array.flags.c_contiguous

    def contiguous(self, array):
        if type(array) is cupy.ndarray and array.flags.c_contiguous:
            return array
        return cupy.array(array, copy=True, order="C")

    def device_scope(self):
        return self._device

    def synchronize(self):
        self._device.synchronize()

    def to_dlpack_array(self, array):
        return array

    def from_dlpack(self, obj):
        with self._device:
            return cupy.from_dlpack(obj)

    def scatter_add(self, target, indices, updates):
        cupyx.scatter_add(target, indices, updates)
        return target

    def collectives(self, runtime):
        """NCCL between the run's GPUs, built on first use per run."""
        engine = runtime.engines.get(self.name)
        if engine is None:
            from .collectives import NcclCollectives
            engine = runtime.engines[self.name] = NcclCollectives(self, runtime)
        return engine

    def kernel(self, name, entry=None):
        """The CUDA twin in kernels/<name>/cuda.py (its function ``entry``, by
        default the one named like the kernel), compiled on first use."""
        key = name if entry is None else (name, entry)
        found = self._kernels.get(key)
        if found is None:
            from . import kernels
            found = getattr(kernels.load_module(name, "cuda"), entry or name)
            if self.scoped:  # run it on this backend's device
                inner = found

                def found(*args, **kwargs):
                    with self._device:
                        return inner(*args, **kwargs)
            self._kernels[key] = found
        return found

    def erf(self, x):
        return self.kernel("erf")(x)

    def _make_generator(self, key):
        with self._device:
            return cupy.random.default_rng(key)


