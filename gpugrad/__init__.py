"""gpugrad: array autodiff with TensorFlow's programming model, on NVIDIA GPUs
through CuPy and on the CPU through numpy: the same program on either.

    import gpugrad as tf
    w = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        loss = (w * 3.0 - 6.0) ** 2
    tape.gradient(loss, w)
"""
from . import backend as _backend
from .backend import device, list_devices, DeviceError
from .dtypes import (DType, as_dtype, float16, float32, float64, half, double,  # noqa: F401
                     int32, int64, bool_ as bool)
from .shape import TensorShape
from .tensor import Tensor, constant, convert_to_tensor, is_tensor
from .variable import Variable, assign, assign_add, assign_sub
from .tape import GradientTape, UnconnectedGradients
from .custom_gradient import custom_gradient
from . import errors, nest, ops
from .ops.math_ops import (  # noqa: F401
    add, subtract, multiply, divide, truediv, floordiv, floormod, pow, maximum, minimum,
    equal, not_equal, less, less_equal, greater, greater_equal, logical_and, logical_or,
    logical_not, negative, exp, log, log1p, sqrt, rsqrt, square, sign, abs, sin, cos, tan,
    tanh, sigmoid, where, clip_by_value, cast, reduce_sum, reduce_mean, reduce_max,
    reduce_min, reduce_prod, reduce_logsumexp, reduce_any, reduce_all, argmax, argmin,
    add_n, matmul, tensordot, einsum, cumsum, cumprod, round, floor, ceil, norm)
from .ops.array_ops import (  # noqa: F401
    zeros, ones, fill, zeros_like, ones_like, range, linspace, eye, one_hot, reshape,
    expand_dims, squeeze, transpose, broadcast_to, tile, concat, stack, split, unstack,
    gather, gather_nd, pad, identity, stop_gradient, shape, size, rank)
from . import math, linalg, nn, random, config, experimental, extend  # noqa: E402
from . import optimizers, keras, distributed  # noqa: E402
from .graph import (  # noqa: F401,E402
    Graph, Operation, Session, placeholder, placeholder_with_default, get_default_graph,
    reset_default_graph, name_scope, control_dependencies, gradients, group, no_op, tuple,
    global_variables, trainable_variables, global_variables_initializer, variables_initializer,
    local_variables_initializer, initialize_all_variables, get_default_session,
    executing_eagerly, disable_eager_execution, enable_eager_execution)
# TensorFlow 1 spellings at the top level, for `import gpugrad as tf` in TF1 code
from .random import (normal as random_normal, uniform as random_uniform,  # noqa: F401,E402
                     truncated_normal, set_seed as set_random_seed)
from .graph import InteractiveSession  # noqa: F401,E402
from .function import function, TensorSpec, cond, while_loop, print_ as print  # noqa: F401,E402,A001
from . import train, compat  # noqa: E402  (compat.v1 copies the names above)
from .ops.nn_ops import softplus as _softplus  # noqa: F401

newaxis = None
__version__ = "0.1.0"


def get_device():
    """The device new tensors are created on ('cpu:0', 'gpu:0', ...)."""
    return _backend.current().name


def from_dlpack(obj):
    return experimental.dlpack.from_dlpack(obj)


def to_dlpack(tensor):
    return experimental.dlpack.to_dlpack(tensor)
