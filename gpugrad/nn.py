"""``gpugrad.nn``: TensorFlow's ``tf.nn`` names."""
from .ops.nn_ops import (  # noqa: F401
    relu, relu6, leaky_relu, elu, selu, softplus, softsign, silu, swish, gelu, softmax,
    log_softmax, sparse_softmax_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
    sigmoid_cross_entropy_with_logits, l2_loss, bias_add, dropout, moments)
from .ops.math_ops import sigmoid, tanh  # noqa: F401
from .ops.conv_ops import (  # noqa: F401
    conv2d, max_pool2d, max_pool, avg_pool2d, avg_pool)
