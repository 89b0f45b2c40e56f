"""What op definitions share: operand conversion with TensorFlow's dtype
rules, and undoing broadcasting in gradients."""
from ..backend import device as _device_scope
from ..errors import InvalidArgumentError
from ..tensor import Tensor, _constant as constant, convert_to_tensor
from ..variable import Variable

NO_PARAMS = {}
_scalar_cache = {}


def tensor(x):
    """A Tensor from anything (variables are read, so the tape sees it)."""
    if type(x) is Tensor:
        return x
    return convert_to_tensor(x)


def like(value, other):
    """``value`` as a tensor of ``other``'s dtype and device.

    Python scalars and host arrays take the tensor's dtype, as in TensorFlow
    (``x * 2`` keeps x's float32); a float never silently becomes an integer.
    """
    if isinstance(value, Variable):
        return value._read()
    if isinstance(value, Tensor):
        return value
    kind = type(value)
    backend = other._backend
    if kind is float or kind is int or kind is bool:
        key = (value, kind, backend, other._data.dtype)
        cached = _scalar_cache.get(key)
        if cached is None:
            if len(_scalar_cache) > 4096:
                _scalar_cache.clear()
            with _device_scope(backend):
                cached = _scalar_cache[key] = constant(value, other.dtype)
        return cached
    with _device_scope(backend):
        return constant(value, other.dtype)


def pair(x, y, opname):
    """Two operands of one dtype and device (TensorFlow never promotes)."""
    if type(x) is not Tensor or type(y) is not Tensor:
        if isinstance(x, Variable):
            x = x._read()
        if isinstance(y, Variable):
            y = y._read()
        if not isinstance(x, Tensor):
            x = like(x, y) if isinstance(y, Tensor) else tensor(x)
        if not isinstance(y, Tensor):
            y = like(y, x)
    if x._data.dtype != y._data.dtype:
        raise InvalidArgumentError(
            f"{opname}: operands must have the same dtype, got {x.dtype.name} (shape "
            f"{list(x.shape)}) and {y.dtype.name} (shape {list(y.shape)}); gpugrad "
            f"does not promote tensors, cast one with gpugrad.cast")
    return x, y


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    from .array_ops import reshape
    extra = len(gshape) - len(shape)
    axes = list(range(extra)) + [i + extra for i, d in enumerate(shape)
                                 if d == 1 and gshape[i + extra] != 1]
    if axes:  # the axes are already normalised: bind the op directly
        from ..registry import bind, get
        g = bind(get("reduce_sum"), (g,), {"axis": tuple(axes), "keepdims": False})
    return reshape(g, shape)


def shape_of(t):
    return t._data.shape


def partly_unknown(t):
    """True for a graph tensor with dimensions not known until it runs: its
    ``shape_of`` is a stand-in, not to be compared with a target shape."""
    return getattr(t, "_symbolic", False) and not t.shape.is_fully_defined()


def normalize_axis(axis, ndim, opname="op"):
    if axis is None:
        return None
    if ndim is None:  # a graph tensor of unknown rank
        raise InvalidArgumentError(f"{opname}: axis {axis} needs the input's rank, which is not "
                                   f"known (a placeholder made without a shape); give it one")
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    if isinstance(axis, (list, tuple)):
        return tuple(sorted(normalize_axis(a, ndim, opname) for a in axis))
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise InvalidArgumentError(f"{opname}: axis {axis} is out of range for a tensor "
                                   f"of rank {ndim}")
    return axis % ndim if ndim else 0
