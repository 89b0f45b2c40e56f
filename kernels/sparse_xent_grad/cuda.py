"""The gradient of the sparse softmax cross-entropy on NVIDIA GPUs: the
functions in cuda.cu, one per dtype, one block per row."""
import cupy

from .._cuda import function
from ..softmax.cuda import row_grid, rows_of


def sparse_xent_grad(logits, labels, g):
    logits = cupy.ascontiguousarray(logits)
    flat = cupy.ascontiguousarray(labels, dtype=cupy.int64)
    g = cupy.ascontiguousarray(g, dtype=logits.dtype)
    out = cupy.empty_like(logits)
    rows, depth = rows_of(logits)
    if out.size:
        blocks, threads = row_grid(rows, depth)
        function(__file__, f"sparse_xent_grad_{logits.dtype.name}")(
            blocks, threads, (logits, flat, g, out, cupy.int64(rows), cupy.int64(depth)))
    return out
