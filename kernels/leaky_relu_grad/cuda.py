"""leaky_relu_grad on NVIDIA GPUs: the functions in cuda.cu, one per dtype."""
import cupy

from .._cuda import function, grid


def leaky_relu_grad(x, dy, alpha):
    x, dy = cupy.ascontiguousarray(x), cupy.ascontiguousarray(dy)
    out = cupy.empty_like(dy)
    if out.size:
        blocks, threads = grid(out.size)
        function(__file__, f"leaky_relu_grad_{dy.dtype.name}")(
            blocks, threads, (x, dy, out, cupy.float64(alpha), cupy.int64(out.size)))
    return out
