"""Tensor: an immutable array on one device.

A tensor is a device array, the backend that owns it, and an id the tape
uses to follow it. Operators (+, *, @, [] ...) are installed by
``gpugrad.ops`` so this module stays free of op definitions.
"""
import itertools

from . import backend as _backends
from . import context
from .dtypes import as_dtype, from_name, float32, int32, bool_
from .shape import TensorShape

_next_id = itertools.count(1).__next__


class _Value:
    """What tensors and variables share: a device array and its backend."""
    __slots__ = ()

    @property
    def dtype(self):
        return from_name(self._backend.dtype_name(self._data))

    @property
    def ndim(self):
        return len(self._data.shape)

    @property
    def device(self):
        return self._backend.name

    @property
    def backend(self):
        return self._backend

    def numpy(self):
        """A host numpy array holding a copy of the value."""
        host = self._backend.to_host(self._data)
        return host.copy() if host.ndim else host[()]

    def __array__(self, dtype=None, copy=None):
        host = self._backend.to_host(self._data)
        return host if dtype is None else host.astype(dtype)

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def ref(self):
        """A hashable reference, for dict keys and sets."""
        return Reference(self)

    experimental_ref = ref


class Tensor(_Value):
    __slots__ = ("_data", "_backend", "_tid", "__weakref__")

    # numpy hands binary operators with a Tensor back to us (x.__rmul__)
    __array_ufunc__ = None
    __array_priority__ = 1000
    __hash__ = None  # == is elementwise, as in TensorFlow 2: use .ref()

    def __init__(self, data, backend):
        self._data = data
        self._backend = backend
        self._tid = _next_id()

    # ---------------------------------------------------------- description
    @property
    def shape(self):
        return TensorShape(self._data.shape)

    def get_shape(self):
        return self.shape

    def __repr__(self):
        return (f"<gpugrad.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"device={self.device}, numpy={_numpy_repr(self)}>")

    def __str__(self):
        return f"gpugrad.Tensor({self._backend.to_host(self._data)}, shape={self.shape}, dtype={self.dtype.name})"

    # ------------------------------------------------------- Python protocol
    def __len__(self):
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __index__(self):
        if not self.dtype.is_integer:
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype.name}")
        return int(self._data)

    # ------------------------------------------------------------- devices
    def to(self, device):
        """A copy on ``device`` ('cpu', 'gpu:0', ...); gradients flow back."""
        from .ops.array_ops import copy_to_device
        return copy_to_device(self, device)

    def cpu(self):
        return self.to("cpu")

    def gpu(self, index=0):
        return self.to(f"gpu:{index}")

    def __dlpack__(self, **kwargs):
        return self._backend.to_dlpack_array(self._data).__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._backend.to_dlpack_array(self._data).__dlpack_device__()


class Reference:
    """Hashable handle on a tensor or variable (TensorFlow's ``ref()``)."""
    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, Reference) and other._obj is self._obj


def _numpy_repr(value):
    text = repr(value.numpy())
    return text if "\n" not in text else "\n" + text


def is_tensor(x):
    return isinstance(x, Tensor)


# ------------------------------------------------------------- conversion
_PY_DTYPES = {float: float32, int: int32, bool: bool_}
_INT32_MAX = 2 ** 31 - 1


def _host_array(value, dtype):
    """A host array from Python scalars or nested lists, with TensorFlow's
    defaults: floats become float32, ints int32 (int64 when they do not fit)."""
    host = _backends.cpu().asarray(value)
    kind = host.dtype.kind
    if dtype is None:
        if kind == "f":
            dtype = float32
        elif kind in "iu":
            fits = host.size == 0 or (-_INT32_MAX - 1 <= host.min() and host.max() <= _INT32_MAX)
            dtype = int32 if fits else as_dtype("int64")
        elif kind == "b":
            dtype = bool_
        else:
            raise TypeError(f"cannot convert {value!r} to a tensor: unsupported "
                            f"element type {host.dtype}")
    elif kind == "f" and not dtype.is_floating:
        from .errors import DTypeConversionError
        raise DTypeConversionError(f"cannot convert {value!r} to a tensor of dtype {dtype.name}: "
                        f"the value holds floats")
    return host, dtype


def constant(value, dtype=None, shape=None, name=None):
    """A tensor on the current device from a Python value, array or tensor
    (a Const op when a graph is being built)."""
    graph = context.current_graph()
    if graph is not None:
        return graph._constant(value, dtype, shape, name)
    return _constant(value, dtype, shape)


def _constant(value, dtype=None, shape=None, name=None):
    dtype = None if dtype is None else as_dtype(dtype)
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        t = convert_to_tensor(value)
        if dtype is not None and t.dtype is not dtype:
            from .ops.math_ops import cast
            t = cast(t, dtype)
        data, backend = t._data, t._backend
    elif isinstance(value, (list, tuple)) and _holds_tensor(value):
        from .ops.array_ops import stack
        return _constant(stack([_constant(v, dtype) for v in value]), dtype, shape)
    else:
        backend = _backends.current()
        if hasattr(value, "dtype") and hasattr(value, "shape"):  # an array
            data = _from_array_like(value, backend)
            if dtype is not None and backend.dtype_name(data) != dtype.name:
                data = data.astype(dtype.name)
        else:
            host, dtype = _host_array(value, dtype)
            data = backend.asarray(host, dtype=dtype.name)
        from_name(backend.dtype_name(data))  # reject unsupported dtypes early
    if shape is not None:
        data = _fill_shape(data, tuple(shape), backend)
    return Tensor(data, backend)


def _holds_tensor(items):
    return any(isinstance(v, Tensor) or hasattr(v, "_read") or
               (isinstance(v, (list, tuple)) and _holds_tensor(v)) for v in items)


def _fill_shape(data, shape, backend):
    size = 1
    for d in shape:
        size *= d
    if data.size == size:
        return data.reshape(shape)
    if data.size == 1:
        return backend.xp.broadcast_to(data.reshape(()), shape).copy()
    raise TypeError(f"constant: cannot reshape a value of {data.size} elements "
                    f"into shape {list(shape)}")


def _from_array_like(value, backend):
    """Host numpy arrays are copied to the device; device arrays are kept;
    other frameworks' arrays come through DLPack."""
    if backend.is_native(value):
        return value
    if type(value).__module__.split(".")[0] == "numpy":
        return backend.asarray(value)
    if hasattr(value, "__dlpack__"):
        kind = value.__dlpack_device__()[0]
        if (kind == 1) == (backend.kind == "cpu"):
            return backend.from_dlpack(value)
        host = _backends.cpu().from_dlpack(value) if kind == 1 else None
        if host is not None:
            return backend.asarray(host)
        raise ValueError(f"cannot place an array from DLPack device {value.__dlpack_device__()} "
                         f"on {backend.name} without an explicit copy")
    return backend.asarray(value)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """A Tensor from a tensor, a variable or anything ``constant`` accepts."""
    if type(value) is Tensor:
        t = value
    elif hasattr(value, "_read"):  # a Variable: a read that the tape sees
        t = value._read()
    elif isinstance(value, Tensor):
        t = value
    else:
        if dtype is None and dtype_hint is not None and not hasattr(value, "dtype"):
            try:
                return constant(value, dtype_hint)
            except TypeError:
                pass
        return constant(value, dtype)
    if dtype is not None and t.dtype is not as_dtype(dtype):
        from .errors import InvalidArgumentError
        raise InvalidArgumentError(
            f"tensor conversion requested dtype {as_dtype(dtype).name} for a tensor "
            f"of dtype {t.dtype.name} (shape {list(t.shape)}); use gpugrad.cast")
    return t
