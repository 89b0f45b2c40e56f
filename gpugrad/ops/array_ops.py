"""Shapes, indexing, joining, gathering, and creating tensors."""
import math

from .. import backend as _backends
from ..dtypes import as_dtype, float32, int32
from ..errors import InvalidArgumentError, InvalidIndexError
from ..registry import defop, defvjp, defvjp_all, bind
from ..tape import _recording, custom_record
from .. import context
from ..tensor import Tensor, _constant as constant
from ._support import NO_PARAMS, tensor, shape_of, normalize_axis, unbroadcast, partly_unknown


# ---------------------------------------------------------------- creation
def _dims(shape):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def zeros(shape, dtype=float32, name=None):
    b = _backends.current()
    return Tensor(b.xp.zeros(_dims(shape), dtype=as_dtype(dtype).name), b)


def ones(shape, dtype=float32, name=None):
    b = _backends.current()
    return Tensor(b.xp.ones(_dims(shape), dtype=as_dtype(dtype).name), b)


def fill(dims, value, name=None):
    v = constant(value)
    b = v._backend
    return Tensor(b.xp.full(_dims(dims), v._data, dtype=v._data.dtype), b)


@context.graph_function("ZerosLike", differentiable=False)
def zeros_like(input, dtype=None, name=None):
    x = tensor(input)
    b = x._backend
    return Tensor(b.xp.zeros(shape_of(x), dtype=as_dtype(dtype).name if dtype else x._data.dtype), b)


@context.graph_function("OnesLike", differentiable=False)
def ones_like(input, dtype=None, name=None):
    x = tensor(input)
    b = x._backend
    return Tensor(b.xp.ones(shape_of(x), dtype=as_dtype(dtype).name if dtype else x._data.dtype), b)


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """Like Python's range; int32 for integers, float32 when any bound is a float."""
    if limit is None:
        start, limit = 0, start
    values = [v.numpy().item() if isinstance(v, Tensor) else v for v in (start, limit, delta)]
    if dtype is None:
        dtype = float32 if any(isinstance(v, float) for v in values) else int32
    dtype = as_dtype(dtype)
    b = _backends.current()
    return Tensor(b.xp.arange(*values, dtype=dtype.name), b)


def linspace(start, stop, num, name=None, axis=0):
    b = _backends.current()
    return Tensor(b.xp.linspace(start, stop, int(num), dtype="float32"), b)


def eye(num_rows, num_columns=None, dtype=float32, name=None):
    b = _backends.current()
    return Tensor(b.xp.eye(num_rows, num_columns, dtype=as_dtype(dtype).name), b)


def _one_hot_forward(xp, indices, depth, on, off, axis, dtype):
    hot = xp.expand_dims(indices, -1) == xp.arange(depth)
    out = xp.where(hot, on, off).astype(dtype)
    return xp.moveaxis(out, -1, axis) if axis not in (-1, out.ndim - 1) else out


_one_hot = defop("one_hot", differentiable=False)(_one_hot_forward)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A one-hot encoding; out-of-range indices give a row of off_value."""
    indices = tensor(indices)
    dtype = as_dtype(dtype or float32)
    return bind(_one_hot, (indices,), {
        "depth": int(depth), "on": 1 if on_value is None else on_value,
        "off": 0 if off_value is None else off_value,
        "axis": -1 if axis is None else int(axis), "dtype": dtype.name})


# ------------------------------------------------------------------ shapes
_reshape = defop("reshape")(lambda xp, x, shape: xp.reshape(x, shape))
defvjp(_reshape, lambda ans, x, shape: (lambda g, s=shape_of(x): reshape(g, s)))


@context.graph_function("Reshape", retry_unknown=True)
def reshape(tensor_, shape, name=None):
    x = tensor(tensor_)
    shape = _dims(shape)
    if shape == shape_of(x) and not partly_unknown(x):
        return x
    size = math.prod(shape_of(x))
    known = math.prod(d for d in shape if d != -1)
    if shape.count(-1) > 1 or (-1 not in shape and known != size) or \
            (-1 in shape and (known == 0 or size % known)):
        raise InvalidArgumentError(f"reshape: cannot reshape a tensor of shape "
                                   f"{list(shape_of(x))} ({size} elements) into {list(shape)}")
    return bind(_reshape, (x,), {"shape": shape})


@context.graph_function("ExpandDims", unknown_shapes_only=True)
def expand_dims(input, axis, name=None):
    x = tensor(input)
    shape = list(shape_of(x))
    axis = int(axis)
    if not -len(shape) - 1 <= axis <= len(shape):
        raise InvalidArgumentError(f"expand_dims: axis {axis} is out of range for rank {len(shape)}")
    shape.insert(axis % (len(shape) + 1), 1)
    return reshape(x, shape)


@context.graph_function("Squeeze", unknown_shapes_only=True)
def squeeze(input, axis=None, name=None):
    x = tensor(input)
    shape = shape_of(x)
    if axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [a % len(shape) for a in ([axis] if isinstance(axis, int) else axis)]
        for a in axes:
            if shape[a] != 1:
                raise InvalidArgumentError(f"squeeze: dimension {a} of shape {list(shape)} "
                                           f"is {shape[a]}, not 1")
    return reshape(x, [d for i, d in enumerate(shape) if i not in axes])


_transpose = defop("transpose")(lambda xp, x, perm: xp.transpose(x, perm))
defvjp(_transpose, lambda ans, x, perm:
       (lambda g: transpose(g, [perm.index(i) for i in builtin_range(len(perm))])))
builtin_range = __builtins__["range"] if isinstance(__builtins__, dict) else __builtins__.range


def transpose(a, perm=None, conjugate=False, name=None):
    x = tensor(a)
    n = x.ndim
    perm = tuple(reversed(builtin_range(n))) if perm is None else tuple(int(p) % max(n, 1) for p in perm)
    if sorted(perm) != list(builtin_range(n)):
        raise InvalidArgumentError(f"transpose: perm {list(perm)} is not a permutation of "
                                   f"the {n} dimensions of shape {list(shape_of(x))}")
    return bind(_transpose, (x,), {"perm": perm})


def _broadcast_shape(shape, target, opname):
    if len(shape) > len(target) or any(
            s not in (1, t) for s, t in zip(reversed(shape), reversed(target))):
        raise InvalidArgumentError(f"{opname}: cannot broadcast shape {list(shape)} to {list(target)}")


_broadcast_to = defop("broadcast_to")(lambda xp, x, shape: xp.broadcast_to(x, shape))
defvjp(_broadcast_to, lambda ans, x, shape: (lambda g, s=shape_of(x): unbroadcast(g, s)))


@context.graph_function("BroadcastTo", retry_unknown=True)
def broadcast_to(input, shape, name=None):
    x = tensor(input)
    shape = _dims(shape)
    if shape == shape_of(x) and not partly_unknown(x):
        return x
    _broadcast_shape(shape_of(x), shape, "broadcast_to")
    return bind(_broadcast_to, (x,), {"shape": shape})


def _tile_forward(xp, x, multiples):
    return xp.tile(x, multiples)


_tile = defop("tile")(_tile_forward)


def _tile_vjp(ans, x, multiples):
    def vjp(g):
        split_shape = []
        for m, d in zip(multiples, shape_of(x)):
            split_shape += [m, d]
        summed = reduce_sum_(reshape(g, split_shape), tuple(builtin_range(0, 2 * len(multiples), 2)))
        return summed
    return vjp


def reduce_sum_(x, axes):
    from .math_ops import reduce_sum
    return reduce_sum(x, axis=axes)


defvjp(_tile, _tile_vjp)


@context.graph_function("Tile", retry_unknown=True)
def tile(input, multiples, name=None):
    x = tensor(input)
    multiples = _dims(multiples)
    if len(multiples) != x.ndim:
        raise InvalidArgumentError(f"tile: multiples {list(multiples)} must have one entry per "
                                   f"dimension of shape {list(shape_of(x))}")
    return bind(_tile, (x,), {"multiples": multiples})


# ------------------------------------------------------- joining, splitting
def _concat_vjp(ans, *xs, axis):
    sizes = [shape_of(x)[axis] for x in xs]
    return lambda g: split(g, sizes, axis=axis)


_concat = defop("concat")(lambda xp, *xs, axis: xp.concatenate(xs, axis=axis))
defvjp_all(_concat, _concat_vjp)


def _same_dtype(xs, opname):
    for x in xs[1:]:
        if x._data.dtype != xs[0]._data.dtype:
            raise InvalidArgumentError(f"{opname}: all inputs must share a dtype, got "
                                       f"{[t.dtype.name for t in xs]}")


@context.graph_function("ConcatV2", retry_unknown=True)
def concat(values, axis, name="concat"):
    xs = [tensor(v) for v in values]
    _same_dtype(xs, "concat")
    axis = normalize_axis(axis, xs[0].ndim, "concat")
    if len(xs) == 1:
        return xs[0]
    return bind(_concat, tuple(xs), {"axis": axis})


_stack = defop("stack")(lambda xp, *xs, axis: xp.stack(xs, axis=axis))
defvjp_all(_stack, lambda ans, *xs, axis: (lambda g: unstack(g, axis=axis)))


@context.graph_function("Pack", retry_unknown=True)
def stack(values, axis=0, name="stack"):
    xs = [tensor(v) for v in values]
    _same_dtype(xs, "stack")
    for x in xs[1:]:
        if shape_of(x) != shape_of(xs[0]):
            raise InvalidArgumentError(f"stack: all inputs must have the same shape, got "
                                       f"{[list(shape_of(t)) for t in xs]}")
    axis = normalize_axis(axis, xs[0].ndim + 1, "stack")
    return bind(_stack, tuple(xs), {"axis": axis})


def _split_forward(xp, x, sizes, axis):
    bounds, total = [], 0
    for s in sizes[:-1]:
        total += s
        bounds.append(total)
    return tuple(xp.split(x, bounds, axis=axis))


_split = defop("split", num_outputs=None)(_split_forward)


def _split_vjp(ans, x, sizes, axis):
    def vjp(gs):
        return [concat([zeros_like(a) if g is None else g for g, a in zip(gs, ans)], axis)]
    return vjp


defvjp_all(_split, _split_vjp)


@context.graph_function("Split", unknown_shapes_only=True)
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    x = tensor(value)
    axis = normalize_axis(axis, x.ndim, "split")
    n = shape_of(x)[axis]
    if isinstance(num_or_size_splits, int):
        if n % num_or_size_splits:
            raise InvalidArgumentError(f"split: dimension {axis} of size {n} does not divide "
                                       f"into {num_or_size_splits} equal parts")
        sizes = (n // num_or_size_splits,) * num_or_size_splits
    else:
        sizes = list(_dims(num_or_size_splits))
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if sum(sizes) != n:
            raise InvalidArgumentError(f"split: sizes {sizes} do not add up to dimension "
                                       f"{axis} of size {n}")
        sizes = tuple(sizes)
    return list(bind(_split, (x,), {"sizes": sizes, "axis": axis}))


@context.graph_function("Unpack", unknown_shapes_only=True)
def unstack(value, num=None, axis=0, name="unstack"):
    x = tensor(value)
    axis = normalize_axis(axis, x.ndim, "unstack")
    parts = split(x, shape_of(x)[axis], axis=axis)
    return [squeeze(p, axis) for p in parts]


# -------------------------------------------------------------- indexing
def _normalize_key(key):
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            if k.ndim != 0 or not k.dtype.is_integer:
                raise TypeError(f"tensor indices must be integer scalars, got shape "
                                f"{list(k.shape)} {k.dtype.name}; use gpugrad.gather")
            k = int(k.numpy())
        elif isinstance(k, slice):
            k = slice(*(int(v.numpy()) if isinstance(v, Tensor) else v
                        for v in (k.start, k.stop, k.step)))
        elif k is not None and k is not Ellipsis and not isinstance(k, int):
            if hasattr(k, "__index__") and not isinstance(k, bool):
                k = int(k)
            else:
                raise TypeError(f"unsupported index {k!r}: use ints, slices, ..., None "
                                f"(gpugrad.newaxis), or gpugrad.gather for index tensors")
        out.append(k)
    return tuple(out)


_getitem = defop("strided_slice")(lambda xp, x, key: x[key])
_getitem_grad = defop("strided_slice_grad")(
    lambda xp, g, key, shape: _scatter_slice(xp, g, key, shape))


def _scatter_slice(xp, g, key, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    out[key] = g
    return out


defvjp(_getitem, lambda ans, x, key: (lambda g, s=shape_of(x): bind(
    _getitem_grad, (g,), {"key": key, "shape": s})))
defvjp(_getitem_grad, lambda ans, g, key, shape: (lambda gg: bind(_getitem, (gg,), {"key": key})))


def getitem(x, key):
    x = tensor(x)
    key = _normalize_key(key)
    try:
        return bind(_getitem, (x,), {"key": key})
    except InvalidArgumentError as exc:
        raise InvalidIndexError(f"index {key} is out of range for a tensor of shape "
                         f"{list(shape_of(x))}: {exc}") from None


def _gather_forward(xp, params, indices, axis):
    if indices.size and (indices.min() < 0 or indices.max() >= params.shape[axis]):
        bad = indices.max() if indices.max() >= params.shape[axis] else indices.min()
        raise IndexError(f"index {int(bad)} is not in [0, {params.shape[axis]})")
    return xp.take(params, indices, axis=axis)


def _gather_grad_forward(b, g, indices, axis, shape):
    out = b.xp.zeros(shape, dtype=g.dtype)
    b.scatter_add(out, (slice(None),) * axis + (indices,), g)
    return out


_gather = defop("gather")(_gather_forward)
_gather_grad = defop("gather_grad", backend=True)(_gather_grad_forward)
defvjp(_gather, lambda ans, p, i, axis: (lambda g, s=shape_of(p): bind(
    _gather_grad, (g, i), {"axis": axis, "shape": s})), None)
defvjp(_gather_grad, lambda ans, g, i, axis, shape: (lambda gg: bind(_gather, (gg, i), {"axis": axis})),
       None)


@context.graph_function("GatherV2", retry_unknown=True)
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of params along ``axis`` at ``indices``; repeated indices add up
    in the gradient."""
    if batch_dims:
        raise NotImplementedError("gather with batch_dims is not supported yet")
    p = tensor(params)
    i = tensor(indices)
    if not i.dtype.is_integer:
        raise TypeError(f"gather: indices must be int32 or int64, got {i.dtype.name}")
    axis = normalize_axis(0 if axis is None else axis, p.ndim, "gather")
    return bind(_gather, (p, i), {"axis": axis})


def _nd_key(xp, indices):
    return tuple(indices[..., k] for k in builtin_range(indices.shape[-1]))


def _gather_nd_grad_forward(b, g, indices, shape):
    out = b.xp.zeros(shape, dtype=g.dtype)
    b.scatter_add(out, _nd_key(b.xp, indices), g)
    return out


_gather_nd = defop("gather_nd")(lambda xp, p, i: p[_nd_key(xp, i)])
_gather_nd_grad = defop("gather_nd_grad", backend=True)(_gather_nd_grad_forward)
defvjp(_gather_nd, lambda ans, p, i: (lambda g, s=shape_of(p): bind(
    _gather_nd_grad, (g, i), {"shape": s})), None)
defvjp(_gather_nd_grad, lambda ans, g, i, shape: (lambda gg: bind(_gather_nd, (gg, i), NO_PARAMS)),
       None)


@context.graph_function("GatherNd", retry_unknown=True)
def gather_nd(params, indices, batch_dims=0, name=None):
    p = tensor(params)
    i = tensor(indices)
    if not i.dtype.is_integer:
        raise TypeError(f"gather_nd: indices must be int32 or int64, got {i.dtype.name}")
    if i.ndim == 0 or shape_of(i)[-1] > p.ndim:
        raise InvalidArgumentError(f"gather_nd: the last dimension of indices {list(shape_of(i))} "
                                   f"must be at most the rank of params {list(shape_of(p))}")
    return bind(_gather_nd, (p, i), NO_PARAMS)


_pad = defop("pad")(lambda xp, x, paddings, value: xp.pad(x, paddings, constant_values=value))
defvjp(_pad, lambda ans, x, paddings, value: (lambda g: getitem(g, tuple(
    slice(lo, lo + d) for (lo, hi), d in zip(paddings, shape_of(x))))))


@context.graph_function("Pad", retry_unknown=True)
def pad(tensor_, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pad each dimension by [before, after]; modes CONSTANT, REFLECT, SYMMETRIC."""
    x = tensor(tensor_)
    paddings = tuple(tuple(int(v) for v in p) for p in
                     (paddings.numpy().tolist() if isinstance(paddings, Tensor) else paddings))
    if len(paddings) != x.ndim:
        raise InvalidArgumentError(f"pad: paddings needs one [before, after] pair per dimension "
                                   f"of shape {list(shape_of(x))}, got {len(paddings)}")
    mode = mode.upper()
    if mode == "CONSTANT":
        return bind(_pad, (x,), {"paddings": paddings, "value": constant_values})
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"pad: unknown mode {mode!r}")
    # reflections are gathers along each axis: their gradient is gather's
    xp = x._backend.xp
    for axis, (lo, hi) in enumerate(paddings):
        if lo or hi:
            index = xp.pad(xp.arange(shape_of(x)[axis]), (lo, hi), mode=mode.lower())
            x = gather(x, Tensor(index.astype("int64"), x._backend), axis=axis)
    return x


# --------------------------------------------------------- identity & co.
_identity = defop("identity")(lambda xp, x: x)
defvjp(_identity, lambda ans, x: identity)


def identity(input, name=None):
    return bind(_identity, (tensor(input),), NO_PARAMS)


_stop_gradient = defop("stop_gradient", differentiable=False)(lambda xp, x: x)


def stop_gradient(input, name=None):
    """The same value, with no gradient flowing back through it."""
    return bind(_stop_gradient, (tensor(input),), NO_PARAMS)


def copy_to_device(x, device):
    """An explicit copy to another device; the gradient is copied back."""
    x = tensor(x)
    target = _backends.get(device)
    if target is x._backend:
        return x
    host = x._backend.to_host(x._data)
    out = Tensor(target.asarray(host), target)
    if _recording:
        source = x._backend
        custom_record([x], [out], lambda g: [copy_to_device(g, source)])
    return out


_where_indices = defop("where_indices", differentiable=False)(
    lambda xp, c: xp.stack(xp.nonzero(c), axis=-1).astype("int64"))


def where_indices(condition):
    return bind(_where_indices, (tensor(condition),), NO_PARAMS)


@context.graph_function("Shape", differentiable=False)
def shape(input, out_type=int32, name=None):
    x = tensor(input)
    return constant(list(shape_of(x)), dtype=out_type)


@context.graph_function("Size", differentiable=False)
def size(input, out_type=int32, name=None):
    return constant(math.prod(shape_of(tensor(input))), dtype=out_type)


def rank(input, name=None):
    return constant(tensor(input).ndim, dtype=int32)
