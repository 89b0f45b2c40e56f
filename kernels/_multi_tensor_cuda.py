"""The GPU side of _multi_tensor.py: pointer and chunk tables on the device,
one block per chunk."""
import functools

import cupy

from ._cuda import function

CHUNK = 1 << 16
THREADS = 512


@functools.lru_cache(maxsize=256)
def _chunks(sizes, device):
    rows = [v for t, n in enumerate(sizes) for lo in range(0, n, CHUNK)
            for v in (t, lo, min(lo + CHUNK, n))]
    return cupy.asarray(rows, dtype=cupy.int64), len(rows) // 3


def run(kernel_file, name, roles, hyper):
    """Launch ``<name>_<dtype>`` over lists of contiguous CuPy arrays."""
    params = roles[0]
    if not params:
        return
    sizes = tuple(a.size for a in params)
    host = [a.data.ptr for arrays in roles for a in (params if arrays is None else arrays)]
    table = cupy.asarray(host, dtype=cupy.int64)
    chunks, count = _chunks(sizes, cupy.cuda.Device().id)
    if count == 0:
        return
    h = cupy.asarray(hyper, dtype=cupy.float64)
    fn = function(kernel_file, f"{name}_{params[0].dtype.name}")
    fn((count,), (THREADS,), (table, cupy.int32(len(params)), chunks, h))
