"""Variables in a graph: the value lives in each Session, not in the graph.

``gpugrad.Variable(...)`` called while a graph is being built makes a
GraphVariable. Its initial value is an op of the graph; ``initializer``
assigns it. Every read is a new ``ReadVariableOp`` made under the control
dependencies in force where it is read, so a read placed after an assign
(``with control_dependencies([assign_op])``) sees the assigned value, as with
TensorFlow's resource variables. Assignments are ops too: building one
changes nothing; running it does.
"""
from .. import context
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..shape import TensorShape
from ..variable import Variable
from .core import GraphTensor, get_default_graph


#: the graph op type of each assignment
ASSIGN_OPS = {"assign": "AssignVariableOp", "assign_add": "AssignAddVariableOp",
              "assign_sub": "AssignSubVariableOp"}


def check_assignment(how, variable, value):
    """Raise, naming the variable, when the graph tensor ``value`` cannot be
    assigned to ``variable`` (another dtype, an incompatible static shape)."""
    name = variable.name[:-2]
    if value.dtype is not variable.dtype:
        raise InvalidArgumentError(
            f"{how} on variable '{name}': dtype mismatch, the variable is "
            f"{variable.dtype.name} and the value is {value.dtype.name} (shape {value.shape}); "
            f"cast it with gpugrad.cast")
    if not variable.shape.is_compatible_with(value.shape):
        raise InvalidArgumentError(
            f"{how} on variable '{name}': shape mismatch, the variable has shape "
            f"{variable.shape} and the value has shape {value.shape}")


class GraphVariable(Variable):
    __slots__ = ("_graph", "_graph_op", "_initializer", "_initial_value", "_dtype",
                 "_reads", "_key")
    _symbolic = True

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None,
                 collections=None, validate_shape=True, **unused):
        from ..dtypes import as_dtype
        from ..ops.math_ops import cast
        if initial_value is None:
            raise ValueError("Variable needs an initial_value")
        graph = context.current_graph()
        self._graph = graph
        self._key = object()          # the variable's entry in each session's state
        self._reads = []
        with graph.control_dependencies(None), graph.name_scope(name or "Variable") as scope:
            with graph.name_scope("Initializer"):
                value = initial_value() if callable(initial_value) else initial_value
                if isinstance(value, GraphTensor) or isinstance(value, Variable):
                    value = graph._as_graph_tensor(value)
                else:
                    from ..tensor import _constant
                    value = graph._const_op(_constant(value, dtype), "initial_value")
                if dtype is not None and value.dtype is not as_dtype(dtype):
                    value = cast(value, dtype)
            self._shape = TensorShape(value.shape if shape is None else shape)
            if validate_shape and not self._shape.is_compatible_with(value.shape):
                raise ValueError(f"Variable {scope[:-1]}: initial value of shape "
                                 f"{value.shape} does not match shape {self._shape}")
            self._dtype = value.dtype
            self._initial_value = value
            self._graph_op = graph._create_op("VarHandleOp", [], [(self._shape, self._dtype)],
                                              self._read_kernel(), name=scope[:-1],
                                              exact_name=True, attrs={"variable": self})
            self._name = self._graph_op.name + ":0"
            self._initializer = graph._create_op(
                "AssignVariableOp", [value], [], self._assign_kernel("assign"),
                name="Assign", attrs={"variable": self})
        self._trainable = bool(trainable)
        self._tid = self._graph_op.outputs[0]._tid
        self._backend = self._graph_op.outputs[0]._backend
        for c in collections or (["variables"] + (["trainable_variables"] if trainable else [])):
            graph.add_to_collection(c, self)

    # ------------------------------------------------------------ kernels
    def _read_kernel(self):
        key = self._key

        def kernel(run, args):
            try:
                return (run.state[key],)
            except KeyError:
                raise FailedPreconditionError(
                    f"Error while reading variable '{self._name[:-2]}': it is uninitialized "
                    f"in this session. Run its initializer first, e.g. "
                    f"sess.run(gpugrad.global_variables_initializer())") from None
        return kernel

    def _assign_kernel(self, how):
        key, shape = self._key, self._shape
        var = self

        def kernel(run, args):
            value = args[0]
            if not shape.is_compatible_with(value.shape):
                raise InvalidArgumentError(
                    f"{how} on variable '{var._name[:-2]}': shape mismatch, the variable has "
                    f"shape {shape} and the value has shape {list(value.shape)}")
            if how == "assign":
                # a fed array stays the caller's: the variable keeps a copy
                fed = any(value is f or getattr(value, "base", None) is f for f in run.feeds)
                new = value.copy() if fed else value
            else:
                try:
                    old = run.state[key]
                except KeyError:
                    raise FailedPreconditionError(
                        f"{how} on variable '{var._name[:-2]}': the variable is uninitialized "
                        f"in this session; run its initializer first") from None
                new = run.xp.add(old, value) if how == "assign_add" else run.xp.subtract(old, value)
            run.state[key] = new
            return (new,)
        return kernel

    # -------------------------------------------------------- description
    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return self._shape.rank

    @property
    def graph(self):
        return self._graph

    @property
    def op(self):
        return self._graph_op

    @property
    def device(self):
        return ""

    @property
    def initializer(self):
        """The op that sets the variable to its initial value."""
        return self._initializer

    @property
    def initial_value(self):
        return self._initial_value

    def initialized_value(self):
        return self._initial_value

    def __repr__(self):
        return f"<gpugrad.Variable '{self._name}' shape={self._shape} dtype={self._dtype.name}>"

    __hash__ = object.__hash__     # usable as a dict key, as in TensorFlow 1

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    # -------------------------------------------------------------- reads
    @property
    def _data(self):
        return self._read()._data     # a stand-in, for code that inspects shapes

    def _read(self):
        graph = context.current_graph()
        if graph is None:
            raise TypeError(f"the graph variable '{self._name}' has no value outside its "
                            f"graph; compute it with Session.run or Variable.eval")
        if graph is not self._graph:
            raise ValueError(f"the variable '{self._name}' belongs to another graph")
        op = graph._create_op("ReadVariableOp", [], [(self._shape, self._dtype)],
                              self._read_kernel(), name=self._name[:-2] + "/read",
                              attrs={"variable": self})
        self._reads.append(op.outputs[0])
        return op.outputs[0]

    def numpy(self):
        raise TypeError(f"the graph variable '{self._name}' has no value outside a session; "
                        f"use Session.run or Variable.eval")

    def eval(self, session=None):
        from .session import _session_for
        return _session_for(session, self._graph_op).run(self)

    def load(self, value, session=None):
        """Set the value in ``session`` directly (no op is added)."""
        from .session import _session_for
        _session_for(session, self._graph_op)._load(self, value)

    # -------------------------------------------------------- assignment
    def _assign_op(self, how, value, read_value, name):
        graph = context.current_graph() or self._graph
        if graph is not self._graph:
            raise ValueError(f"{how}: the variable '{self._name}' belongs to another graph")
        with graph.as_default():
            if isinstance(value, (GraphTensor, Variable)):
                t = graph._as_graph_tensor(value)
            else:
                from ..tensor import _constant
                t = graph._as_graph_tensor(_constant(value, self._dtype))
            check_assignment(how, self, t)
            type_ = ASSIGN_OPS[how]
            op = graph._create_op(type_, [t], [(self._shape, self._dtype)],
                                  self._assign_kernel(how), name=name or type_,
                                  attrs={"variable": self})
        return op.outputs[0] if read_value else op

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """An op that sets the variable when it runs; its output is the new value."""
        return self._assign_op("assign", value, read_value, name)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self._assign_op("assign_add", delta, read_value, name)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self._assign_op("assign_sub", delta, read_value, name)


# -------------------------------------------------------------- collections
def global_variables(scope=None):
    return get_default_graph().get_collection("variables", scope)


def trainable_variables(scope=None):
    return get_default_graph().get_collection("trainable_variables", scope)


def variables_initializer(var_list, name="init"):
    """One op that runs the initializers of ``var_list``."""
    from .ops import group
    return group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer():
    return variables_initializer(global_variables())


def local_variables_initializer():
    return variables_initializer([], name="init_1")


initialize_all_variables = global_variables_initializer
