"""Neural-network ops (``gpugrad.nn``): activations, softmax, losses.

Activations whose gradient needs one pass differentiate through their own
``*_grad`` op, which is where a fused kernel plugs in and which has its own
gradient for higher orders.
"""
import math

from ..errors import InvalidArgumentError
from .. import context
from ..registry import defop, defvjp, bind
from ._support import NO_PARAMS, tensor, like, shape_of, normalize_axis
from . import math_ops as M
from . import array_ops as A

# ------------------------------------------------------------ fused kernels
#: Arrays with fewer elements keep the ``xp`` formula: below this size a
#: kernel call costs more than the passes and temporaries it saves. One
#: constant for every fused kernel (kernels/<name>/); tests set it to 0.
FUSED_MIN_ELEMENTS = 32768
#: the row kernels (softmax, log-softmax and the cross-entropies) each replace
#: five or more numpy passes and a fancy index: they pay off at 1/64 of that
#: size (measured on 2 cores: 8.3 against 10.8 us at 64x10 logits, and 10.3
#: against 13.6 for the gradient; relu_grad's kernel wins only above ~16k)
ROW_KERNELS = frozenset({"softmax", "log_softmax", "sparse_xent", "sparse_xent_grad"})
ROW_KERNEL_DIVISOR = 64
_FUSED_DTYPE_CHARS = "efd"      # float16, float32, float64 (a dtype's name is slow to get)


def fused_kernel(backend, name, x, *same):
    """``backend.kernel(name)`` for an op whose main input is ``x``, or None
    where the op keeps its ``xp`` formula: ``x`` below FUSED_MIN_ELEMENTS
    elements or not a float array, inputs ``same`` of another dtype or shape
    than ``x``, or a backend without kernels."""
    limit = FUSED_MIN_ELEMENTS // ROW_KERNEL_DIVISOR if name in ROW_KERNELS else \
        FUSED_MIN_ELEMENTS
    if x.size < limit or x.dtype.char not in _FUSED_DTYPE_CHARS:
        return None
    for other in same:
        if other.dtype != x.dtype or other.shape != x.shape:
            return None
    return backend.kernel(name)


# -------------------------------------------------------------- activations
_relu = defop("relu")(lambda xp, x: xp.maximum(x, 0))


def _relu_grad_forward(b, y, dy):
    kernel = fused_kernel(b, "relu_grad", dy, y)
    if kernel is not None:
        return kernel(y, dy)
    # dy * (y > 0), as TensorFlow's ReluGrad: a multiply by the mask is one fast
    # pass where numpy's where() with a data-dependent mask is many times slower
    return b.xp.multiply(dy, y > 0, dtype=dy.dtype)


_relu_grad = defop("relu_grad", backend=True)(_relu_grad_forward)
defvjp(_relu, lambda ans, x: (lambda g: bind(_relu_grad, (ans, g), NO_PARAMS)))
defvjp(_relu_grad, None, lambda ans, y, dy: (lambda g: bind(_relu_grad, (y, g), NO_PARAMS)))


def relu(features, name=None):
    return bind(_relu, (tensor(features),), NO_PARAMS)


def relu6(features, name=None):
    return M.clip_by_value(features, 0.0, 6.0)


def _leaky_relu_forward(xp, x, alpha):
    if 0 <= alpha <= 1:  # max(x, alpha x) is the same thing, in one pass
        return xp.maximum(x, x * x.dtype.type(alpha))
    return xp.where(x > 0, x, x * x.dtype.type(alpha))


def _leaky_relu_grad_forward(b, x, dy, alpha):
    kernel = fused_kernel(b, "leaky_relu_grad", dy, x)
    if kernel is not None:
        return kernel(x, dy, alpha)
    t = dy.dtype.type
    return dy * ((x > 0).astype(dy.dtype) * t(1 - alpha) + t(alpha))


_leaky_relu = defop("leaky_relu")(_leaky_relu_forward)
_leaky_relu_grad = defop("leaky_relu_grad", backend=True)(_leaky_relu_grad_forward)
defvjp(_leaky_relu, lambda ans, x, alpha: (lambda g: bind(_leaky_relu_grad, (x, g), {"alpha": alpha})))
defvjp(_leaky_relu_grad, None,
       lambda ans, x, dy, alpha: (lambda g: bind(_leaky_relu_grad, (x, g), {"alpha": alpha})))


def leaky_relu(features, alpha=0.2, name=None):
    """x where x > 0, else alpha * x; the gradient at 0 is alpha (TensorFlow)."""
    return bind(_leaky_relu, (tensor(features),), {"alpha": float(alpha)})


def elu(features, name=None):
    x = tensor(features)
    return M.where(M.greater(x, 0.0), x, M.expm1(M.minimum(x, 0.0)))


def selu(features, name=None):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    x = tensor(features)
    return M.multiply(scale, M.where(M.greater(x, 0.0), x,
                                     M.multiply(alpha, M.expm1(M.minimum(x, 0.0)))))


_softplus = defop("softplus")(lambda xp, x: xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x))))
defvjp(_softplus, lambda ans, x: (lambda g: M.multiply(g, M.sigmoid(x))))


def softplus(features, name=None):
    """log(1 + exp(x)), computed without overflow; the gradient is sigmoid(x)."""
    return bind(_softplus, (tensor(features),), NO_PARAMS)


def softsign(features, name=None):
    x = tensor(features)
    return M.divide(x, M.add(M.abs(x), 1.0))


def silu(features, beta=1.0, name=None):
    x = tensor(features)
    return M.multiply(x, M.sigmoid(M.multiply(x, beta)))


swish = silu


_GELU_C = math.sqrt(2 / math.pi)  # the tanh form: u = c (x + k x^3)
_GELU_K = 0.044715


def _gelu_forward(b, x, approximate):
    # TensorFlow's arithmetic, step by step, but x^3 as x * x * x: numpy's
    # power(x, 3.0) calls pow() per element, 100 times slower (1 ulp apart)
    xp, t = b.xp, x.dtype.type
    if approximate:
        inner = t(_GELU_C) * (x + t(_GELU_K) * (x * x * x))
        return (t(0.5) * x) * (t(1.0) + xp.tanh(inner))
    return (t(0.5) * x) * (t(1.0) + b.erf(x * t(1 / math.sqrt(2))))


def _gelu_grad_forward(b, x, dy, approximate):
    """dy * gelu'(x), the formulas of kernels/gelu_grad/spec.md."""
    kernel = fused_kernel(b, "gelu_grad", dy, x)
    if kernel is not None:
        return kernel(x, dy, approximate)
    if x.dtype.name == "float16":  # as the kernels: x^3 and x^2 overflow float16
        wide = _gelu_grad_forward(b, x.astype("float32"), dy.astype("float32"), approximate)
        return wide.astype(x.dtype)
    xp, t = b.xp, x.dtype.type
    if approximate:
        # 1 + tanh(u) and 1 - tanh(u)^2 from q = exp(-2|u|): no cancellation.
        # 1 + tanh(u) is 2r for u >= 0, else 2rq: selected by min(q + 1, 1)
        # or min(q, 1), where numpy's where() branches on a random mask, slowly
        x2 = x * x
        u = t(_GELU_C) * (x + t(_GELU_K) * x2 * x)
        q = xp.exp(t(-2.0) * xp.abs(u))
        r = t(1.0) / (t(1.0) + q)
        one_plus_t = t(2.0) * r * xp.minimum(q + (u >= 0), t(1.0))
        sech2 = t(4.0) * q * r * r
        du = t(_GELU_C) * (t(1.0) + t(3 * _GELU_K) * x2)
        return dy * (t(0.5) * one_plus_t + t(0.5) * x * sech2 * du)
    cdf = t(0.5) * (t(1.0) + b.erf(x * t(1 / math.sqrt(2))))
    pdf = xp.exp(t(-0.5) * x * x) * t(1 / math.sqrt(2 * math.pi))
    return dy * (cdf + x * pdf)


def _gelu_second(x, approximate):
    """gelu''(x), written with gpugrad ops (differentiable again)."""
    x2 = M.square(x)
    if not approximate:  # phi(x) (2 - x^2)
        phi = M.multiply(M.exp(M.multiply(x2, -0.5)), 1 / math.sqrt(2 * math.pi))
        return M.multiply(phi, M.subtract(2.0, x2))
    # (1 - t^2) (u' - x t u'^2 + x u''/2), u' = c (1 + 3k x^2), u'' = 6 c k x
    t = M.tanh(M.multiply(_GELU_C, M.add(x, M.multiply(_GELU_K, M.multiply(x2, x)))))
    du = M.multiply(_GELU_C, M.add(1.0, M.multiply(3 * _GELU_K, x2)))
    inner = M.add(M.subtract(du, M.multiply(M.multiply(x, t), M.square(du))),
                  M.multiply(3 * _GELU_C * _GELU_K, x2))
    return M.multiply(M.subtract(1.0, M.square(t)), inner)


_gelu = defop("gelu", backend=True)(_gelu_forward)
_gelu_grad = defop("gelu_grad", backend=True)(_gelu_grad_forward)
defvjp(_gelu, lambda ans, x, approximate: (lambda g: bind(
    _gelu_grad, (x, g), {"approximate": approximate})))
defvjp(_gelu_grad,
       lambda ans, x, dy, approximate: (lambda g: M.multiply(
           M.multiply(g, dy), _gelu_second(x, approximate))),
       lambda ans, x, dy, approximate: (lambda g: bind(
           _gelu_grad, (x, g), {"approximate": approximate})))


def gelu(features, approximate=False, name=None):
    """x * Phi(x); ``approximate=True`` uses the tanh form. One op, whose
    gradient is one op (``gelu_grad``) in both forms."""
    x = tensor(features)
    if not x.dtype.is_floating:
        raise InvalidArgumentError(f"gelu: features must be a floating-point tensor, got "
                                   f"{x.dtype.name}")
    return bind(_gelu, (x,), {"approximate": bool(approximate)})


# ------------------------------------------------------------------ softmax
def _softmax_forward(b, x, axis):
    kernel = fused_kernel(b, "softmax", x) if axis == x.ndim - 1 else None
    if kernel is not None:
        return kernel(x)
    xp = b.xp
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _log_softmax_forward(b, x, axis):
    kernel = fused_kernel(b, "log_softmax", x) if axis == x.ndim - 1 else None
    if kernel is not None:
        return kernel(x)
    xp = b.xp
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


_softmax = defop("softmax", backend=True)(_softmax_forward)
_log_softmax = defop("log_softmax", backend=True)(_log_softmax_forward)
defvjp(_softmax, lambda ans, x, axis: (lambda g: M.multiply(
    M.subtract(g, M.reduce_sum(M.multiply(g, ans), axis, keepdims=True)), ans)))
defvjp(_log_softmax, lambda ans, x, axis: (lambda g: M.subtract(
    g, M.multiply(M.exp(ans), M.reduce_sum(g, axis, keepdims=True)))))


def softmax(logits, axis=None, name=None):
    x = tensor(logits)
    return bind(_softmax, (x,), {"axis": normalize_axis(-1 if axis is None else axis, x.ndim, "softmax")})


def log_softmax(logits, axis=None, name=None):
    x = tensor(logits)
    return bind(_log_softmax, (x,), {"axis": normalize_axis(-1 if axis is None else axis, x.ndim,
                                                            "log_softmax")})


# ------------------------------------------------------------------- losses
def _rows(b, labels, depth):
    """(row indices, labels, rows whose label is out of range or None): the
    backends that do not check labels first (GPUs) give those rows nan, as
    TensorFlow does and as the kernels do."""
    xp = b.xp
    flat = labels.reshape(-1)
    bad = None
    if not b.checks_indices:
        bad = (flat < 0) | (flat >= depth)
        flat = xp.where(bad, 0, flat)
    return xp.arange(flat.size), flat, bad


def _sparse_xent_forward(b, logits, labels):
    kernel = fused_kernel(b, "sparse_xent", logits)
    if kernel is not None:
        return kernel(logits, labels)
    xp = b.xp
    depth = logits.shape[-1]
    shifted = logits.reshape(-1, depth) - xp.max(logits.reshape(-1, depth), axis=-1, keepdims=True)
    log_z = xp.log(xp.sum(xp.exp(shifted), axis=-1))
    rows, flat, bad = _rows(b, labels, depth)
    loss = log_z - shifted[rows, flat]
    if bad is not None:
        loss = xp.where(bad, loss.dtype.type(float("nan")), loss)
    return loss.reshape(labels.shape)


def _sparse_xent_grad_forward(b, logits, labels, g):
    """(softmax(logits) - one_hot(labels)) * g[..., None], in one op."""
    kernel = fused_kernel(b, "sparse_xent_grad", logits)
    if kernel is not None:
        return kernel(logits, labels, g)
    xp = b.xp
    depth = logits.shape[-1]
    flat = logits.reshape(-1, depth)
    e = xp.exp(flat - xp.max(flat, axis=-1, keepdims=True))
    e /= xp.sum(e, axis=-1, keepdims=True)
    rows, index, bad = _rows(b, labels, depth)
    e[rows, index] -= 1
    e *= g.reshape(-1, 1)
    if bad is not None:
        e[bad] = float("nan")
    return e.reshape(logits.shape)


_sparse_xent = defop("sparse_softmax_cross_entropy_with_logits", backend=True)(_sparse_xent_forward)
_sparse_xent_grad = defop("sparse_softmax_cross_entropy_grad", backend=True)(_sparse_xent_grad_forward)
defvjp(_sparse_xent, lambda ans, logits, labels: (lambda g: bind(
    _sparse_xent_grad, (logits, labels, g), NO_PARAMS)), None)


def _xent_grad_dlogits(ans, logits, labels, g):
    # d/dlogits of softmax(logits) * g: softmax's VJP applied to gg * g
    def vjp(gg):
        s = softmax(logits)
        u = M.multiply(gg, A.expand_dims(g, -1))
        return M.multiply(s, M.subtract(u, M.reduce_sum(M.multiply(u, s), -1, keepdims=True)))
    return vjp


def _xent_grad_dg(ans, logits, labels, g):
    def vjp(gg):
        s = softmax(logits)
        hot = A.one_hot(labels, shape_of(logits)[-1], dtype=logits.dtype)
        return M.reduce_sum(M.multiply(gg, M.subtract(s, hot)), -1)
    return vjp


defvjp(_sparse_xent_grad, _xent_grad_dlogits, None, _xent_grad_dg)


@context.graph_function("SparseSoftmaxCrossEntropyWithLogits", retry_unknown=True)
def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """-log softmax(logits)[label] per example; labels are class indices."""
    logits = tensor(logits)
    labels = tensor(labels)
    if not labels.dtype.is_integer:
        raise InvalidArgumentError(f"sparse_softmax_cross_entropy_with_logits: labels must be "
                                   f"int32 or int64, got {labels.dtype.name}")
    if shape_of(labels) != shape_of(logits)[:-1]:
        raise InvalidArgumentError(
            f"sparse_softmax_cross_entropy_with_logits: labels of shape {list(shape_of(labels))} "
            f"must match logits of shape {list(shape_of(logits))} without the last dimension")
    depth = shape_of(logits)[-1]
    # a graph tensor has no values yet: the forward checks them when it runs
    host = labels.numpy() if labels._backend.checks_indices and \
        not getattr(labels, "_symbolic", False) else None
    if host is not None and host.size and (host.min() < 0 or host.max() >= depth):
        bad = host.max() if host.max() >= depth else host.min()
        raise InvalidArgumentError(f"sparse_softmax_cross_entropy_with_logits: received a label "
                                   f"value of {int(bad)} which is outside the valid range of "
                                   f"[0, {depth})")
    return bind(_sparse_xent, (logits, labels), NO_PARAMS)


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)); differentiable in both arguments."""
    logits = tensor(logits)
    labels = like(labels, logits)
    return M.negative(M.reduce_sum(M.multiply(labels, log_softmax(logits, axis)), axis))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x*z + log(1 + exp(-|x|)), TensorFlow's stable form (its
    gradient at x = 0 is sigmoid(0) - z)."""
    x = tensor(logits)
    z = like(labels, x)
    positive = M.greater_equal(x, 0.0)
    relu_x = M.where(positive, x, 0.0)
    neg_abs = M.where(positive, M.negative(x), x)
    return M.add(M.subtract(relu_x, M.multiply(x, z)), M.log1p(M.exp(neg_abs)))


def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    return M.multiply(M.reduce_sum(M.square(tensor(t))), 0.5)


# ----------------------------------------------------------------- bias_add
_bias_add = defop("bias_add")(lambda xp, x, b, axis: x + b.reshape(
    (-1,) + (1,) * (x.ndim - 1 - axis)) if axis != x.ndim - 1 else x + b)


def _bias_add_grad_forward(b, g, axis):
    kernel = fused_kernel(b, "bias_add_grad", g)
    if kernel is not None:
        return kernel(g, axis)
    return b.xp.sum(g, axis=tuple(i for i in range(g.ndim) if i != axis))


_bias_add_grad = defop("bias_add_grad", backend=True)(_bias_add_grad_forward)
defvjp(_bias_add, lambda ans, x, b, axis: A.identity,
       lambda ans, x, b, axis: (lambda g: bind(_bias_add_grad, (g,), {"axis": axis})))
defvjp(_bias_add_grad, lambda ans, g, axis: (lambda gg, s=shape_of(g): A.broadcast_to(
    A.reshape(gg, [-1 if i == axis else 1 for i in range(len(s))]), s)))


@context.graph_function("BiasAdd", retry_unknown=True)
def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis (last, or 1 for 'NC...' formats)."""
    x = tensor(value)
    b = like(bias, x)
    axis = 1 if data_format and data_format.startswith("NC") else x.ndim - 1
    if b.ndim != 1 or shape_of(b)[0] != shape_of(x)[axis]:
        raise InvalidArgumentError(f"bias_add: bias of shape {list(shape_of(b))} must be 1-D with "
                                   f"{shape_of(x)[axis]} entries to match value of shape "
                                   f"{list(shape_of(x))}")
    return bind(_bias_add, (x, b), {"axis": axis})


# ------------------------------------------------------------------ dropout
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero elements with probability ``rate``; scale the rest by 1/(1-rate)."""
    x = tensor(x)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    if rate == 0:
        return x
    return M.multiply(M.divide(x, 1.0 - rate), _keep_mask(x, rate, noise_shape, seed))


@context.graph_function("DropoutMask", differentiable=False)
def _keep_mask(x, rate, noise_shape, seed):
    # one node in a graph: the mask is drawn at run time, at the fed shape
    from .. import random
    from ..backend import device
    shape = list(shape_of(x)) if noise_shape is None else list(noise_shape)
    with device(x._backend):
        keep = M.greater_equal(random.uniform(shape, dtype=x.dtype, seed=seed), rate)
    return M.cast(keep, x.dtype)


def moments(x, axes, shift=None, keepdims=False, name=None):
    mean = M.reduce_mean(x, axes, keepdims=True)
    variance = M.reduce_mean(M.square(M.subtract(x, mean)), axes, keepdims=True)
    if not keepdims:
        mean = A.squeeze(mean, axes)
        variance = A.squeeze(variance, axes)
    return mean, variance
