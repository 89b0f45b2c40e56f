"""``gpugrad.function``: trace a Python function once per input signature.

A call's *signature* is, per argument: the shape, dtype and device of a
tensor; the identity of a variable; the value of anything else (a Python
number, a string, a flag). The first call with a signature traces the
function into a FuncGraph (Python runs once, its side effects with it);
later calls with that signature run the trace. ``input_signature`` fixes
one trace for tensors matching it; ``reduce_retracing`` traces a shape that
differs from an earlier one with the differing dimensions unknown.
"""
import functools
import inspect
import warnings
import weakref

from .. import config, context, nest
from ..dtypes import as_dtype
from ..graph.core import GraphTensor, placeholder
from ..shape import TensorShape
from ..tape import stop_all_recording
from ..tensor import Tensor, convert_to_tensor
from ..variable import Variable
from .concrete import ConcreteFunction
from .func_graph import FuncGraph

#: traces in a row after which a call that traces again warns
RETRACE_WARNING_AFTER = 5


class RetracingWarning(UserWarning):
    """A function keeps tracing again: its arguments change signature."""


class TensorSpec:
    """The shape (None for an unknown dimension) and dtype a tensor argument
    must have: ``gpugrad.TensorSpec([None, 784], gpugrad.float32)``."""

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = TensorShape(shape)
        self.dtype = as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name)

    def is_compatible_with(self, x):
        shape = x.shape if isinstance(x, TensorSpec) else TensorShape(x._data.shape) \
            if isinstance(x, Tensor) else TensorShape(x.shape)
        return as_dtype(x.dtype) is self.dtype and self.shape.is_compatible_with(shape)

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and other.dtype is self.dtype and \
            other.shape.as_list() == self.shape.as_list() if self.shape.rank is not None \
            else isinstance(other, TensorSpec) and other.dtype is self.dtype and \
            other.shape.rank is None

    def __hash__(self):
        return hash((self.dtype.name, None if self.shape.rank is None else tuple(self.shape)))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype=gpugrad.{self.dtype.name}, name={self.name!r})"


def _describe(entry):
    kind = entry[0]
    if kind == "T":
        return f"a {entry[2]} tensor of shape {list(entry[1])} on {entry[3]}"
    if kind == "V":
        return f"the variable '{entry[2]}'"
    return f"the Python value {entry[2]!r}"


class Function:
    """What ``@gpugrad.function`` makes: callable like the Python function;
    traces per signature (``get_concrete_function``, ``experimental_get_tracing_count``)."""

    def __init__(self, python_function, input_signature=None, reduce_retracing=False,
                 name=None, jit_compile=None, autograph=True):
        self.python_function = python_function
        self._signature = inspect.signature(python_function)
        self._params = list(self._signature.parameters)
        self._simple = all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
                           for p in self._signature.parameters.values())
        self.input_signature = None if input_signature is None else list(input_signature)
        self._reduce_retracing = bool(reduce_retracing)
        self._name = name or getattr(python_function, "__name__", "function")
        self._cache = {}              # signature key -> ConcreteFunction
        self._relaxed = {}            # key without shapes -> [(specs, ConcreteFunction)]
        self._traces = 0
        self._created_variables = False
        self._last_key = None
        self._bound = {}              # id(instance) -> (weak ref, bound Function)
        functools.update_wrapper(self, python_function)

    def __repr__(self):
        return f"<gpugrad.function {self._name}>"

    # ---------------------------------------------------------------- methods
    def __get__(self, instance, owner):
        """A method: ``self`` becomes part of the signature (by identity)."""
        if instance is None:
            return self
        bound = self._bound.get(id(instance))
        if bound is None or bound[0]() is not instance:
            fn = Function(self.python_function.__get__(instance, owner), self.input_signature,
                          self._reduce_retracing, self._name)
            try:
                ref = weakref.ref(instance)
            except TypeError:
                ref = (lambda obj: lambda: obj)(instance)
            bound = self._bound[id(instance)] = (ref, fn)
        return bound[1]

    # -------------------------------------------------------------- tracing
    def experimental_get_tracing_count(self):
        return self._traces

    def _canonical(self, args, kwargs):
        """The arguments as one positional tuple (defaults filled in)."""
        if not kwargs and self._simple and len(args) == len(self._params):
            return args
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        out = []
        for name, value in bound.arguments.items():
            kind = self._signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                out.extend(value)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                out.append(dict(value))
            else:
                out.append(value)
        return tuple(out)

    def _key(self, leaves):
        key = []
        for x in leaves:
            if isinstance(x, Tensor):
                data = x._data
                key.append(("T", data.shape, data.dtype, x._backend.name))
            elif isinstance(x, Variable):
                key.append(("V", id(x), x.name))
            else:
                try:
                    hash(x)
                    key.append(("P", type(x).__name__, x))
                except TypeError:
                    key.append(("P", type(x).__name__, f"<object at {id(x):#x}>"))
        return tuple(key)

    def __call__(self, *args, **kwargs):
        if config.functions_run_eagerly() or context.current_graph() is not None:
            # eager debugging; or called while a graph is built (another
            # traced function, a TensorFlow 1 graph): its ops join that graph
            return self.python_function(*args, **kwargs)
        args = self._canonical(args, kwargs)
        leaves = nest.flatten(list(args))
        if self.input_signature is not None:
            concrete = self._signature_function(leaves)
            tensors = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in leaves]
            return concrete(*tensors)
        for i, x in enumerate(leaves):
            if not isinstance(x, (Tensor, Variable)) and hasattr(x, "__array__") and \
                    hasattr(x, "dtype") and hasattr(x, "shape"):
                leaves[i] = convert_to_tensor(x)      # a numpy (or CuPy) array is a tensor
        key = self._key(leaves)
        concrete = self._cache.get(key)
        if concrete is None:
            concrete = self._relaxed_match(key) if self._reduce_retracing else None
            if concrete is None:
                concrete = self._trace(args, leaves, key)
            self._cache[key] = concrete
        tensors = [x for x in leaves if isinstance(x, Tensor)]
        return concrete._call_flat(tensors)

    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (tensors or TensorSpecs), tracing it
        if needed."""
        if not args and not kwargs and self.input_signature is not None:
            return self._signature_function(None)
        args = self._canonical(args, kwargs)
        leaves = nest.flatten(list(args))
        if any(isinstance(x, TensorSpec) for x in leaves):
            key = tuple(("S", x) if isinstance(x, TensorSpec) else ("P", type(x).__name__, x)
                        for x in leaves)
            concrete = self._cache.get(key)
            if concrete is None:
                concrete = self._cache[key] = self._trace(args, leaves, key)
            return concrete
        key = self._key(leaves)
        concrete = self._cache.get(key)
        if concrete is None:
            concrete = self._cache[key] = self._trace(args, leaves, key)
        return concrete

    def _signature_function(self, leaves):
        specs = self.input_signature
        flat_specs = nest.flatten(specs)
        if leaves is not None:
            if len(leaves) != len(flat_specs):
                raise TypeError(f"{self._name} was given {len(leaves)} argument(s) but its "
                                f"input_signature has {len(flat_specs)}: {specs}")
            for i, (x, spec) in enumerate(zip(leaves, flat_specs)):
                t = x if isinstance(x, Tensor) else convert_to_tensor(x)
                if not spec.is_compatible_with(t):
                    raise TypeError(
                        f"{self._name}: argument {i} ({t.dtype.name} tensor of shape "
                        f"{list(t._data.shape)}) does not match its input_signature entry "
                        f"{spec}; a function with an input_signature does not retrace")
        concrete = self._cache.get("signature")
        if concrete is None:
            concrete = self._cache["signature"] = self._trace(tuple(specs), flat_specs,
                                                              "signature")
        return concrete

    def _relaxed_match(self, key):
        """A trace with unknown dimensions that fits ``key``'s shapes."""
        shapeless = tuple(k[:1] + k[2:] if k[0] == "T" else k for k in key)
        for shapes, concrete in self._relaxed.get(shapeless, ()):
            if all(_fits(s, k[1]) for s, k in zip(shapes, (k for k in key if k[0] == "T"))):
                return concrete
        return None

    def _trace(self, args, leaves, key):
        relax = None
        if isinstance(key, tuple) and self._reduce_retracing:
            shapeless = tuple(k[:1] + k[2:] if k[0] == "T" else k for k in key)
            traced = self._relaxed.setdefault(shapeless, [])
            if traced:
                last = traced[-1][0]
                relax = [tuple(a if a == b else None for a, b in zip(s, k[1]))
                         if len(s) == len(k[1]) else None
                         for s, k in zip(last, (k for k in key if k[0] == "T"))]
        graph = FuncGraph(self._name)
        graph.may_create_variables = not self._created_variables
        inputs, filled, t_index = [], [], 0
        with stop_all_recording(), graph.as_default():
            for i, x in enumerate(leaves):
                if isinstance(x, TensorSpec):
                    p = placeholder(x.dtype, x.shape, name=x.name or f"arg{i}")
                elif isinstance(x, Tensor):
                    shape = x._data.shape if relax is None else relax[t_index]
                    t_index += 1
                    p = placeholder(x.dtype, shape, name=f"arg{i}")
                else:
                    filled.append(x)
                    continue
                inputs.append(p)
                filled.append(p)
            call_args = nest.pack_sequence_as(list(args), filled)
            result = self.python_function(*call_args)
            outputs = nest.map_structure(lambda o: _as_output(graph, o), result) \
                if result is not None else None
        if graph.created_variables:
            self._created_variables = True
        concrete = ConcreteFunction(graph, inputs, outputs, self._name)
        self._traces += 1
        if isinstance(key, tuple) and self._reduce_retracing:
            shapes = [tuple(p.shape.as_list()) if p.shape.rank is not None else None
                      for p in inputs]
            shapeless = tuple(k[:1] + k[2:] if k[0] == "T" else k for k in key)
            self._relaxed.setdefault(shapeless, []).append((shapes, concrete))
        self._warn_retracing(key)
        return concrete

    def _warn_retracing(self, key):
        previous, self._last_key = self._last_key, key
        if self._traces < RETRACE_WARNING_AFTER or previous is None or \
                not isinstance(key, tuple) or not isinstance(previous, tuple):
            return
        changed = [i for i, (a, b) in enumerate(zip(previous, key)) if a != b]
        if len(previous) != len(key):
            what = f"the number of arguments changed ({len(previous)} then {len(key)})"
        elif changed:
            i = changed[0]
            name = self._params[i] if i < len(self._params) else f"#{i}"
            what = (f"argument {i} ({name!r}) changed from {_describe(previous[i])} to "
                    f"{_describe(key[i])}")
            if key[i][0] == "T":
                what += ("; pass reduce_retracing=True, or an input_signature with None for "
                         "the dimensions that vary")
            elif key[i][0] == "P":
                what += "; pass a value that changes between calls as a tensor"
        else:
            what = "a new argument signature"
        warnings.warn(f"{self._name} has been traced {self._traces} times: {what}. Tracing "
                      f"is expensive; each distinct signature traces again.",
                      RetracingWarning, stacklevel=3)


def _fits(shape, dims):
    return shape is None or len(shape) == len(dims) and \
        all(a is None or a == b for a, b in zip(shape, dims))


def _as_output(graph, value):
    """A traced function's return value: graph tensors (eager tensors,
    variables and Python numbers become tensors of the graph, as in
    TensorFlow); None and other objects pass unchanged."""
    if isinstance(value, GraphTensor):
        return graph._as_graph_tensor(value)
    if isinstance(value, (Tensor, Variable)):
        from ..ops.array_ops import identity
        return identity(value)
    if isinstance(value, (bool, int, float)):
        from ..tensor import constant
        return constant(value)
    return value


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_relax_shapes=None, name=None, **unused):
    """``@gpugrad.function``: run a Python function as a traced graph (see
    docs/function.md). Usable with or without arguments."""
    relax = reduce_retracing or bool(experimental_relax_shapes)

    def decorate(fn):
        return Function(fn, input_signature, relax, name, jit_compile, autograph)
    return decorate if func is None else decorate(func)
