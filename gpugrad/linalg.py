"""``gpugrad.linalg``: TensorFlow's ``tf.linalg`` names."""
from .ops.math_ops import matmul, tensordot, einsum, norm  # noqa: F401
from .ops.array_ops import eye, transpose  # noqa: F401

matrix_transpose = lambda a, name=None: transpose(a, list(range(a.ndim - 2)) + [a.ndim - 1, a.ndim - 2])  # noqa: E731
