"""``gpugrad.keras.activations``: Keras 3's activations, by name or function."""
from ..ops import math_ops as M
from ..ops import nn_ops as N

__all__ = ["get", "serialize", "linear", "relu", "relu6", "leaky_relu", "elu", "selu",
           "gelu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus",
           "softsign", "silu", "swish", "mish", "exponential"]


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's relu: ``x`` above ``threshold``, ``negative_slope * (x -
    threshold)`` below, clipped at ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return N.relu(x)
    if negative_slope and max_value is None and threshold == 0.0:
        return N.leaky_relu(x, negative_slope)
    negative = N.relu(M.add(M.negative(x), float(threshold))) if negative_slope else None
    if threshold:
        y = M.multiply(x, M.cast(M.greater(x, float(threshold)), x.dtype))
    else:
        y = N.relu(x)
    if max_value is not None:
        y = M.clip_by_value(y, 0.0, float(max_value))
    if negative is not None:
        y = M.subtract(y, M.multiply(negative, float(negative_slope)))
    return y


def relu6(x):
    return N.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return N.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    y = N.elu(x)
    return y if alpha == 1.0 else M.where(M.greater(x, 0.0), y, M.multiply(y, alpha))


def selu(x):
    return N.selu(x)


def gelu(x, approximate=False):
    return N.gelu(x, approximate=approximate)


def sigmoid(x):
    return M.sigmoid(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6, Keras 3's definition."""
    return M.divide(N.relu6(M.add(x, 3.0)), 6.0)


def tanh(x):
    return M.tanh(x)


def softmax(x, axis=-1):
    return N.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return N.log_softmax(x, axis=axis)


def softplus(x):
    return N.softplus(x)


def softsign(x):
    return N.softsign(x)


def silu(x):
    return N.silu(x)


swish = silu


def mish(x):
    return M.multiply(x, M.tanh(N.softplus(x)))


def exponential(x):
    return M.exp(x)


_BY_NAME = {f.__name__: f for f in (
    linear, relu, relu6, leaky_relu, elu, selu, gelu, sigmoid, hard_sigmoid, tanh, softmax,
    log_softmax, softplus, softsign, silu, mish, exponential)}
_BY_NAME["swish"] = silu


def get(identifier):
    """The activation function for a name ('relu'), None ('linear') or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]
        except KeyError:
            raise ValueError(f"unknown activation {identifier!r}; known: "
                             f"{sorted(_BY_NAME)}") from None
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as an activation function")


def serialize(activation):
    """The name of a built-in activation, else the callable itself."""
    name = getattr(activation, "__name__", None)
    return name if _BY_NAME.get(name) is activation else activation
