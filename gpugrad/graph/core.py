"""Graphs: ops recorded now and run later, by a Session, on its device.

Inside ``with graph.as_default():`` the registry's ``bind`` does not compute:
it adds an Operation to the graph and returns symbolic tensors. Every op the
eager mode has works here unchanged, because an op's Python wrapper only
looks at its inputs' shapes and dtypes, and a symbolic tensor can show it a
*stand-in*: a zero array of its static shape (unknown dimensions filled in).

Static shape inference runs the op's forward on stand-ins, on the CPU, at
the time the op is added. When a dimension is unknown it runs twice, with
that dimension as 2 and as 3; output dimensions that differ are unknown.
This gives TensorFlow's static shapes for every registered op without a
shape function per op ([None, 3] @ [3, 4] is [None, 4]; [None] + [3] is [3]).

Operations keep a ``kernel(run, arrays) -> arrays``: for registry ops the
forward itself, so a Session runs a graph with no Tensor objects in between.
Functions that need values rather than shapes (random draws, ``tf.shape``,
index checks) become one node that calls the Python function at run time
(``context.graph_function``).
"""
import contextlib
import os
import sys

from .. import backend as _backends
from .. import context
from ..dtypes import as_dtype
from ..errors import InvalidArgumentError
from ..registry import _forward
from ..shape import TensorShape
from ..tensor import Tensor, _next_id
from ..variable import Variable

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: what an unknown dimension is, in the stand-in worlds (see the module doc);
#: the ones-world catches what a dimension of 1 would change (squeeze,
#: broadcasting against a known size)
_WORLDS = (2, 3, 1, 4)
#: integer results this small keep their stand-in values (a ``shape(x)``
#: stand-in holds the stand-in's dimensions, so ``random.normal(shape(x))``
#: infers its shape)
_VALUE_LIMIT = 64
#: ops whose output size depends on input values, not shapes
_DATA_DEPENDENT = {"where_indices"}


def _call_site():
    """Where the user's code called into gpugrad, and the ``name=`` argument
    of the gpugrad function it called (TensorFlow's ``name=``), if any."""
    frame = sys._getframe(2)
    api = None
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        api = frame
        frame = frame.f_back
    site = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
    name = None
    if api is not None:
        code = api.f_code
        if "name" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]:
            value = api.f_locals.get("name")
            name = value if isinstance(value, str) and value else None
    return site, name


class Operation:
    """A node: its type, inputs, outputs, control inputs and kernel."""
    __slots__ = ("graph", "name", "type", "inputs", "outputs", "control_inputs", "attrs",
                 "shape_inputs", "_index", "_kernel", "_site", "_fn", "_registry_op",
                 "_differentiable", "__weakref__")

    def __init__(self, graph, name, type_, inputs, control_inputs, kernel, attrs, site):
        self.graph = graph
        self.name = name
        self.type = type_
        self.inputs = tuple(inputs)
        self.control_inputs = tuple(control_inputs)
        self.outputs = ()
        self.shape_inputs = ()       # tensors whose shape and dtype, not value, it needs
        self.attrs = attrs or {}
        self._index = len(graph._ops)
        self._kernel = kernel
        self._site = site
        self._fn = None              # Tensor-level function (function nodes)
        self._registry_op = None     # the registry Op (op nodes)
        self._differentiable = False

    @property
    def device(self):
        return ""

    def values(self):
        return tuple(self.outputs)

    def run(self, feed_dict=None, session=None):
        """Run this op in ``session`` (the default session when None)."""
        from .session import _session_for
        _session_for(session, self).run(self, feed_dict)

    def __repr__(self):
        return f"<gpugrad.Operation '{self.name}' type={self.type}>"


class GraphTensor(Tensor):
    """A symbolic tensor: the ``index``-th output of an Operation.

    It has a static shape (None where unknown) and a dtype, and no value: a
    Session computes one. ``isinstance(t, gpugrad.Tensor)`` holds, so code
    written for tensors accepts it.
    """
    __slots__ = ("_op", "_index", "_shape", "_dtype", "_values")
    _symbolic = True
    __hash__ = object.__hash__   # graph tensors key feed dicts, as in TensorFlow 1

    def __init__(self, op, index, shape, dtype):
        self._op = op
        self._index = index
        self._shape = TensorShape(shape)
        self._dtype = as_dtype(dtype)
        self._backend = _backends.cpu()   # stand-ins live on the CPU
        self._tid = _next_id()
        self._values = None               # stand-in values per world, when kept

    # ---------------------------------------------------------- description
    @property
    def _data(self):
        """A stand-in array, for op wrappers that inspect shapes and dtypes
        while a graph is being built. Outside one it is an error."""
        if context.current_graph() is None:
            raise TypeError(f"{self!r} is symbolic: it has no value outside its graph. Use it "
                            f"inside `with graph.as_default():` or compute it with "
                            f"Session.run (or Tensor.eval)")
        return self._standin(0)

    def _standin(self, world):
        if self._values is not None and self._values[world] is not None:
            return self._values[world]
        shape = self._shape
        if shape.rank is None:
            dims = () if world == 0 else (_WORLDS[world],)
        else:
            dims = tuple(_WORLDS[world] if d is None else d for d in shape)
        return self._backend.xp.zeros(dims, dtype=self._dtype.name)

    @property
    def op(self):
        return self._op

    @property
    def graph(self):
        return self._op.graph

    @property
    def value_index(self):
        return self._index

    @property
    def name(self):
        return f"{self._op.name}:{self._index}"

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return self._shape

    @property
    def ndim(self):
        return self._shape.rank

    @property
    def device(self):
        return ""

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        """Narrow the static shape (an unknown dimension becomes known)."""
        shape = TensorShape(shape)
        if not self._shape.is_compatible_with(shape):
            raise ValueError(f"set_shape: {self.name} has shape {self._shape}, which is not "
                             f"compatible with {shape}")
        if shape.rank is not None:
            if self._shape.rank is None:
                self._shape = shape
            else:
                self._shape = TensorShape([a if a is not None else b
                                           for a, b in zip(self._shape, shape)])

    def consumers(self):
        return [op for op in self._op.graph._ops if any(t is self for t in op.inputs)]

    def eval(self, feed_dict=None, session=None):
        """The value of this tensor, computed by ``session`` (or the default)."""
        from .session import _session_for
        return _session_for(session, self._op).run(self, feed_dict)

    # ------------------------------------------------------- no value here
    def numpy(self):
        raise TypeError(f"{self.name} is a symbolic tensor and has no value; compute it "
                        f"with Session.run or Tensor.eval")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"cannot convert the symbolic tensor {self.name} to a numpy array; "
                        f"compute it with Session.run")

    def __bool__(self):
        if getattr(self._op.graph, "lifts_variables", False):
            from ..errors import OperatorNotAllowedInGraphError
            raise OperatorNotAllowedInGraphError(
                f"Using the symbolic tensor {self.name} as a Python bool is not allowed while "
                f"a gpugrad.function is traced: its value is only known when the function "
                f"runs. A Python `if` on a tensor's value is fixed at trace time; use "
                f"gpugrad.cond(pred, true_fn, false_fn) (and gpugrad.while_loop for loops)")
        raise TypeError(f"using the symbolic tensor {self.name} as a Python bool is not "
                        f"allowed: its value is only known when a Session runs it")

    def __float__(self):
        self.numpy()

    __int__ = __index__ = __float__

    def __len__(self):
        if self._shape.rank is None or not self._shape or self._shape[0] is None:
            raise TypeError(f"len() of {self.name}, whose first dimension is not known "
                            f"(shape {self._shape})")
        return self._shape[0]

    def __iter__(self):
        n = len(self)
        return (self[i] for i in range(n))

    def __eq__(self, other):     # identity, as graph-mode TensorFlow
        return self is other

    def __ne__(self, other):
        return self is not other

    def __repr__(self):
        return f"<gpugrad.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    __str__ = __repr__


class _DefaultGraph:
    def __init__(self, graph):
        self.graph = graph

    def __enter__(self):
        context.push(self.graph)
        return self.graph

    def __exit__(self, *exc):
        context.pop()
        return False


class Graph:
    """A dataflow graph: operations in creation order (a topological order),
    unique names, name scopes, control dependencies and collections."""

    def __init__(self):
        self._ops = []
        self._names = {}
        self._used_names = set()
        self._scope = ""
        self._control = []          # stack of lists of ops; None clears
        self._collections = {}
        self._finalized = False
        self._constants = {}        # id(eager tensor) -> (tensor, its Const output)

    # ------------------------------------------------------------- defaults
    def as_default(self):
        """``with graph.as_default():`` ops built in the block go to this graph."""
        return _DefaultGraph(self)

    # ---------------------------------------------------------------- lookup
    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        try:
            return self._names[name]
        except KeyError:
            raise KeyError(f"the graph has no operation named {name!r}") from None

    def get_tensor_by_name(self, name):
        op_name, _, index = name.rpartition(":")
        if not op_name or not index.isdigit():
            raise ValueError(f"{name!r} is not a tensor name: expected '<op name>:<output index>'")
        op = self.get_operation_by_name(op_name)
        if int(index) >= len(op.outputs):
            raise KeyError(f"operation {op_name!r} has {len(op.outputs)} output(s), no output "
                           f"{index}")
        return op.outputs[int(index)]

    def as_graph_element(self, obj):
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        return obj

    @property
    def version(self):
        return len(self._ops)

    # -------------------------------------------------------------- freezing
    def finalize(self):
        """Forbid new operations (catches graphs that grow in a training loop)."""
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    # ----------------------------------------------------------------- names
    def unique_name(self, name, mark_as_used=True):
        full = self._scope + name
        candidate, k = full, 0
        while candidate in self._used_names:
            k += 1
            candidate = f"{full}_{k}"
        if mark_as_used:
            self._used_names.add(candidate)
        return candidate

    @contextlib.contextmanager
    def name_scope(self, name):
        """Prefix the names of ops built in the block with ``name/`` (made
        unique: a second scope ``layer`` is ``layer_1``)."""
        old = self._scope
        if name is None or name == "":
            self._scope = ""
        elif name.endswith("/"):
            self._scope = name
        else:
            self._scope = self.unique_name(name) + "/"
        try:
            yield self._scope
        finally:
            self._scope = old

    def get_name_scope(self):
        return self._scope.rstrip("/")

    # ---------------------------------------------------- control dependencies
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops built in the block run only after ``control_inputs`` (ops,
        tensors or variables). ``None`` clears the enclosing dependencies."""
        if control_inputs is None:
            self._control.append(None)
        else:
            ops = []
            for c in control_inputs:
                ops.append(self._control_op(c))
            self._control.append(ops)
        try:
            yield
        finally:
            self._control.pop()

    def _control_op(self, c):
        if isinstance(c, Operation):
            op = c
        elif isinstance(c, GraphTensor):
            op = c._op
        elif hasattr(c, "_graph_op"):        # a graph variable: its latest value
            op = c._graph_op
        else:
            raise TypeError(f"control_dependencies: expected operations or tensors of the "
                            f"graph, got {type(c).__name__}: {c!r}")
        if op.graph is not self:
            raise ValueError(f"control_dependencies: {op.name} belongs to another graph")
        return op

    def _current_control(self):
        ops = []
        for entry in reversed(self._control):
            if entry is None:
                break
            ops.extend(entry)
        seen, unique = set(), []
        for op in reversed(ops):
            if id(op) not in seen:
                seen.add(id(op))
                unique.append(op)
        return unique[::-1]

    # ----------------------------------------------------------- collections
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def get_collection(self, name, scope=None):
        items = list(self._collections.get(name, ()))
        if scope:
            items = [v for v in items if getattr(v, "name", "").startswith(scope)]
        return items

    def get_all_collection_keys(self):
        return sorted(self._collections)

    # --------------------------------------------------------- building ops
    def _create_op(self, type_, inputs, out_specs, kernel, name=None, attrs=None,
                   control_inputs=None, exact_name=False, shape_inputs=()):
        """Add an op; ``out_specs`` is a list of (shape, dtype)."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        site, user_name = _call_site()
        if exact_name:
            full = name
            self._used_names.add(full)
        else:
            full = self.unique_name(name or user_name or type_)
        control = self._current_control() if control_inputs is None else list(control_inputs)
        op = Operation(self, full, type_, inputs, control, kernel, attrs, site)
        op.shape_inputs = tuple(shape_inputs)
        op.outputs = tuple(GraphTensor(op, i, shape, dtype)
                           for i, (shape, dtype) in enumerate(out_specs))
        self._ops.append(op)
        self._names[full] = op
        return op

    def _as_graph_tensor(self, value, dtype=None):
        """``value`` as a tensor of this graph: graph tensors pass, graph
        variables are read, eager tensors and Python values become Const ops."""
        if isinstance(value, GraphTensor):
            if value._op.graph is not self:
                raise ValueError(f"{value.name} belongs to another graph than the one being "
                                 f"built; tensors of one graph cannot feed ops of another")
            return value
        if isinstance(value, Variable):
            if getattr(value, "_symbolic", False):
                return value._read()
            raise ValueError(f"the eager variable '{value.name}' cannot be used in a graph; "
                             f"create the variable inside the graph")
        if not isinstance(value, Tensor):
            from ..tensor import _constant
            value = _constant(value, dtype)
        cached = self._constants.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        out = self._const_op(value, None)
        self._constants[id(value)] = (value, out)
        return out

    def _constant(self, value, dtype, shape, name):
        """``gpugrad.constant`` in a graph: a named Const op."""
        if isinstance(value, (GraphTensor, Variable)):
            from ..ops.math_ops import cast
            t = self._as_graph_tensor(value)
            return t if dtype is None or as_dtype(dtype) is t.dtype else cast(t, dtype)
        from ..tensor import _constant
        return self._const_op(_constant(value, dtype, shape), name)

    def _const_op(self, value, name):
        def kernel(run, args):
            return (run.session._constant(op, value),)
        op = self._create_op("Const", [], [(value.shape, value.dtype)], kernel, name=name or "Const",
                             attrs={"value": value}, control_inputs=[])
        return op.outputs[0]

    def _infer(self, describe, evaluate, inputs):
        """(shape, dtype) of each output of ``evaluate``, from stand-ins (None
        when nothing can be said), and the outputs of each world's run."""
        partial = not all(t._shape.is_fully_defined() and t._values is None for t in inputs)
        cpu = _backends.cpu()
        results, first_error = [], None
        values = [None] * len(_WORLDS)
        for world in range(len(_WORLDS)) if partial else (0,):
            try:
                with context.eager_scope(), cpu.xp.errstate(all="ignore"):
                    outs = evaluate([Tensor(t._standin(world), cpu) for t in inputs])
                results.append([(tuple(o.shape), cpu.dtype_name(o)) for o in outs])
                values[world] = outs
            except Exception as exc:  # an input combination the op rejects
                first_error = first_error or exc
        if not results:
            if any(t._shape.rank is None for t in inputs):
                return None, values    # rank unknown: outputs unknown
            raise InvalidArgumentError(f"{describe} cannot take inputs of shapes "
                                       f"{[str(t._shape) for t in inputs]}: {first_error}") \
                from first_error
        specs = results[0]
        if partial and len(results) == 1:
            # one world alone cannot tell known dimensions from unknown ones
            specs = [(None if s is None else [None] * len(s), d) for s, d in specs]
        for other in results[1:]:
            merged = []
            for (s0, d0), (s1, _) in zip(specs, other):
                if s0 is None or s1 is None or len(s0) != len(s1):
                    merged.append((None, d0))
                else:
                    merged.append(([a if a == b else None for a, b in zip(s0, s1)], d0))
            specs = merged
        return specs, values

    def _bind(self, op, inputs, params):
        """The registry's ``bind`` while this graph is being built."""
        inputs = [self._as_graph_tensor(t) for t in inputs]
        cpu = _backends.cpu()

        def evaluate(standins):
            out = _forward(op, cpu, standins, params)
            return (out,) if op.num_outputs == 1 else out

        specs, values = self._infer(op.name, evaluate, inputs)
        if specs is None:
            specs = [(None, inputs[0].dtype)] * op.num_outputs
        if op.name in _DATA_DEPENDENT:
            specs = [((None,) + tuple(s[1:]) if s else s, d) for s, d in specs]
        node = self._create_op(op.name, inputs, specs, _registry_kernel(op, params), attrs=params)
        _keep_values(node, values)
        node._registry_op = op
        node._differentiable = op.differentiable
        return node.outputs[0] if op.num_outputs == 1 else tuple(node.outputs)

    def _call_function(self, type_name, fn, args, kwargs, differentiable):
        """One node that calls ``fn`` eagerly whenever a Session runs it."""
        from .. import nest
        leaves = nest.flatten([list(args), kwargs])
        positions = [i for i, x in enumerate(leaves) if isinstance(x, (Tensor, Variable))]
        inputs = [self._as_graph_tensor(leaves[i]) for i in positions]
        structure = [list(args), kwargs]
        shape_box = []

        def call(*tensors):
            filled = list(leaves)
            for i, t in zip(positions, tensors):
                filled[i] = t
            a, k = nest.pack_sequence_as(structure, filled)
            result = fn(*a, **k)
            if not shape_box:
                shape_box.append(result)
            flat = nest.flatten(result)
            return [r if isinstance(r, Tensor) else r._read() for r in flat]

        specs, values = self._infer(type_name, lambda standins: [o._data for o in call(*standins)],
                                    inputs)
        template = shape_box[0] if shape_box else None
        if specs is None:
            specs, template = [(None, inputs[0].dtype)], None
        node = self._function_node(type_name, call, inputs, specs, differentiable)
        _keep_values(node, values)
        outputs = node.outputs
        if template is None or isinstance(template, Tensor):
            return outputs[0]
        return nest.pack_sequence_as(template, list(outputs))


    def _function_node(self, type_name, call, inputs, specs, differentiable, name=None,
                       kernel=None, shape_inputs=()):
        """A node running ``call`` (Tensors in, a list of Tensors out) eagerly
        on the session's device (or ``kernel``, arrays in and out, when given).
        Its gradient comes from a tape at run time."""
        if kernel is None:
            def kernel(run, arrays):
                backend = run.backend
                with _backends.device(backend):
                    outs = call(*[Tensor(a, backend) for a in arrays])
                return [o._data if o._backend is backend else backend.asarray(o.numpy())
                        for o in outs]

        node = self._create_op(type_name, inputs, specs, kernel, name=name,
                               shape_inputs=shape_inputs)
        node._fn = call
        node._differentiable = differentiable
        return node


def placeholder(dtype, shape=None, name=None):
    """A graph input that every ``Session.run`` needing it must feed."""
    graph = context.current_graph()
    if graph is None:
        raise RuntimeError("tf.placeholder() is not compatible with eager execution.")
    dtype = as_dtype(dtype)
    op = graph._create_op("Placeholder", [], [(TensorShape(shape), dtype)], _unfed,
                          name=name or "Placeholder", attrs={"dtype": dtype}, control_inputs=[])
    return op.outputs[0]


def placeholder_with_default(input, shape, name=None):
    """``input`` unless a value is fed for the result."""
    graph = context.current_graph()
    if graph is None:
        raise RuntimeError("placeholder_with_default is only meaningful in a graph")
    value = graph._as_graph_tensor(input)
    op = graph._create_op("PlaceholderWithDefault", [value], [(TensorShape(shape), value.dtype)],
                          _pass_through, name=name or "PlaceholderWithDefault")
    return op.outputs[0]


def _unfed(run, args):  # never planned: the session reports the missing feed
    raise InvalidArgumentError("a placeholder was not fed")


def _pass_through(run, args):
    return args


class ShapeOnly:
    """What a kernel gets for a shape input: the shape and dtype of a value
    the session did not keep (a gradient rule that reads only shapes)."""
    __slots__ = ("shape", "dtype")

    def __init__(self, array):
        self.shape = array.shape
        self.dtype = array.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n


def _keep_values(node, values):
    """Keep small integer stand-in results (shapes, sizes) on the outputs."""
    for i, t in enumerate(node.outputs):
        if not t._dtype.is_integer or t._shape.rank is None or len(t._shape) > 1:
            continue
        kept = []
        for outs in values:
            v = None if outs is None else outs[i]
            v = getattr(v, "_data", v)
            kept.append(v if v is not None and v.size <= _VALUE_LIMIT else None)
        if kept[0] is not None:   # worlds not run had every dimension known
            t._values = [kept[0] if v is None else v for v in kept]


def _registry_kernel(op, params):
    forward = op.forward
    pass_backend = op.pass_backend
    single = op.num_outputs == 1
    if params:
        def kernel(run, args):
            out = forward(run.backend if pass_backend else run.xp, *args, **params)
            return (out,) if single else out
    else:
        def kernel(run, args):
            out = forward(run.backend if pass_backend else run.xp, *args)
            return (out,) if single else out
    return kernel


# ------------------------------------------------------------ default graph
_global_default = Graph()


def get_default_graph():
    """The graph new ops go to: the innermost ``as_default`` one of this
    thread, else the global default graph."""
    for g in reversed(context._thread.building):
        if g is not None:
            return g
    return _global_default


def reset_default_graph():
    """Replace the global default graph with an empty one."""
    global _global_default
    if any(g is not None for g in context._thread.building):
        raise AssertionError("reset_default_graph: do not call it inside a "
                             "`with graph.as_default():` block")
    old = _global_default
    _global_default = Graph()
    if context.everywhere is old:
        context.everywhere = _global_default


def disable_eager_execution():
    """TensorFlow 1 mode: ops in every thread go to the default graph."""
    context.everywhere = _global_default


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    context.everywhere = None


def executing_eagerly():
    return context.executing_eagerly()


def name_scope(name, default_name=None, values=None):
    """``with gpugrad.name_scope('layer'):`` prefixes graph op names; in
    eager mode it changes nothing (as in TensorFlow 2)."""
    graph = context.current_graph()
    if graph is None:
        return contextlib.nullcontext(name or default_name or "")
    return graph.name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs):
    """Order graph ops after ``control_inputs``; eagerly, ops already run in
    program order, so this changes nothing."""
    graph = context.current_graph()
    if graph is None:
        return contextlib.nullcontext()
    return graph.control_dependencies(control_inputs)
