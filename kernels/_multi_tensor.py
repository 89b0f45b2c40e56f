"""Many tensors, one launch: what the optimizer kernels share.

An optimizer updates every variable of one device and dtype in a single
kernel launch. The tensors are described by a *pointer table* (one row per
role -- parameter, gradient, each slot -- one column per tensor) and a *chunk
table* (tensor, start, stop) that splits the work evenly, whatever the sizes.
The CPU twins walk the chunks with numba's prange; the CUDA twins give each
chunk to one block (see multi_tensor.cuh). Nothing is copied into an arena:
each element of each buffer is read and written once.
"""
import ctypes
import functools

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._threads import pick

#: elements per chunk: large enough to amortise a chunk's setup, small
#: enough that 200 small variables still spread over every core
CHUNK = 1 << 16


@intrinsic
def _as_pointer(typingctx, address):
    signature = types.voidptr(address)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)
    return signature, codegen


@numba.njit(inline="always")
def view(table, role, tensor, sizes, sample):
    """The 1-D array at table[role, tensor], of sample's dtype."""
    return numba.carray(_as_pointer(table[role, tensor]), (sizes[tensor],), sample.dtype)


@functools.lru_cache(maxsize=256)
def _chunks(sizes, chunk):
    rows = [(t, lo, min(lo + chunk, n)) for t, n in enumerate(sizes) for lo in range(0, n, chunk)]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _interface_address(array):
    return array.__array_interface__["data"][0]


def _struct_reader():
    """Read an ndarray's data pointer straight from numpy's C struct
    (``PyArrayObject_fields.data``, right after the object header): 0.1 us
    where ``__array_interface__`` takes 0.9, which adds up over hundreds of
    buffers per step. Used only if it agrees with ``__array_interface__``."""
    offset = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
    read = ctypes.c_void_p.from_address

    def address(array):
        return read(id(array) + offset).value
    probes = [np.zeros(3, np.float32), np.ones((2, 5))[1:], np.empty(0)]
    if all(address(a) == _interface_address(a) for a in probes if a.size):
        return address
    return _interface_address


address = _struct_reader()


def tables(roles, chunk=CHUNK):
    """(pointer table, sizes, chunk table) for lists of same-shaped arrays;
    a role given as None points at the parameters (an unused slot)."""
    params = roles[0]
    sizes = tuple(a.size for a in params)
    table = np.empty((len(roles), len(params)), dtype=np.int64)
    for r, arrays in enumerate(roles):
        table[r] = [address(a) for a in (params if arrays is None else arrays)]
    return table, np.array(sizes, dtype=np.int64), _chunks(sizes, chunk)


def compute_dtype(dtype):
    """float16 updates run in float32; float32 and float64 in themselves."""
    return np.float64 if dtype == np.float64 else np.float32


def run(launches, roles, hyper):
    """Call a launch ``(table, sizes, chunks, sample, hyper)`` over ``roles``
    (lists of contiguous arrays, parameters first): the parallel one of
    ``launches`` for large work, the serial one for small (see _threads.py).
    float16 is handled by updating float32 copies and writing them back."""
    params = roles[0]
    if not params:
        return
    launch = pick(launches, sum(a.size for a in params))
    dtype = params[0].dtype
    work = compute_dtype(dtype)
    hyper = np.asarray(hyper, dtype=work)
    if dtype == work:
        table, sizes, chunks = tables(roles)
        launch(table, sizes, chunks, np.empty(0, work), hyper)
        return
    wide = [None if arrays is None else [a.astype(work) for a in arrays] for arrays in roles]
    table, sizes, chunks = tables(wide)
    launch(table, sizes, chunks, np.empty(0, work), hyper)
    for narrow, widened in zip(roles, wide):
        if narrow is not None and narrow is not roles[1]:  # gradients are inputs
            for a, b in zip(narrow, widened):
                np.copyto(a, b, casting="unsafe")
