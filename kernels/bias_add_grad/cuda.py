"""bias_add_grad on NVIDIA GPUs: the functions in cuda.cu (runs, columns,
finish), one set per dtype; see spec.md."""
import math

import cupy

from .._cuda import function, grid

#: rows summed by one thread of ``columns`` before its partial sum is stored
ROWS_PER_CHUNK = 64


def bias_add_grad(g, axis):
    g = cupy.ascontiguousarray(g)
    name = g.dtype.name
    work = cupy.float64 if g.dtype == cupy.float64 else cupy.float32
    channels = g.shape[axis]
    outer = math.prod(g.shape[:axis])
    inner = math.prod(g.shape[axis + 1:])
    out = cupy.empty(channels, g.dtype)
    if channels == 0:
        return out
    rows, rows_name = g, name
    if inner != 1 and outer:  # inner == 0 too: runs of nothing sum to 0
        count = outer * channels
        rows = cupy.empty(count, work)
        blocks, threads = grid(count * 32)  # one warp per run
        function(__file__, f"runs_{name}")(blocks, threads, (g, rows, cupy.int64(count), cupy.int64(inner)))
        rows_name = "float64" if work is cupy.float64 else "float32"
    chunks = max(1, -(-outer // ROWS_PER_CHUNK))
    partial = cupy.empty((chunks, channels), work)
    if outer:
        threads = 256
        blocks = ((channels + threads - 1) // threads, min(chunks, 65535))
        function(__file__, f"columns_{rows_name}")(
            blocks, (threads,), (rows, partial, cupy.int64(outer), cupy.int64(channels),
                                 cupy.int64(ROWS_PER_CHUNK)))
    else:
        partial.fill(0)
    blocks, threads = grid(channels)
    function(__file__, f"finish_{name}")(blocks, threads, (partial, out, cupy.int64(chunks), cupy.int64(channels)))
    return out
