"""gelu_grad on NVIDIA GPUs: the functions in cuda.cu, one per dtype."""
import cupy

from .._cuda import function, grid


def gelu_grad(x, dy, approximate):
    x, dy = cupy.ascontiguousarray(x), cupy.ascontiguousarray(dy)
    out = cupy.empty_like(dy)
    if out.size:
        blocks, threads = grid(out.size)
        function(__file__, f"gelu_grad_{dy.dtype.name}")(
            blocks, threads, (x, dy, out, cupy.int32(bool(approximate)), cupy.int64(out.size)))
    return out
