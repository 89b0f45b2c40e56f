"""``gpugrad.math``: TensorFlow's ``tf.math`` names."""
from .ops.math_ops import (  # noqa: F401
    add, subtract, multiply, divide, truediv, floordiv, floor_divide, floormod, mod, pow,
    maximum, minimum, squared_difference, equal, not_equal, less, less_equal, greater,
    greater_equal, logical_and, logical_or, logical_xor, logical_not, is_nan, is_finite,
    floor, ceil, round, negative, neg, exp, expm1, log, log1p, sqrt, rsqrt, reciprocal,
    square, sign, abs, sin, cos, tan, tanh, sigmoid, erf, reduce_sum, reduce_mean,
    reduce_max, reduce_min, reduce_prod, reduce_logsumexp, reduce_any, reduce_all,
    reduce_std, reduce_variance, argmax, argmin, add_n, cumsum, cumprod, cast, norm)
from .ops.nn_ops import softplus, log_softmax  # noqa: F401
