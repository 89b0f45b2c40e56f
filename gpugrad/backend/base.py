"""The interface every device implements.

A backend is one device: its array namespace (``xp``), transfers to and from
the host, DLPack, random generators and the few helpers whose spelling
differs between numpy and CuPy. Layers above ask a backend for what it can
do; they never look at which array library sits underneath.
"""


class Backend:
    #: 'cpu' or 'gpu'
    kind = None
    #: the array namespace: numpy or cupy
    xp = None
    #: True when ops must run inside a device scope (several GPUs)
    scoped = False
    #: True where checking index values costs no device synchronisation: out
    #: of range labels then raise; elsewhere (GPUs, as in TensorFlow) they give NaN
    checks_indices = True

    def __init__(self, index=0):
        self.index = index
        self.name = f"{self.kind}:{index}"
        self._dtype_cache = {}
        self._generators = {}

    def __repr__(self):
        return f"<gpugrad backend {self.name}>"

    # ------------------------------------------------------------------ dtypes
    def dtype_name(self, array):
        """The gpugrad dtype name ('float32', ...) of an array."""
        dt = array.dtype
        try:
            return self._dtype_cache[dt]
        except KeyError:
            name = dt.name
            self._dtype_cache[dt] = name
            return name

    def native_dtype(self, name):
        return self.xp.dtype(name)

    # ------------------------------------------------------------- transfers
    def asarray(self, value, dtype=None):
        """A device array from host data (Python values or numpy arrays)."""
        raise NotImplementedError

    def to_host(self, array):
        """A host numpy array (may share memory on the CPU)."""
        raise NotImplementedError

    def is_native(self, value):
        """True when ``value`` is an array of this backend's kind."""
        raise NotImplementedError

    def device_scope(self):
        raise NotImplementedError

    def synchronize(self):
        pass

    # ---------------------------------------------------------------- dlpack
    def from_dlpack(self, obj):
        return self.xp.from_dlpack(obj)

    def to_dlpack_array(self, array):
        """An array exposing ``__dlpack__`` (numpy scalars are wrapped)."""
        return self.xp.asarray(array)

    # ------------------------------------------------------- in-place updates
    def is_writable_contiguous(self, array):
        """True when kernels may update ``array`` in place."""
        raise NotImplementedError

    def contiguous_copy(self, array):
        """A private, C-contiguous, writable copy (0-d stays 0-d)."""
        return self.xp.array(array, copy=True, order="C")

    def contiguous(self, array):
        """``array`` itself when it is a C-contiguous device array, else a
        contiguous copy: kernels read flat buffers."""
        raise NotImplementedError

    # --------------------------------------------------------------- helpers
    def scatter_add(self, target, indices, updates):
        """target[indices] += updates, accumulating repeated indices."""
        raise NotImplementedError

    def erf(self, x):
        """The error function, elementwise (float16/32/64)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- random
    def generator(self, key):
        """The random generator for a (global seed, op seed) key."""
        gen = self._generators.get(key)
        if gen is None:
            gen = self._generators[key] = self._make_generator(key)
        return gen

    def reset_generators(self):
        self._generators.clear()

    def _make_generator(self, key):
        raise NotImplementedError

    # --------------------------------------------------------------- kernels
    def kernel(self, name, entry=None):
        """A compiled fused kernel for this device (its function ``entry``,
        by default the one named like the kernel), or None to use the ``xp``
        formula. Kernels arrive with the fused-kernel layer."""
        return None

    # ------------------------------------------------------------ collectives
    def collectives(self, runtime):
        """The collective engine for this device's arrays in a distributed
        ``runtime`` (gpugrad.distributed): MPI on host memory, NCCL between
        GPUs. See ``gpugrad/backend/collectives.py``."""
        raise NotImplementedError(f"{self.name} has no collective engine")
