"""Variable: named, mutable state on one device.

A variable holds an array that only ``assign``, ``assign_add`` and
``assign_sub`` replace. Reading it (using it in an op, ``value()``,
``read_value()``) gives a tensor that keeps the value it read, whatever
happens to the variable afterwards, and tells the recording tapes about the
read. Assignment is a change of state, not an op: the tape never sees it, so
gradients never flow through an assigned value.
"""
import itertools

from . import backend as _backends
from . import context
from .dtypes import as_dtype
from .errors import InvalidArgumentError
from .shape import TensorShape
from .tensor import Tensor, _Value, constant, convert_to_tensor, _numpy_repr, _next_id
from .tape import _recording, record_read

_unnamed = itertools.count()


class Variable(_Value):
    __slots__ = ("_data", "_backend", "_tid", "_trainable", "_name", "_shape", "__weakref__")

    __array_ufunc__ = None
    __array_priority__ = 1000
    __hash__ = None  # == is elementwise, as in TensorFlow 2: use .ref()

    def __new__(cls, *args, **kwargs):
        # while a graph is being built, a Variable is a graph variable whose
        # value lives in each Session (gpugrad.graph.variables)
        # (a traced function's graph lifts it out instead: see __init__)
        graph = context.current_graph()
        if cls is Variable and graph is not None and not getattr(graph, "lifts_variables", 0):
            from .graph.variables import GraphVariable
            cls = GraphVariable
        return object.__new__(cls)

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None,
                 shape=None, **unused):
        graph = context.current_graph()
        if graph is not None and getattr(graph, "lifts_variables", False):
            # made while a function is traced: created eagerly, once
            if getattr(initial_value, "_symbolic", False):
                raise ValueError(
                    f"Variable {name or 'Variable'}: a variable created inside a traced "
                    f"function needs an initial value that does not depend on the function's "
                    f"tensors (a Python value, an eager tensor, or a callable); got "
                    f"{initial_value!r}")
            graph._lift_variable(lambda: self._init(initial_value, trainable, name, dtype,
                                                    shape))
            return
        self._init(initial_value, trainable, name, dtype, shape)

    def _init(self, initial_value, trainable, name, dtype, shape):
        if initial_value is None:
            raise ValueError("Variable needs an initial_value")
        if callable(initial_value):
            initial_value = initial_value()
        if dtype is not None:
            dtype = as_dtype(dtype)
        if isinstance(initial_value, Tensor) or isinstance(initial_value, Variable):
            value = convert_to_tensor(initial_value)
            if dtype is not None and value.dtype is not dtype:
                from .ops.math_ops import cast
                value = cast(value, dtype)
        else:
            value = constant(initial_value, dtype)
        target = _backends.current()
        if value._backend is not target:
            value = value.to(target)
        self._shape = TensorShape(value.shape if shape is None else shape)
        if not self._shape.is_compatible_with(value.shape):
            raise ValueError(f"Variable {name or 'Variable'}: initial value of shape "
                             f"{list(value.shape)} does not match shape {list(self._shape)}")
        self._data = value._data
        self._backend = value._backend
        self._tid = _next_id()
        self._trainable = bool(trainable)
        self._name = (name or "Variable") + ":0"

    # ---------------------------------------------------------- description
    @property
    def name(self):
        return self._name

    @property
    def trainable(self):
        return self._trainable

    @property
    def shape(self):
        """The declared shape (None where a dimension may change)."""
        return self._shape

    def get_shape(self):
        return self._shape

    def __repr__(self):
        return (f"<gpugrad.Variable '{self._name}' shape={TensorShape(self._data.shape)} "
                f"dtype={self.dtype.name}, device={self.device}, numpy={_numpy_repr(self)}>")

    # ---------------------------------------------------------------- reads
    def _read(self):
        if context._thread.building and context.current_graph() is not None:
            return context.current_graph()._as_graph_tensor(self)   # a traced read
        value = Tensor(self._data, self._backend)
        if _recording:
            record_read(self, value)
        return value

    def value(self):
        return self._read()

    def read_value(self):
        return self._read()

    def __len__(self):
        return len(self._read())

    def __iter__(self):
        return iter(self._read())

    def __dlpack__(self, **kwargs):
        return self._read().__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._read().__dlpack_device__()

    # ----------------------------------------------------------- assignment
    def _checked(self, value, what):
        """The new array for ``value``; raises before any state changes."""
        if isinstance(value, (Tensor, Variable)):
            t = value._read() if isinstance(value, Variable) else value
            if t._backend is not self._backend:
                raise InvalidArgumentError(
                    f"{what} on variable '{self._name}': the value is on {t._backend.name} "
                    f"but the variable lives on {self._backend.name}; copy it with .to()")
            if t.dtype is not self.dtype:
                raise InvalidArgumentError(
                    f"{what} on variable '{self._name}': dtype mismatch, the variable is "
                    f"{self.dtype.name} and the value is {t.dtype.name} (shape "
                    f"{list(t.shape)}); cast it with gpugrad.cast")
        else:
            with _backends.device(self._backend):
                t = constant(value, self.dtype)
        if not self._shape.is_compatible_with(t.shape):
            raise InvalidArgumentError(
                f"{what} on variable '{self._name}': shape mismatch, the variable has "
                f"shape {list(self._shape)} and the value has shape {list(t.shape)}")
        return t._data

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Replace the value. Tensors read earlier keep the old value."""
        if context._thread.building and context.current_graph() is not None:
            return _traced(self, "assign", value, read_value)
        self._data = self._checked(value, "assign")
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        if context._thread.building and context.current_graph() is not None:
            return _traced(self, "assign_add", delta, read_value)
        new = self._checked(delta, "assign_add")
        self._data = self._backend.xp.add(self._data, new)
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        if context._thread.building and context.current_graph() is not None:
            return _traced(self, "assign_sub", delta, read_value)
        new = self._checked(delta, "assign_sub")
        self._data = self._backend.xp.subtract(self._data, new)
        return self if read_value else None

    def __getitem__(self, key):
        return self._read()[key]


def _traced(variable, how, value, read_value):
    """Assignment while a graph is built: an op of a traced function."""
    graph = context.current_graph()
    if not getattr(graph, "lifts_variables", False):
        raise ValueError(f"the eager variable '{variable.name}' cannot be assigned in a "
                         f"TensorFlow 1 graph; create the variable inside the graph")
    return graph._assign_variable(variable, how, value, read_value)


def assign(ref, value, validate_shape=True, use_locking=None, name=None):
    return ref.assign(value)


def assign_add(ref, value, use_locking=None, name=None):
    return ref.assign_add(value)


def assign_sub(ref, value, use_locking=None, name=None):
    return ref.assign_sub(value)
