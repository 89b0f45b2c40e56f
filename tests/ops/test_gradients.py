"""Every registered op's gradient, against central differences, to second order.

``CASES`` has one line per differentiable op: a function of float64 tensors
built with the public API (or ``gpugrad.extend.bind`` for the internal
``*_grad`` ops), how to draw the input shapes and parameters, and the range of
the input values. ``NO_GRADIENT`` lists the ops registered with
``differentiable=False``, each with a probe that must give None gradients. An
op registered in neither fails ``test_every_registered_op_is_covered``.

Values are drawn away from the points where an op is not differentiable: ties
for max/min (values on two interleaved grids, or all distinct), zero for
abs/relu/sign, the bounds for clip, integer quotients for floormod.
"""
import contextlib
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gpugrad as tf
from gpugrad import extend
from gpugrad.testing import check_gradients

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------ input values
def uniform(lo, hi):
    return lambda rng, n: [rng.uniform(lo, hi) for _ in range(n)]


def signed(lo, hi):
    """Magnitudes in [lo, hi], random signs: away from zero."""
    return lambda rng, n: [rng.choice((-1.0, 1.0)) * rng.uniform(lo, hi) for _ in range(n)]


def grid(offset, low=-4, high=4):
    """Multiples of 0.5 plus ``offset``: GRID and OFF_GRID never meet."""
    return lambda rng, n: [0.5 * rng.randint(low, high) + offset for _ in range(n)]


def distinct(rng, n):
    """All different, 0.3 apart: no ties for max/min."""
    values = [0.3 * (k - (n - 1) / 2) for k in range(n)]
    rng.shuffle(values)
    return values


def distinct_abs(rng, n):
    """Magnitudes all different and away from zero: no ties for max(|x|)."""
    values = [rng.choice((-1.0, 1.0)) * (0.2 + 0.3 * k) for k in range(n)]
    rng.shuffle(values)
    return values


ANY = uniform(-2.0, 2.0)
POSITIVE = uniform(0.5, 2.5)
NONZERO = signed(0.3, 2.0)
UNIT = uniform(-0.9, 0.9)          # tanh's range, tan's domain
PROBABILITY = uniform(0.05, 0.95)  # sigmoid's range
FACTORS = signed(0.5, 1.5)         # products stay moderate
GRID = grid(0.0)
OFF_GRID = grid(0.25, -4, 3)
BELOW = grid(-0.25, -3, 0)         # clip's lower bound: never a GRID value
ABOVE = grid(0.25, 0, 3)           # clip's upper bound
DIVISOR = lambda rng, n: [rng.choice((-3.0, -2.0, 2.0, 3.0)) for _ in range(n)]  # noqa: E731


def half_integers(rng, n):
    """m + 1/2: divided by +-2 or +-3 never gives an integer (floormod)."""
    return [rng.randint(-3, 2) + 0.5 for _ in range(n)]


# ------------------------------------------------------------- shapes
DIM = st.integers(1, 4)


def shapes(min_rank=0, max_rank=3):
    return st.lists(DIM, min_size=min_rank, max_size=max_rank).map(tuple)


@st.composite
def broadcastable(draw, base, count=2):
    """``count`` shapes broadcasting together to (a suffix of) ``base``:
    leading dimensions dropped, some dimensions set to 1."""
    out = []
    for _ in range(count):
        dims = base[draw(st.integers(0, len(base))):]
        ones = draw(st.lists(st.booleans(), min_size=len(dims), max_size=len(dims)))
        out.append(tuple(1 if o else d for d, o in zip(dims, ones)))
    return tuple(out)


@st.composite
def broadcast_shapes(draw, count=2, max_rank=3):
    return draw(broadcastable(draw(shapes(0, max_rank)), count)), {}


@st.composite
def one_shape(draw, min_rank=0, max_rank=3):
    return (draw(shapes(min_rank, max_rank)),), {}


def same_shapes(count, min_rank=0, max_rank=3):
    return shapes(min_rank, max_rank).map(lambda s: ((s,) * count, {}))


@st.composite
def axis_of(draw, rank):
    """None, one axis (possibly negative) or a list of axes."""
    if rank == 0:
        return None
    return draw(st.one_of(st.none(), st.integers(-rank, rank - 1),
                          st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank,
                                   unique=True)))


@st.composite
def reduction(draw):
    shape = draw(shapes())
    return (shape,), {"axis": draw(axis_of(len(shape))), "keepdims": draw(st.booleans())}


@st.composite
def cumulative(draw):
    shape = draw(shapes(1))
    return (shape,), {"axis": draw(st.integers(-len(shape), len(shape) - 1)),
                      "exclusive": draw(st.booleans()), "reverse": draw(st.booleans())}


@st.composite
def last_axis(draw):
    shape = draw(shapes(1))
    return (shape,), {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def matmul_shapes(draw):
    m, k, n = draw(DIM), draw(DIM), draw(DIM)
    ta, tb = draw(st.booleans()), draw(st.booleans())
    batch_a, batch_b = draw(broadcastable(draw(shapes(0, 2))))
    a = batch_a + ((k, m) if ta else (m, k))
    b = batch_b + ((n, k) if tb else (k, n))
    return (a, b), {"transpose_a": ta, "transpose_b": tb}


EINSUM_FORMS = ["ij,jk->ik", "bij,bjk->bik", "i,i->", "ij->ji", "ij->i", "ij,ij->ij",
                "ij,j->i", "ij,jk"]


@st.composite
def einsum_shapes(draw):
    equation = draw(st.sampled_from(EINSUM_FORMS))
    sizes = {c: draw(DIM) for c in "bijk"}
    ins = equation.split("->")[0].split(",")
    return tuple(tuple(sizes[c] for c in sub) for sub in ins), {"equation": equation}


@st.composite
def reshape_shapes(draw):
    shape = draw(shapes())
    n = math.prod(shape)
    target = (n,) if shape != (n,) else (1, -1)
    return (shape,), {"shape": target}


@st.composite
def transpose_shapes(draw):
    shape = draw(shapes())
    return (shape,), {"perm": draw(st.permutations(range(len(shape))))}


@st.composite
def broadcast_to_shapes(draw):
    target = draw(shapes(1))
    (x,) = draw(broadcastable(target, 1))
    if x == target:
        target = (2,) + target
    return (x,), {"shape": target}


@st.composite
def tile_shapes(draw):
    shape = draw(shapes(1))
    return (shape,), {"multiples": [draw(st.integers(1, 3)) for _ in shape]}


@st.composite
def concat_shapes(draw):
    base = list(draw(shapes(1)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    out = []
    for _ in range(draw(st.integers(2, 3))):
        base[axis] = draw(st.integers(1, 3))
        out.append(tuple(base))
    return tuple(out), {"axis": axis}


@st.composite
def stack_shapes(draw):
    shape = draw(shapes(0, 2))
    count = draw(st.integers(2, 3))
    return (shape,) * count, {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}


@st.composite
def split_shapes(draw):
    shape = draw(shapes(1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    d = shape[axis]
    if draw(st.booleans()):
        splits = draw(st.sampled_from([k for k in range(1, d + 1) if d % k == 0]))
    else:
        cuts = sorted(draw(st.lists(st.integers(1, d - 1), unique=True, max_size=2))) if d > 1 else []
        bounds = [0] + cuts + [d]
        splits = [b - a for a, b in zip(bounds, bounds[1:])]
        if len(splits) > 1 and draw(st.booleans()):
            splits[draw(st.integers(0, len(splits) - 1))] = -1
    return (shape,), {"splits": splits, "axis": axis}


@st.composite
def index_key(draw, shape):
    """A key of ints, slices (steps +-1, +-2), ... and None."""
    key = []
    for d in shape[:draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(["int", "all", "range", "reverse"]))
        if kind == "int":
            key.append(draw(st.integers(-d, d - 1)))
        elif kind == "all":
            key.append(slice(None))
        elif kind == "range":
            start = draw(st.integers(0, d - 1))
            key.append(slice(start, draw(st.integers(start + 1, d)), draw(st.integers(1, 2))))
        else:
            key.append(slice(None, None, -draw(st.integers(1, 2))))
    if draw(st.booleans()):
        key.append(Ellipsis)
        if len(key) <= len(shape) and draw(st.booleans()):
            key.append(slice(None, None, -1))
    if draw(st.booleans()):
        key.insert(draw(st.integers(0, len(key))), None)
    return tuple(key)


@st.composite
def slice_shapes(draw):
    shape = draw(shapes())
    return (shape,), {"key": draw(index_key(shape))}


@st.composite
def slice_grad_shapes(draw):
    shape = draw(shapes())
    key = draw(index_key(shape))
    sliced = tuple(tf.zeros(shape, tf.float64)[key].shape)
    return (sliced,), {"key": key, "shape": shape}


def _nested(flat, shape):
    """A nested list of ``shape`` from the items of ``flat`` (consumed)."""
    if not shape:
        return flat.pop()
    return [_nested(flat, shape[1:]) for _ in range(shape[0])]


@st.composite
def gather_shapes(draw, grad=False):
    shape = draw(shapes(1))
    axis = draw(st.integers(0, len(shape) - 1))
    ishape = draw(shapes(1, 2))
    flat = [draw(st.integers(0, shape[axis] - 1)) for _ in range(math.prod(ishape))]
    indices = _nested(flat, ishape)
    if not grad:
        return (shape,), {"indices": indices, "axis": axis}
    out = shape[:axis] + ishape + shape[axis + 1:]
    return (out,), {"indices": indices, "axis": axis, "shape": shape}


@st.composite
def gather_nd_shapes(draw, grad=False):
    shape = draw(shapes(1))
    depth = draw(st.integers(1, len(shape)))
    lead = draw(shapes(1, 2))
    rows = [[draw(st.integers(0, shape[j] - 1)) for j in range(depth)]
            for _ in range(math.prod(lead))]
    indices = _nested(rows, lead)
    if not grad:
        return (shape,), {"indices": indices}
    return (lead + shape[depth:],), {"indices": indices, "shape": shape}


@st.composite
def pad_shapes(draw):
    shape = draw(shapes(1))
    paddings = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in shape]
    return (shape,), {"paddings": paddings, "constant_values": draw(st.sampled_from([0.0, 1.5]))}


@st.composite
def where_shapes(draw):
    base = draw(shapes())
    c, x, y = draw(broadcastable(base, 3))
    return (x, y), {"condition": [draw(st.booleans()) for _ in range(math.prod(c))],
                    "cshape": c}


@st.composite
def clip_shapes(draw):
    t = draw(shapes())
    lo, hi = draw(broadcastable(t, 2))
    return (t, lo, hi), {}


@st.composite
def xent_shapes(draw):
    shape = draw(shapes(1, 2))
    labels = [draw(st.integers(0, shape[-1] - 1)) for _ in range(math.prod(shape[:-1]))]
    return (shape,), {"labels": _nested(labels, shape[:-1])}


@st.composite
def xent_grad_shapes(draw):
    (shape,), params = draw(xent_shapes())
    return (shape, shape[:-1]), params


@st.composite
def reduce_grad_shapes(draw):
    shape = draw(shapes())
    axes = tuple(sorted(set(draw(st.lists(st.integers(0, max(len(shape) - 1, 0)),
                                          max_size=len(shape))))))
    keep = tuple(1 if i in axes else d for i, d in enumerate(shape))
    reduced = tuple(d for i, d in enumerate(shape) if i not in axes)
    return (reduced,), {"keep": keep, "shape": shape, "axis": axes,
                        "scale": draw(st.sampled_from([None, 0.25]))}


def xent_grad(x, g, labels):
    op = extend.get("sparse_softmax_cross_entropy_grad")
    return extend.bind(op, (x, tf.constant(labels, tf.int64), g), {})


@st.composite
def bias_add_shapes(draw, grad=False):
    shape = draw(shapes(1))
    channels_first = len(shape) >= 2 and draw(st.booleans())
    axis = 1 if channels_first else len(shape) - 1
    if grad:
        return (shape,), {"axis": axis}
    return (shape, (shape[axis],)), {"data_format": "NCHW" if channels_first else None}


@st.composite
def leaky_shapes(draw, count=1):
    shape = draw(shapes())
    return (shape,) * count, {"alpha": draw(st.sampled_from([0.1, 0.2, 0.3]))}


@st.composite
def gelu_shapes(draw, count=1):
    shape = draw(shapes())
    return (shape,) * count, {"approximate": draw(st.booleans())}


@st.composite
def window_shapes(draw, dilate=True, explicit=True):
    """An NHWC image shape, a window, strides, dilations and a padding the
    window fits: "SAME", "VALID" or explicit ((top, bottom), (left, right)),
    each pad below the window, so every window holds an image element."""
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilate else (1, 1)
    padding = draw(st.sampled_from(["SAME", "VALID"] + (["explicit"] if explicit else [])))
    if padding == "explicit":
        padding = tuple((draw(st.integers(0, k[a] - 1)), draw(st.integers(0, k[a] - 1)))
                        for a in (0, 1))
    size = []
    for a in (0, 1):
        span = (k[a] - 1) * dilations[a] + 1
        pads = 0 if padding in ("SAME", "VALID") else sum(padding[a])
        low = 1 if padding == "SAME" else max(1, span - pads)
        size.append(draw(st.integers(low, low + 3)))
    image = (draw(st.integers(1, 2)), size[0], size[1], draw(st.integers(1, 3)))
    return image, k, strides, dilations, padding


def tf_padding(padding):
    """TensorFlow's spelling of explicit padding: one pair per NHWC dimension."""
    return padding if isinstance(padding, str) else [[0, 0], list(padding[0]), list(padding[1]),
                                                     [0, 0]]


@st.composite
def conv_shapes(draw, grad=None):
    image, k, strides, dilations, padding = draw(window_shapes())
    filters = k + (image[3], draw(st.integers(1, 2)))
    if grad is None:
        return (image, filters), {"strides": list(strides), "dilations": list(dilations),
                                  "padding": tf_padding(padding)}
    out = tuple(tf.nn.conv2d(tf.zeros(image, tf.float64), tf.zeros(filters, tf.float64), strides,
                             tf_padding(padding), dilations=dilations).shape)
    params = {"strides": strides, "dilations": dilations, "padding": padding}
    if grad == "input":
        return (filters, out), dict(params, input_size=image[1:3])
    return (image, out), dict(params, filter_size=k)


@st.composite
def pool_shapes(draw, op, grad=None):
    image, k, strides, _, padding = draw(window_shapes(dilate=False, explicit=op == "max"))
    if grad is None:
        return (image,), {"ksize": list(k), "strides": list(strides),
                          "padding": tf_padding(padding)}
    params = {"ksize": k, "strides": strides, "padding": padding}
    if grad == "grad_grad":
        return (image, image), params
    out = tuple(tf.nn.max_pool2d(tf.zeros(image, tf.float64), k, strides,
                                 tf_padding(padding)).shape)
    if op == "max":
        return (image, out), params
    return (out,), dict(params, input_size=image[1:3])


# -------------------------------------------------------------- the table
class Case:
    """fn(*float64 tensors, **params), drawn by ``draw`` -> (shapes, params);
    ``values``: one value range for all inputs, or a tuple, one per input."""

    def __init__(self, fn, draw, values=ANY, order=2, broadcasts=False):
        self.fn, self.draw, self.values = fn, draw, values
        self.order, self.broadcasts = order, broadcasts

    def inputs(self, shapes_, rng):
        values = self.values if isinstance(self.values, tuple) else (self.values,) * len(shapes_)
        return [tf.constant(spec(rng, math.prod(s)), tf.float64, shape=s)
                for spec, s in zip(values, shapes_)]


def unary(fn, values=ANY):
    return Case(lambda x: fn(x), one_shape(), values)


def binary(fn, values=(ANY, ANY)):
    return Case(lambda x, y: fn(x, y), broadcast_shapes(), values, broadcasts=True)


def internal(name, draw, values=ANY, ints=()):
    """An internal op, run directly with ``gpugrad.extend.bind``; ``ints``
    names parameters that are integer tensor inputs after the float ones."""
    op = extend.get(name)

    def fn(*xs, **p):
        extra = tuple(tf.constant(p.pop(k), tf.int64) for k in ints)
        return extend.bind(op, tuple(xs) + extra, p)
    return Case(fn, draw, values)


def _reduce(fn, values=ANY):
    return Case(lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims), reduction(), values)


CASES = {
    # binary math, with broadcasting
    "add": binary(tf.add),
    "subtract": binary(tf.subtract),
    "multiply": binary(tf.multiply),
    "divide": binary(tf.divide, (ANY, NONZERO)),
    "floormod": binary(tf.math.floormod, (half_integers, DIVISOR)),
    "pow": binary(tf.pow, (POSITIVE, ANY)),
    "maximum": binary(tf.maximum, (GRID, OFF_GRID)),
    "minimum": binary(tf.minimum, (OFF_GRID, GRID)),
    "squared_difference": binary(tf.math.squared_difference),
    # unary math
    "negative": unary(tf.negative),
    "exp": unary(tf.exp),
    "expm1": unary(tf.math.expm1),
    "log": unary(tf.math.log, POSITIVE),
    "log1p": unary(tf.math.log1p, uniform(-0.5, 2.0)),
    "sqrt": unary(tf.sqrt, POSITIVE),
    "sqrt_grad": internal("sqrt_grad", same_shapes(2), (POSITIVE, ANY)),
    "rsqrt": unary(tf.math.rsqrt, POSITIVE),
    "reciprocal": unary(tf.math.reciprocal, NONZERO),
    "square": unary(tf.square),
    "sign": unary(tf.sign, NONZERO),
    "abs": unary(tf.abs, NONZERO),
    "sin": unary(tf.sin),
    "cos": unary(tf.cos),
    "tan": unary(tf.tan, UNIT),
    "tanh": unary(tf.tanh),
    "tanh_grad": internal("tanh_grad", same_shapes(2), (UNIT, ANY)),
    "sigmoid": unary(tf.sigmoid),
    "sigmoid_grad": internal("sigmoid_grad", same_shapes(2), (PROBABILITY, ANY)),
    "erf": unary(tf.math.erf),
    "where": Case(lambda x, y, condition, cshape: tf.where(
        tf.constant(condition, tf.bool, shape=cshape), x, y), where_shapes()),
    "clip_by_value": Case(lambda t, lo, hi: tf.clip_by_value(t, lo, hi), clip_shapes(),
                          (GRID, BELOW, ABOVE)),
    "cast": unary(lambda x: tf.cast(x, tf.float32)),
    # reductions and scans
    "reduce_sum": _reduce(tf.reduce_sum),
    "reduce_mean": _reduce(tf.reduce_mean),
    "reduce_max": _reduce(tf.reduce_max, distinct),
    "reduce_min": _reduce(tf.reduce_min, distinct),
    "reduce_prod": _reduce(tf.reduce_prod, FACTORS),
    "reduce_logsumexp": _reduce(tf.math.reduce_logsumexp),
    "cumsum": Case(lambda x, **p: tf.cumsum(x, **p), cumulative()),
    "cumprod": Case(lambda x, **p: tf.math.cumprod(x, **p), cumulative(), FACTORS),
    # linear algebra
    "matmul": Case(lambda a, b, **p: tf.matmul(a, b, **p), matmul_shapes()),
    "einsum": Case(lambda *xs, equation: tf.einsum(equation, *xs), einsum_shapes()),
    # shapes, joining, indexing
    "reshape": Case(lambda x, shape: tf.reshape(x, shape), reshape_shapes()),
    "transpose": Case(lambda x, perm: tf.transpose(x, perm), transpose_shapes()),
    "broadcast_to": Case(lambda x, shape: tf.broadcast_to(x, shape), broadcast_to_shapes()),
    "tile": Case(lambda x, multiples: tf.tile(x, multiples), tile_shapes()),
    "concat": Case(lambda *xs, axis: tf.concat(xs, axis), concat_shapes()),
    "stack": Case(lambda *xs, axis: tf.stack(xs, axis), stack_shapes()),
    "split": Case(lambda x, splits, axis: tf.split(x, splits, axis), split_shapes()),
    "strided_slice": Case(lambda x, key: x[key], slice_shapes()),
    "strided_slice_grad": internal("strided_slice_grad", slice_grad_shapes()),
    "gather": Case(lambda p, indices, axis: tf.gather(p, indices, axis=axis), gather_shapes()),
    "gather_grad": internal("gather_grad", gather_shapes(grad=True), ints=("indices",)),
    "gather_nd": Case(lambda p, indices: tf.gather_nd(p, indices), gather_nd_shapes()),
    "gather_nd_grad": internal("gather_nd_grad", gather_nd_shapes(grad=True), ints=("indices",)),
    "pad": Case(lambda x, **p: tf.pad(x, **p), pad_shapes()),
    "identity": unary(tf.identity),
    # nn
    "relu": unary(tf.nn.relu, NONZERO),
    "relu_grad": internal("relu_grad", same_shapes(2), (NONZERO, ANY)),
    "leaky_relu": Case(lambda x, alpha: tf.nn.leaky_relu(x, alpha), leaky_shapes(), NONZERO),
    "leaky_relu_grad": internal("leaky_relu_grad", leaky_shapes(2), (NONZERO, ANY)),
    "softplus": unary(tf.nn.softplus),
    "gelu": Case(lambda x, approximate: tf.nn.gelu(x, approximate), gelu_shapes()),
    "gelu_grad": internal("gelu_grad", gelu_shapes(2), (ANY, ANY)),
    "softmax": Case(lambda x, axis: tf.nn.softmax(x, axis), last_axis()),
    "log_softmax": Case(lambda x, axis: tf.nn.log_softmax(x, axis), last_axis()),
    "sparse_softmax_cross_entropy_with_logits": Case(
        lambda x, labels: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x),
        xent_shapes()),
    "bias_add": Case(lambda x, b, data_format: tf.nn.bias_add(x, b, data_format), bias_add_shapes()),
    "bias_add_grad": internal("bias_add_grad", bias_add_shapes(grad=True)),
    "sparse_softmax_cross_entropy_grad": Case(xent_grad, xent_grad_shapes()),
    "reduce_grad": internal("reduce_grad", reduce_grad_shapes()),
    # convolution and pooling
    "conv2d": Case(lambda x, w, **p: tf.nn.conv2d(x, w, **p), conv_shapes()),
    "conv2d_backprop_input": internal("conv2d_backprop_input", conv_shapes("input")),
    "conv2d_backprop_filter": internal("conv2d_backprop_filter", conv_shapes("filter")),
    "max_pool": Case(lambda x, **p: tf.nn.max_pool2d(x, **p), pool_shapes("max"), distinct),
    "max_pool_grad": internal("max_pool_grad", pool_shapes("max", "grad"), (distinct, ANY)),
    "max_pool_grad_grad": internal("max_pool_grad_grad", pool_shapes("max", "grad_grad"),
                                   (distinct, ANY)),
    "avg_pool": Case(lambda x, **p: tf.nn.avg_pool2d(x, **p), pool_shapes("avg")),
    "avg_pool_grad": internal("avg_pool_grad", pool_shapes("avg", "grad")),
}

#: ops registered with differentiable=False, each with a probe from float64
#: tensors x and y through the op to a float64 result: the tape gives None
NO_GRADIENT = {
    "floordiv": lambda x, y: tf.math.floordiv(x, y),
    "equal": lambda x, y: tf.cast(tf.equal(x, y), tf.float64),
    "not_equal": lambda x, y: tf.cast(tf.not_equal(x, y), tf.float64),
    "less": lambda x, y: tf.cast(tf.less(x, y), tf.float64),
    "less_equal": lambda x, y: tf.cast(tf.less_equal(x, y), tf.float64),
    "greater": lambda x, y: tf.cast(tf.greater(x, y), tf.float64),
    "greater_equal": lambda x, y: tf.cast(tf.greater_equal(x, y), tf.float64),
    "logical_and": lambda x, y: tf.cast(tf.logical_and(x > 0, y > 0), tf.float64),
    "logical_or": lambda x, y: tf.cast(tf.logical_or(x > 0, y > 0), tf.float64),
    "logical_xor": lambda x, y: tf.cast(tf.math.logical_xor(x > 0, y > 0), tf.float64),
    "logical_not": lambda x, y: tf.cast(tf.logical_not(x > y), tf.float64),
    "is_nan": lambda x, y: tf.cast(tf.math.is_nan(x / y), tf.float64),
    "is_finite": lambda x, y: tf.cast(tf.math.is_finite(x / y), tf.float64),
    "floor": lambda x, y: tf.floor(x),
    "ceil": lambda x, y: tf.math.ceil(x),
    "round": lambda x, y: tf.round(x),
    "reduce_any": lambda x, y: tf.cast(tf.reduce_any(x > y, axis=0), tf.float64),
    "reduce_all": lambda x, y: tf.cast(tf.reduce_all(x > y), tf.float64),
    "argmax": lambda x, y: tf.cast(tf.argmax(x), tf.float64),
    "argmin": lambda x, y: tf.cast(tf.argmin(x, axis=1), tf.float64),
    "one_hot": lambda x, y: tf.one_hot(tf.cast(x, tf.int32), 3, dtype=tf.float64),
    "stop_gradient": lambda x, y: tf.stop_gradient(x),
    "where_indices": lambda x, y: tf.cast(tf.where(x > y), tf.float64),
}


def uncovered(ops):
    """Registered op names with neither a gradient case nor a no-gradient entry."""
    return sorted(name for name in ops if name not in CASES and name not in NO_GRADIENT)


@contextlib.contextmanager
def counting_calls(name):
    """Count the calls of op ``name``'s forward during the block."""
    op = extend.get(name)
    original, calls = op.forward, [0]

    def forward(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    op.forward = forward
    try:
        yield calls
    finally:
        op.forward = original


def run_case(name, case, shapes_, params, seed, order=None):
    rng = random.Random(seed)
    inputs = case.inputs(shapes_, rng)

    def fn(*xs):
        return case.fn(*xs, **dict(params))
    fn.__name__ = name
    with counting_calls(name) as calls:
        check_gradients(fn, inputs, order=case.order if order is None else order, seed=seed)
    assert calls[0] > 0, f"the gradient case for {name!r} never ran op {name!r}"


# ------------------------------------------------------------------ tests
def test_every_registered_op_is_covered():
    missing = uncovered(extend.all_ops())
    assert not missing, "".join(f"op {name!r} was added without a gradient test: add a line for "
                                f"it to CASES (or to NO_GRADIENT if it has no gradient) in "
                                f"{__file__}\n" for name in missing)


def test_coverage_check_catches_a_new_op():
    assert uncovered({**extend.all_ops(), "brand_new_op": None}) == ["brand_new_op"]


def test_tables_match_the_registry():
    ops = extend.all_ops()
    stale = sorted((set(CASES) | set(NO_GRADIENT)) - set(ops))
    assert not stale, f"entries for ops that are not registered: {stale}"
    assert not set(CASES) & set(NO_GRADIENT)
    wrong = [n for n in CASES if not ops[n].differentiable]
    assert not wrong, f"ops with a gradient case but registered differentiable=False: {wrong}"
    wrong = [n for n in NO_GRADIENT if ops[n].differentiable]
    assert not wrong, f"ops listed without a gradient but registered differentiable: {wrong}"


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_gradient(name, data):
    case = CASES[name]
    shapes_, params = data.draw(case.draw, label="shapes, params")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    run_case(name, case, shapes_, params, seed)


BROADCAST_PAIRS = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4,), (2, 1, 4)),
                   ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("pair", BROADCAST_PAIRS, ids=lambda p: f"{p[0]}-{p[1]}".replace(" ", ""))
@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.broadcasts))
def test_broadcasting_gradient(name, pair):
    run_case(name, CASES[name], pair, {}, seed=len(name))


@pytest.mark.parametrize("name", sorted(NO_GRADIENT))
def test_no_gradient(name):
    rng = random.Random(0)
    x = tf.constant(GRID(rng, 6), tf.float64, shape=(2, 3))
    y = tf.constant(OFF_GRID(rng, 6), tf.float64, shape=(2, 3))
    with counting_calls(name) as calls:
        with tf.GradientTape() as tape:
            tape.watch([x, y])
            out = NO_GRADIENT[name](x, y)
    assert calls[0] > 0, f"the probe for {name!r} never ran op {name!r}"
    assert out.dtype == tf.float64
    assert tape.gradient(out, [x, y]) == [None, None], \
        f"op {name!r} is registered without a gradient, but a gradient flowed through it"


# ------------------------------------------- composite public functions
def _t(values, shape):
    return tf.constant(values(random.Random(sum(shape) + 7), math.prod(shape)),
                       tf.float64, shape=shape)


COMPOSITES = {
    "softplus": (tf.nn.softplus, [(2, 3)], ANY),
    "elu": (tf.nn.elu, [(2, 3)], NONZERO),
    "selu": (tf.nn.selu, [(2, 3)], NONZERO),
    "silu": (tf.nn.silu, [(2, 3)], ANY),
    "gelu": (lambda x: tf.nn.gelu(x), [(2, 3)], ANY),
    "gelu_tanh": (lambda x: tf.nn.gelu(x, approximate=True), [(2, 3)], ANY),
    "softmax_xent": (lambda z, x: tf.nn.softmax_cross_entropy_with_logits(labels=z, logits=x),
                     [(2, 4), (2, 4)], (PROBABILITY, ANY)),
    "softmax_xent_axis0": (lambda z, x: tf.nn.softmax_cross_entropy_with_logits(
        labels=z, logits=x, axis=0), [(3, 2), (3, 2)], (PROBABILITY, ANY)),
    "sigmoid_xent": (lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                     [(2, 3), (2, 3)], (PROBABILITY, NONZERO)),
    "l2_loss": (tf.nn.l2_loss, [(2, 3)], ANY),
    "log_softmax": (lambda x: tf.nn.log_softmax(x, axis=0), [(3, 2)], ANY),
    "bias_add": (lambda x, b: tf.nn.bias_add(x, b), [(2, 3), (3,)], ANY),
    "bias_add_nchw": (lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
                      [(2, 3, 2, 2), (3,)], ANY),
    "moments": (lambda x: tf.nn.moments(x, axes=[0]), [(3, 2)], ANY),
    "moments_keepdims": (lambda x: tf.nn.moments(x, axes=[0, 2], keepdims=True),
                         [(2, 3, 2)], ANY),
    "tensordot_1": (lambda a, b: tf.tensordot(a, b, 1), [(2, 3), (3, 4)], ANY),
    "tensordot_pairs": (lambda a, b: tf.tensordot(a, b, axes=([1, 0], [0, 2])),
                        [(2, 3, 2), (3, 4, 2)], ANY),
    "tensordot_0": (lambda a, b: tf.tensordot(a, b, 0), [(2,), (3,)], ANY),
    "einsum_ij_jk": (lambda a, b: tf.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)], ANY),
    "einsum_batch": (lambda a, b: tf.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)], ANY),
    "einsum_dot": (lambda a, b: tf.einsum("i,i->", a, b), [(4,), (4,)], ANY),
    "einsum_transpose": (lambda a: tf.einsum("ij->ji", a), [(2, 3)], ANY),
    "einsum_rowsum": (lambda a: tf.einsum("ij->i", a), [(2, 3)], ANY),
    "norm": (lambda x: tf.norm(x), [(2, 3)], NONZERO),
    "norm_axis": (lambda x: tf.norm(x, axis=1, keepdims=True), [(2, 3)], NONZERO),
    "norm_1": (lambda x: tf.norm(x, ord=1, axis=0), [(2, 3)], NONZERO),
    "norm_inf": (lambda x: tf.norm(x, ord=math.inf), [(2, 3)], distinct_abs),
    "pad_reflect": (lambda x: tf.pad(x, [[1, 2], [2, 1]], mode="REFLECT"), [(3, 4)], ANY),
    "pad_symmetric": (lambda x: tf.pad(x, [[2, 0], [1, 3]], mode="SYMMETRIC"), [(3, 4)], ANY),
    "pad_constant": (lambda x: tf.pad(x, [[1, 0], [0, 2]], constant_values=2.0), [(2, 2)], ANY),
    "split_sizes": (lambda x: tf.split(x, [1, -1, 2], axis=1), [(2, 5)], ANY),
    "split_single_part": (lambda x: tf.split(x, 1, axis=1), [(2, 3)], ANY),
    "unstack_size_one": (lambda x: tf.unstack(x, axis=0), [(1, 3)], ANY),
    "split_one_used": (lambda x: tf.split(x, 3, axis=0)[1], [(3, 2)], ANY),
    "unstack": (lambda x: tf.unstack(x, axis=1), [(2, 3)], ANY),
    "unstack_one_used": (lambda x: tf.unstack(x)[0] * 2.0, [(2, 3)], ANY),
    "getitem_slices": (lambda x: x[1:, ::-2], [(3, 4)], ANY),
    "getitem_ellipsis": (lambda x: x[..., 1], [(2, 3, 2)], ANY),
    "getitem_newaxis": (lambda x: x[tf.newaxis, :, None, -1], [(3, 2)], ANY),
    "getitem_mixed": (lambda x: x[0, ..., tf.newaxis, 1:3], [(2, 2, 4)], ANY),
    "getitem_repeated": (lambda x: x[0] * x[1] + x[:, 0][1], [(2, 2)], ANY),
    "matmul": (lambda a, b: tf.matmul(a, b), [(2, 3), (3, 4)], ANY),
    "matmul_ta": (lambda a, b: tf.matmul(a, b, transpose_a=True), [(3, 2), (3, 4)], ANY),
    "matmul_tb": (lambda a, b: tf.matmul(a, b, transpose_b=True), [(2, 3), (4, 3)], ANY),
    "matmul_tatb": (lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
                    [(3, 2), (4, 3)], ANY),
    "matmul_batch": (lambda a, b: tf.matmul(a, b), [(2, 1, 2, 3), (3, 3, 4)], ANY),
    "matmul_batch_rank2": (lambda a, b: tf.matmul(a, b, transpose_b=True),
                           [(2, 3), (4, 2, 3)], ANY),
    "matmul_operator": (lambda a, b: a @ b, [(2, 2), (2, 2)], ANY),
    "reduce_sum_axis": (lambda x: tf.reduce_sum(x, axis=1), [(2, 3, 2)], ANY),
    "reduce_sum_keepdims": (lambda x: tf.reduce_sum(x, axis=[0, 2], keepdims=True),
                            [(2, 3, 2)], ANY),
    "reduce_mean_neg_axis": (lambda x: tf.reduce_mean(x, axis=-1, keepdims=True),
                             [(2, 3)], ANY),
    "reduce_max_axis": (lambda x: tf.reduce_max(x, axis=0), [(3, 2)], distinct),
    "reduce_min_keepdims": (lambda x: tf.reduce_min(x, axis=[1], keepdims=True), [(2, 3)],
                            distinct),
    "reduce_prod_axis": (lambda x: tf.reduce_prod(x, axis=1), [(2, 3)], FACTORS),
    "reduce_prod_axes": (lambda x: tf.reduce_prod(x, axis=[0, 2], keepdims=True),
                         [(2, 3, 2)], FACTORS),
    "reduce_logsumexp_axis": (lambda x: tf.math.reduce_logsumexp(x, axis=0), [(3, 2)], ANY),
    "reduce_std": (lambda x: tf.math.reduce_std(x, axis=1), [(2, 3)], ANY),
    "reduce_variance": (lambda x: tf.math.reduce_variance(x), [(2, 3)], ANY),
    "cumsum_exclusive": (lambda x: tf.cumsum(x, axis=1, exclusive=True), [(2, 3)], ANY),
    "cumsum_reverse": (lambda x: tf.cumsum(x, reverse=True), [(4,)], ANY),
    "cumsum_both": (lambda x: tf.cumsum(x, axis=0, exclusive=True, reverse=True), [(3, 2)], ANY),
    "cumprod_exclusive": (lambda x: tf.math.cumprod(x, axis=1, exclusive=True), [(2, 3)],
                          FACTORS),
    "cumprod_reverse": (lambda x: tf.math.cumprod(x, reverse=True), [(4,)], FACTORS),
    "cumprod_both": (lambda x: tf.math.cumprod(x, axis=0, exclusive=True, reverse=True),
                     [(3, 2)], FACTORS),
    "add_n": (lambda x, y: tf.add_n([x, y, x]), [(2,), (2,)], ANY),
    "operators": (lambda x, y: (x - y) * x / (y * y + 1.0) + 2.0 ** x - x ** 2 % 1.5
                  + 1.0 / (1.0 + y * y) - (3.0 - x) + abs(y) - (-x),
                  [(2, 2), (2, 2)], (half_integers, NONZERO)),
    "pow_negative_base": (lambda x: tf.pow(x, 3.0) + x ** 2, [(2, 3)], NONZERO),
    "python_scalars": (lambda x: tf.maximum(x, 0.25) + tf.minimum(0.25, x) + tf.where(
        x > 0, x, 0.5), [(2, 3)], grid(0.1)),
    "relu6": (tf.nn.relu6, [(2, 4)], grid(0.25, -4, 15)),
    "leaky_relu_default": (tf.nn.leaky_relu, [(2, 3)], NONZERO),
    "softsign": (tf.nn.softsign, [(2, 3)], NONZERO),
    "swish_beta": (lambda x: tf.nn.swish(x, beta=0.7), [(2, 3)], ANY),
    "matrix_transpose": (lambda x: tf.linalg.matrix_transpose(x) * 2.0, [(2, 3, 2)], ANY),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_gradient(name):
    fn, shapes_, values = COMPOSITES[name]
    values = values if isinstance(values, tuple) else (values,) * len(shapes_)
    inputs = [_t(v, s) for v, s in zip(values, shapes_)]

    def composite(*xs):
        return fn(*xs)
    composite.__name__ = name
    check_gradients(composite, inputs, order=2)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, -1.5], [0.0, 2.0, 0.0, 1.5],
                                    [1.0, 2.0, -3.0, 0.0]], ids=["one-zero", "two-zeros", "last"])
@pytest.mark.parametrize("axis", [None, 0, 1], ids=["all", "ax0", "ax1"])
def test_reduce_prod_with_zeros(values, axis):
    # first order only: the second-order rule (through cumprod) divides by x
    x = tf.constant(values, tf.float64, shape=(2, 2))
    check_gradients(lambda x: tf.reduce_prod(x, axis=axis), [x], order=1)
