"""Elementwise math, reductions and linear algebra.

Each op: a forward against ``xp`` (numpy or CuPy), then its VJP makers,
written with gpugrad ops so they are themselves differentiable.
"""
import functools
import math

from ..dtypes import as_dtype
from ..errors import InvalidArgumentError
from .. import context
from ..registry import defop, defvjp, defvjp_all, bind
from ..tensor import Tensor
from ._support import NO_PARAMS, tensor, pair, unbroadcast, shape_of, normalize_axis


def _unary(op):
    def apply(x, name=None):
        return bind(op, (x if type(x) is Tensor else tensor(x),), NO_PARAMS)
    apply.__name__ = op.name
    apply.__doc__ = f"Elementwise {op.name}; differentiable."
    return apply


def _binary(op):
    def apply(x, y, name=None):
        return bind(op, pair(x, y, op.name), NO_PARAMS)
    apply.__name__ = op.name
    apply.__doc__ = f"Elementwise {op.name} with broadcasting; differentiable."
    return apply


def _grad_to(x):
    """A VJP piece that undoes broadcasting back to ``x``'s shape."""
    shape = shape_of(x)
    return lambda g: unbroadcast(g, shape)


# ------------------------------------------------------------------ binary
_add = defop("add")(lambda xp, x, y: xp.add(x, y))
defvjp(_add, lambda ans, x, y: _grad_to(x), lambda ans, x, y: _grad_to(y))
add = _binary(_add)

_subtract = defop("subtract")(lambda xp, x, y: xp.subtract(x, y))
defvjp(_subtract, lambda ans, x, y: _grad_to(x),
       lambda ans, x, y: (lambda g, s=shape_of(y): unbroadcast(negative(g), s)))
subtract = _binary(_subtract)

_multiply = defop("multiply")(lambda xp, x, y: xp.multiply(x, y))
defvjp(_multiply,
       lambda ans, x, y: (lambda g, s=shape_of(x): unbroadcast(multiply(g, y), s)),
       lambda ans, x, y: (lambda g, s=shape_of(y): unbroadcast(multiply(g, x), s)))
multiply = _binary(_multiply)

_divide = defop("divide")(lambda xp, x, y: xp.true_divide(x, y))
defvjp(_divide,
       lambda ans, x, y: (lambda g, s=shape_of(x): unbroadcast(divide(g, y), s)),
       lambda ans, x, y: (lambda g, s=shape_of(y):
                          unbroadcast(negative(multiply(g, divide(ans, y))), s)))
divide = truediv = _binary(_divide)

def _check_int_divisor(xp, y):
    if y.dtype.kind in "iu" and bool((y == 0).any()):
        raise ValueError("integer division by zero")


def _floordiv_forward(xp, x, y):
    _check_int_divisor(xp, y)
    return xp.floor_divide(x, y)


def _floormod_forward(xp, x, y):
    _check_int_divisor(xp, y)
    return xp.remainder(x, y)


_floordiv = defop("floordiv", differentiable=False)(_floordiv_forward)
floordiv = floor_divide = _binary(_floordiv)

_floormod = defop("floormod")(_floormod_forward)
defvjp(_floormod, lambda ans, x, y: _grad_to(x),
       lambda ans, x, y: (lambda g, s=shape_of(y):
                          unbroadcast(negative(multiply(g, floor(divide(x, y)))), s)))
floormod = mod = _binary(_floormod)

_pow = defop("pow")(lambda xp, x, y: xp.power(x, y))


def _pow_dy(ans, x, y):
    def vjp(g, s=shape_of(y)):
        safe_log = where(greater(x, 0), log(where(greater(x, 0), x, 1)), 0)
        return unbroadcast(multiply(g, multiply(ans, safe_log)), s)
    return vjp


defvjp(_pow, lambda ans, x, y: (lambda g, s=shape_of(x):
                                unbroadcast(multiply(g, multiply(y, pow(x, subtract(y, 1)))), s)),
       _pow_dy)
pow = _binary(_pow)

_maximum = defop("maximum")(lambda xp, x, y: xp.maximum(x, y))
_minimum = defop("minimum")(lambda xp, x, y: xp.minimum(x, y))
# ties go to x, as in TensorFlow (x >= y for maximum, x <= y for minimum)
defvjp(_maximum,
       lambda ans, x, y: (lambda g, s=shape_of(x): unbroadcast(where(greater_equal(x, y), g, 0.0), s)),
       lambda ans, x, y: (lambda g, s=shape_of(y): unbroadcast(where(greater_equal(x, y), 0.0, g), s)))
defvjp(_minimum,
       lambda ans, x, y: (lambda g, s=shape_of(x): unbroadcast(where(less_equal(x, y), g, 0.0), s)),
       lambda ans, x, y: (lambda g, s=shape_of(y): unbroadcast(where(less_equal(x, y), 0.0, g), s)))
maximum = _binary(_maximum)
minimum = _binary(_minimum)

_squared_difference = defop("squared_difference")(lambda xp, x, y: xp.square(x - y))
defvjp(_squared_difference,
       lambda ans, x, y: (lambda g, s=shape_of(x):
                          unbroadcast(multiply(g, multiply(2.0, subtract(x, y))), s)),
       lambda ans, x, y: (lambda g, s=shape_of(y):
                          unbroadcast(multiply(g, multiply(-2.0, subtract(x, y))), s)))
squared_difference = _binary(_squared_difference)

# ------------------------------------------------------------- comparisons
def _comparison(name, fn):
    op = defop(name, differentiable=False)(fn)
    return _binary(op)


equal = _comparison("equal", lambda xp, x, y: xp.equal(x, y))
not_equal = _comparison("not_equal", lambda xp, x, y: xp.not_equal(x, y))
less = _comparison("less", lambda xp, x, y: xp.less(x, y))
less_equal = _comparison("less_equal", lambda xp, x, y: xp.less_equal(x, y))
greater = _comparison("greater", lambda xp, x, y: xp.greater(x, y))
greater_equal = _comparison("greater_equal", lambda xp, x, y: xp.greater_equal(x, y))
logical_and = _comparison("logical_and", lambda xp, x, y: xp.logical_and(x, y))
logical_or = _comparison("logical_or", lambda xp, x, y: xp.logical_or(x, y))
logical_xor = _comparison("logical_xor", lambda xp, x, y: xp.logical_xor(x, y))
logical_not = _unary(defop("logical_not", differentiable=False)(lambda xp, x: xp.logical_not(x)))
is_nan = _unary(defop("is_nan", differentiable=False)(lambda xp, x: xp.isnan(x)))
is_finite = _unary(defop("is_finite", differentiable=False)(lambda xp, x: xp.isfinite(x)))
floor = _unary(defop("floor", differentiable=False)(lambda xp, x: xp.floor(x)))
ceil = _unary(defop("ceil", differentiable=False)(lambda xp, x: xp.ceil(x)))
round = _unary(defop("round", differentiable=False)(lambda xp, x: xp.round(x)))

# ------------------------------------------------------------------- unary
_negative = defop("negative")(lambda xp, x: xp.negative(x))
defvjp(_negative, lambda ans, x: negative)
negative = neg = _unary(_negative)

_exp = defop("exp")(lambda xp, x: xp.exp(x))
defvjp(_exp, lambda ans, x: (lambda g: multiply(g, ans)))
exp = _unary(_exp)

_expm1 = defop("expm1")(lambda xp, x: xp.expm1(x))
defvjp(_expm1, lambda ans, x: (lambda g: multiply(g, add(ans, 1.0))))
expm1 = _unary(_expm1)

_log = defop("log")(lambda xp, x: xp.log(x))
defvjp(_log, lambda ans, x: (lambda g: divide(g, x)))
log = _unary(_log)

_log1p = defop("log1p")(lambda xp, x: xp.log1p(x))
defvjp(_log1p, lambda ans, x: (lambda g: divide(g, add(x, 1.0))))
log1p = _unary(_log1p)

_sqrt = defop("sqrt")(lambda xp, x: xp.sqrt(x))
# a zero incoming gradient gives zero, not 0 * inf: TensorFlow's rule, which
# keeps where(x > 0, sqrt(x), 0) finite at x = 0
_sqrt_grad = defop("sqrt_grad")(lambda xp, y, dy: xp.where(dy == 0, 0, 0.5 * dy / y).astype(dy.dtype, copy=False))
defvjp(_sqrt, lambda ans, x: (lambda g: bind(_sqrt_grad, (ans, g), NO_PARAMS)))
defvjp(_sqrt_grad,
       lambda ans, y, dy: (lambda g: negative(multiply(g, divide(ans, y)))),
       lambda ans, y, dy: (lambda g: bind(_sqrt_grad, (y, g), NO_PARAMS)))
sqrt = _unary(_sqrt)

_rsqrt = defop("rsqrt")(lambda xp, x: 1 / xp.sqrt(x))
defvjp(_rsqrt, lambda ans, x: (lambda g: multiply(g, multiply(-0.5, divide(ans, x)))))
rsqrt = _unary(_rsqrt)

_reciprocal = defop("reciprocal")(lambda xp, x: 1 / x)
defvjp(_reciprocal, lambda ans, x: (lambda g: negative(multiply(g, square(ans)))))
reciprocal = _unary(_reciprocal)

_square = defop("square")(lambda xp, x: xp.square(x))
defvjp(_square, lambda ans, x: (lambda g: multiply(g, multiply(x, 2.0))))
square = _unary(_square)

_sign = defop("sign")(lambda xp, x: xp.sign(x))
defvjp(_sign, lambda ans, x: (lambda g: zeros_like_op(x)))
sign = _unary(_sign)

_abs = defop("abs")(lambda xp, x: xp.abs(x))
defvjp(_abs, lambda ans, x: (lambda g: multiply(g, sign(x))))
abs = _unary(_abs)

_sin = defop("sin")(lambda xp, x: xp.sin(x))
_cos = defop("cos")(lambda xp, x: xp.cos(x))
defvjp(_sin, lambda ans, x: (lambda g: multiply(g, cos(x))))
defvjp(_cos, lambda ans, x: (lambda g: negative(multiply(g, sin(x)))))
sin = _unary(_sin)
cos = _unary(_cos)

_tan = defop("tan")(lambda xp, x: xp.tan(x))
defvjp(_tan, lambda ans, x: (lambda g: multiply(g, add(square(ans), 1.0))))
tan = _unary(_tan)

# tanh and sigmoid differentiate through their own *_grad ops: one pass each,
# through a fused kernel for large arrays (kernels/tanh_grad, sigmoid_grad).
_nn_ops = None  # nn_ops (which imports this module) owns the size threshold


def _nn():
    global _nn_ops
    from . import nn_ops as _nn_ops
    return _nn_ops


def _tanh_grad_forward(b, y, dy):
    kernel = (_nn_ops or _nn()).fused_kernel(b, "tanh_grad", dy, y)
    return kernel(y, dy) if kernel is not None else dy * (1 - y * y)


_tanh = defop("tanh")(lambda xp, x: xp.tanh(x))
_tanh_grad = defop("tanh_grad", backend=True)(_tanh_grad_forward)
defvjp(_tanh, lambda ans, x: (lambda g: bind(_tanh_grad, (ans, g), NO_PARAMS)))
defvjp(_tanh_grad,
       lambda ans, y, dy: (lambda g: multiply(g, multiply(dy, multiply(y, -2.0)))),
       lambda ans, y, dy: (lambda g: bind(_tanh_grad, (y, g), NO_PARAMS)))
tanh = _unary(_tanh)


def _sigmoid_forward(xp, x):
    # exp of a non-positive number only: no overflow for large |x|
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_grad_forward(b, y, dy):
    kernel = (_nn_ops or _nn()).fused_kernel(b, "sigmoid_grad", dy, y)
    return kernel(y, dy) if kernel is not None else dy * y * (1 - y)


_sigmoid = defop("sigmoid")(_sigmoid_forward)
_sigmoid_grad = defop("sigmoid_grad", backend=True)(_sigmoid_grad_forward)
defvjp(_sigmoid, lambda ans, x: (lambda g: bind(_sigmoid_grad, (ans, g), NO_PARAMS)))
defvjp(_sigmoid_grad,
       lambda ans, y, dy: (lambda g: multiply(g, multiply(dy, subtract(1.0, multiply(y, 2.0))))),
       lambda ans, y, dy: (lambda g: bind(_sigmoid_grad, (y, g), NO_PARAMS)))
sigmoid = _unary(_sigmoid)

_erf = defop("erf", backend=True)(lambda b, x: b.erf(x))
defvjp(_erf, lambda ans, x: (lambda g: multiply(g, multiply(2 / math.sqrt(math.pi),
                                                            exp(negative(square(x)))))))
erf = _unary(_erf)

# ------------------------------------------------------------ selection
_where = defop("where")(lambda xp, c, x, y: xp.where(c, x, y))
defvjp(_where, None,
       lambda ans, c, x, y: (lambda g, s=shape_of(x): unbroadcast(where(c, g, 0.0), s)),
       lambda ans, c, x, y: (lambda g, s=shape_of(y): unbroadcast(where(c, 0.0, g), s)))


def where(condition, x=None, y=None, name=None):
    """Elements of x where condition holds, else of y (broadcasting)."""
    if x is None and y is None:
        from .array_ops import where_indices
        return where_indices(condition)
    c = tensor(condition)
    if type(x) is Tensor or isinstance(x, Tensor) or hasattr(x, "_read"):
        x, y = pair(x, y, "where")
    elif isinstance(y, Tensor) or hasattr(y, "_read"):
        x, y = pair(x, y, "where")
    else:
        x, y = pair(tensor(x), y, "where")
    if not c.dtype.is_bool:
        raise InvalidArgumentError(f"where: condition must be bool, got {c.dtype.name}")
    return bind(_where, (c, x, y), NO_PARAMS)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """min(max(t, lo), hi); the gradient passes where lo <= t <= hi."""
    t = tensor(t)
    lo, hi = tensor_like(clip_value_min, t), tensor_like(clip_value_max, t)
    return bind(_clip, (t, lo, hi), NO_PARAMS)


_clip = defop("clip_by_value")(lambda xp, t, lo, hi: xp.minimum(xp.maximum(t, lo), hi))
defvjp(_clip,
       lambda ans, t, lo, hi: (lambda g, s=shape_of(t): unbroadcast(
           where(logical_or(less(t, lo), greater(t, hi)), 0.0, g), s)),
       lambda ans, t, lo, hi: (lambda g, s=shape_of(lo): unbroadcast(where(less(t, lo), g, 0.0), s)),
       lambda ans, t, lo, hi: (lambda g, s=shape_of(hi): unbroadcast(where(greater(t, hi), g, 0.0), s)))


def tensor_like(value, other):
    from ._support import like
    return like(value, other)


# ------------------------------------------------------------------- cast
_cast = defop("cast")(lambda xp, x, dtype: x.astype(dtype))
defvjp(_cast, lambda ans, x, dtype: (lambda g, d=x.dtype: cast(g, d)))


def cast(x, dtype, name=None):
    """Convert to ``dtype``; float to int truncates toward zero."""
    x = tensor(x)
    dtype = as_dtype(dtype)
    if x.dtype is dtype:
        return x
    return bind(_cast, (x,), {"dtype": dtype.name})


def zeros_like_op(x):
    from .array_ops import zeros_like
    return zeros_like(x)


# ------------------------------------------------------------- reductions
def _tf1_names(reduction):
    """Accept TensorFlow 1's spellings too: ``reduction_indices`` for
    ``axis``, ``keep_dims`` for ``keepdims``."""
    @functools.wraps(reduction)
    def wrapper(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None,
                keep_dims=None):
        if reduction_indices is not None:
            if axis is not None:
                raise ValueError(f"{reduction.__name__}: pass axis or reduction_indices, "
                                 f"not both")
            axis = reduction_indices
        if keep_dims is not None:
            keepdims = keep_dims
        return reduction(input_tensor, axis, keepdims, name)
    return wrapper


def _reduce_args(x, axis, opname):
    x = tensor(x)
    axis = normalize_axis(axis, x.ndim, opname)
    return x, axis


def _keep_shape(shape, axis):
    """The shape of a keepdims reduction of ``shape`` over ``axis``."""
    if axis is None:
        return tuple(1 for _ in shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _expand_back(g, x, axis, scale=None):
    """A reduced gradient (times ``scale``) broadcast back over x: one op."""
    shape = shape_of(x)
    return bind(_reduce_grad, (g,), {"keep": _keep_shape(shape, axis), "shape": shape,
                                     "axis": axis, "scale": scale})


def _reduce_grad_forward(xp, g, keep, shape, axis, scale):
    g = g.reshape(keep)
    if scale is not None:
        g = g * g.dtype.type(scale)
    return xp.broadcast_to(g, shape)  # a view: tensors are never written to


_reduce_grad = defop("reduce_grad")(_reduce_grad_forward)
defvjp(_reduce_grad, lambda ans, g, keep, shape, axis, scale: (lambda gg, s=shape_of(g): _scaled(
    reshape_(reduce_sum(gg, axis, keepdims=True), s), scale)))


def _scaled(t, scale):
    return t if scale is None else multiply(t, scale)


def reshape_(t, shape):
    from .array_ops import reshape
    return reshape(t, shape)


_reduce_sum = defop("reduce_sum")(lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims))
defvjp(_reduce_sum, lambda ans, x, axis, keepdims: (lambda g: _expand_back(g, x, axis)))


@_tf1_names
def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_sum")
    return bind(_reduce_sum, (x,), {"axis": axis, "keepdims": bool(keepdims)})


def _count(x, axis):
    shape = shape_of(x)
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axes)


_reduce_mean = defop("reduce_mean")(lambda xp, x, axis, keepdims: xp.mean(x, axis=axis, keepdims=keepdims))
defvjp(_reduce_mean, lambda ans, x, axis, keepdims:
       (lambda g: _expand_back(g, x, axis, 1.0 / _count(x, axis))))


@_tf1_names
def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_mean")
    if not x.dtype.is_floating:
        s = reduce_sum(x, axis, keepdims)
        return floordiv(s, _count(x, axis))  # TensorFlow: integer mean truncates
    return bind(_reduce_mean, (x,), {"axis": axis, "keepdims": bool(keepdims)})


def _extremum_vjp(ans, x, axis, keepdims):
    # ties share the gradient equally, as in TensorFlow
    def vjp(g):
        from .array_ops import reshape
        keep = _keep_shape(shape_of(x), axis)
        top = reshape(ans, keep)
        mask = cast(equal(x, top), x.dtype)
        share = divide(mask, reduce_sum(mask, axis, keepdims=True))
        return multiply(share, reshape(g, keep))
    return vjp


_reduce_max = defop("reduce_max")(lambda xp, x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims))
_reduce_min = defop("reduce_min")(lambda xp, x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims))
defvjp(_reduce_max, _extremum_vjp)
defvjp(_reduce_min, _extremum_vjp)


@_tf1_names
def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_max")
    return bind(_reduce_max, (x,), {"axis": axis, "keepdims": bool(keepdims)})


@_tf1_names
def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_min")
    return bind(_reduce_min, (x,), {"axis": axis, "keepdims": bool(keepdims)})


@_tf1_names
def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_any")
    return bind(_reduce_any, (x,), {"axis": axis, "keepdims": bool(keepdims)})


@_tf1_names
def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_all")
    return bind(_reduce_all, (x,), {"axis": axis, "keepdims": bool(keepdims)})


_reduce_any = defop("reduce_any", differentiable=False)(
    lambda xp, x, axis, keepdims: xp.any(x, axis=axis, keepdims=keepdims))
_reduce_all = defop("reduce_all", differentiable=False)(
    lambda xp, x, axis, keepdims: xp.all(x, axis=axis, keepdims=keepdims))


def _cumulative(xp, fn, x, axis, exclusive, reverse):
    if reverse:
        x = xp.flip(x, axis)
    out = fn(x, axis=axis)
    if exclusive:
        identity = 0 if fn is xp.cumsum else 1
        pad = [(0, 0)] * x.ndim
        pad[axis] = (1, 0)
        out = xp.pad(xp.take(out, range(x.shape[axis] - 1), axis=axis), pad,
                     constant_values=identity)
    return xp.flip(out, axis) if reverse else out


_cumsum = defop("cumsum")(lambda xp, x, axis, exclusive, reverse:
                          _cumulative(xp, xp.cumsum, x, axis, exclusive, reverse))
_cumprod = defop("cumprod")(lambda xp, x, axis, exclusive, reverse:
                            _cumulative(xp, xp.cumprod, x, axis, exclusive, reverse))
defvjp(_cumsum, lambda ans, x, axis, exclusive, reverse:
       (lambda g: cumsum(g, axis, exclusive, not reverse)))
# TensorFlow's rule: exact away from zeros
defvjp(_cumprod, lambda ans, x, axis, exclusive, reverse:
       (lambda g: divide(cumsum(multiply(g, ans), axis, exclusive, not reverse), x)))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    x = tensor(x)
    return bind(_cumsum, (x,), {"axis": normalize_axis(axis, x.ndim, "cumsum"),
                                "exclusive": bool(exclusive), "reverse": bool(reverse)})


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    x = tensor(x)
    return bind(_cumprod, (x,), {"axis": normalize_axis(axis, x.ndim, "cumprod"),
                                 "exclusive": bool(exclusive), "reverse": bool(reverse)})


_reduce_prod = defop("reduce_prod")(lambda xp, x, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims))


def _prod_vjp(ans, x, axis, keepdims):
    # product of the other elements, from exclusive cumulative products in
    # both directions: exact when x holds zeros (no division)
    def vjp(g):
        from .array_ops import reshape, transpose
        axes = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        rest = tuple(i for i in range(x.ndim) if i not in axes)
        perm = rest + axes
        moved = transpose(x, perm)
        lead = [shape_of(x)[i] for i in rest]
        flat = reshape(moved, lead + [-1])
        others = multiply(cumprod(flat, -1, exclusive=True),
                          cumprod(flat, -1, exclusive=True, reverse=True))
        inverse = [perm.index(i) for i in range(x.ndim)]
        others = transpose(reshape(others, [shape_of(moved)[i] for i in range(x.ndim)]), inverse)
        return multiply(others, reshape(g, _keep_shape(shape_of(x), axis)))
    return vjp


defvjp(_reduce_prod, _prod_vjp)


@_tf1_names
def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_prod")
    return bind(_reduce_prod, (x,), {"axis": axis, "keepdims": bool(keepdims)})


def _logsumexp_forward(xp, x, axis, keepdims):
    top = xp.max(x, axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)
    out = xp.log(xp.sum(xp.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else (xp.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


_reduce_logsumexp = defop("reduce_logsumexp")(_logsumexp_forward)
defvjp(_reduce_logsumexp, lambda ans, x, axis, keepdims: (lambda g: _logsumexp_vjp(g, ans, x, axis)))


def _logsumexp_vjp(g, ans, x, axis):
    # softmax(x) over the axes, shifted by the (constant) maximum: exp(x - ans)
    # would lose the small differences of large inputs to float rounding
    from .array_ops import reshape, stop_gradient
    keep = _keep_shape(shape_of(x), axis)
    e = exp(subtract(x, stop_gradient(reduce_max(x, axis, keepdims=True))))
    return multiply(reshape(g, keep), divide(e, reduce_sum(e, axis, keepdims=True)))


@_tf1_names
def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    x, axis = _reduce_args(input_tensor, axis, "reduce_logsumexp")
    return bind(_reduce_logsumexp, (x,), {"axis": axis, "keepdims": bool(keepdims)})


@_tf1_names
def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return sqrt(reduce_variance(input_tensor, axis, keepdims))


@_tf1_names
def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    x = tensor(input_tensor)
    mean = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(square(subtract(x, mean)), axis, keepdims)


_argmax = defop("argmax", differentiable=False)(lambda xp, x, axis, dtype: xp.argmax(x, axis=axis).astype(dtype))
_argmin = defop("argmin", differentiable=False)(lambda xp, x, axis, dtype: xp.argmin(x, axis=axis).astype(dtype))


def argmax(input, axis=None, output_type="int64", name=None, dimension=None):
    """Index of the largest value along ``axis`` (0 when None, as TensorFlow;
    ``dimension`` is TensorFlow 1's name for it)."""
    axis = dimension if axis is None else axis
    x = tensor(input)
    return bind(_argmax, (x,), {"axis": normalize_axis(0 if axis is None else axis, x.ndim, "argmax"),
                                "dtype": as_dtype(output_type).name})


def argmin(input, axis=None, output_type="int64", name=None, dimension=None):
    axis = dimension if axis is None else axis
    x = tensor(input)
    return bind(_argmin, (x,), {"axis": normalize_axis(0 if axis is None else axis, x.ndim, "argmin"),
                                "dtype": as_dtype(output_type).name})


def add_n(inputs, name=None):
    inputs = list(inputs)
    total = inputs[0]
    for x in inputs[1:]:
        total = add(total, x)
    return tensor(total)


# ---------------------------------------------------------- linear algebra
def _swap(xp, a):
    return xp.swapaxes(a, -1, -2)


def _matmul_forward(xp, a, b, ta, tb):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul needs tensors of rank >= 2, got shapes {a.shape} and {b.shape}")
    return xp.matmul(_swap(xp, a) if ta else a, _swap(xp, b) if tb else b)


_matmul = defop("matmul")(_matmul_forward)


def _matmul_da(ans, a, b, ta, tb):
    def vjp(g):
        if not ta:
            da = matmul(g, b, transpose_b=not tb)
        else:
            da = matmul(b, g, transpose_a=tb, transpose_b=True)
        return unbroadcast(da, shape_of(a))
    return vjp


def _matmul_db(ans, a, b, ta, tb):
    def vjp(g):
        if not tb:
            db = matmul(a, g, transpose_a=not ta)
        else:
            db = matmul(g, a, transpose_a=True, transpose_b=ta)
        return unbroadcast(db, shape_of(b))
    return vjp


defvjp(_matmul, _matmul_da, _matmul_db)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Batched matrix product of the last two dimensions (batch dims broadcast)."""
    a, b = pair(a, b, "matmul")
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) >= 2 and len(sb) >= 2:
        inner_a = sa[-2] if ta else sa[-1]
        inner_b = sb[-1] if tb else sb[-2]
        # (a graph tensor's unknown dimensions are stand-ins here: the graph
        # checks those when it infers the product's shape)
        if inner_a != inner_b and not getattr(a, "_symbolic", False) and \
                not getattr(b, "_symbolic", False):
            raise InvalidArgumentError(
                f"matmul: inner dimensions differ, a{list(sa)}{'ᵀ' if ta else ''} @ "
                f"b{list(sb)}{'ᵀ' if tb else ''} contracts {inner_a} with {inner_b}")
    return bind(_matmul, (a, b), {"ta": ta, "tb": tb})


@context.graph_function("Tensordot", unknown_shapes_only=True)
def tensordot(a, b, axes, name=None):
    """Sum over the given axes of a and b (TensorFlow's axes forms)."""
    from .array_ops import reshape, transpose
    a, b = pair(a, b, "tensordot")
    if isinstance(axes, int):
        a_axes = list(range(a.ndim - axes, a.ndim))
        b_axes = list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
    a_axes = [x % a.ndim for x in a_axes]
    b_axes = [x % b.ndim for x in b_axes]
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    sa, sb = shape_of(a), shape_of(b)
    k = math.prod(sa[i] for i in a_axes)
    a2 = reshape(transpose(a, a_free + a_axes), [-1, k])
    b2 = reshape(transpose(b, b_axes + b_free), [k, -1])
    return reshape(matmul(a2, b2), [sa[i] for i in a_free] + [sb[i] for i in b_free])


def _parse_einsum(equation, n):
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise NotImplementedError("einsum with '...' is not supported yet; "
                                  "write the dimensions out")
    if "->" in equation:
        lhs, out = equation.split("->")
    else:
        lhs = equation
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = lhs.split(",")
    if len(ins) != n:
        raise ValueError(f"einsum equation {equation!r} names {len(ins)} operands, got {n}")
    return ins, out


_einsum = defop("einsum")(lambda xp, *ops, equation: xp.einsum(equation, *ops))


def _einsum_vjp_all(ans, *ops, equation):
    ins, out = _parse_einsum(equation, len(ops))

    def vjp(g):
        from .array_ops import reshape, broadcast_to
        grads = []
        for i, (sub, x) in enumerate(zip(ins, ops)):
            others = [(s, o) for j, (s, o) in enumerate(zip(ins, ops)) if j != i]
            available = set(out).union(*[set(s) for s, _ in others])
            if len(set(sub)) != len(sub):
                raise NotImplementedError(f"einsum gradient with a repeated index in {sub!r}")
            present = "".join(c for c in sub if c in available)
            eq = ",".join([out] + [s for s, _ in others]) + "->" + present
            gi = einsum(eq, g, *[o for _, o in others])
            if present != sub:
                keep = [shape_of(x)[k] if c in available else 1 for k, c in enumerate(sub)]
                gi = broadcast_to(reshape(gi, keep), shape_of(x))
            grads.append(gi)
        return grads
    return vjp


defvjp_all(_einsum, _einsum_vjp_all)


def einsum(equation, *inputs, **kwargs):
    """Einstein summation: 'ij,jk->ik', 'bij,bjk->bik', 'i,i->', 'ij->ji' ..."""
    tensors = [tensor(x) for x in inputs]
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise InvalidArgumentError(f"einsum: operands must share a dtype, got "
                                       f"{[x.dtype.name for x in tensors]}")
    _parse_einsum(equation, len(tensors))
    return bind(_einsum, tuple(tensors), {"equation": equation.replace(" ", "")})


def norm(tensor_, ord="euclidean", axis=None, keepdims=None, name=None):
    """The Euclidean (or 1, or inf) norm over ``axis`` (all elements when None)."""
    x = tensor(tensor_)
    keep = bool(keepdims)
    if ord in ("euclidean", 2, "fro"):
        return sqrt(reduce_sum(square(x), axis, keep))
    if ord == 1:
        return reduce_sum(abs(x), axis, keep)
    if ord == math.inf:
        return reduce_max(abs(x), axis, keep)
    raise ValueError(f"norm: ord {ord!r} is not supported (use 'euclidean', 1 or inf)")
