"""FuncGraph: the graph a ``gpugrad.function`` traces its Python into.

A FuncGraph is a Graph with four differences, all about state that lives
outside it:

- **Variables are captured by reference.** Reading an eager variable adds a
  ``ReadVariableOp`` whose kernel reads the variable's array *when the call
  runs*, so a value assigned between two calls is seen by the second. No
  copy of the value is baked in (the common belief that a traced function
  keeps a stale copy is wrong, in TensorFlow and here).
- **Assignments are ops**, run when the call runs, in program order.
- **Side effects run on every call:** assignments, ``gpugrad.print``, an
  optimizer's update. They are recorded in order (``effects``) and every
  call runs all of them, fetched or not (TensorFlow's automatic control
  dependencies).
- **Variables created while tracing are lifted out**: they are made eagerly,
  once, and captured like any other (a later trace that would create one
  raises, as in TensorFlow).

A FuncGraph nested in another (a ``cond`` branch, a ``while_loop`` body)
captures the outer graph's tensors as extra inputs.
"""
from .. import backend as _backends
from .. import context
from ..errors import InvalidArgumentError
from ..graph.core import Graph, GraphTensor, placeholder
from ..graph.variables import ASSIGN_OPS, check_assignment
from ..tensor import Tensor
from ..variable import Variable

_CREATE_ONCE = ("tf.function only supports singleton tf.Variables created on the first call. "
                "Make sure the tf.Variable is only created once or created outside "
                "tf.function.")


class FuncGraph(Graph):
    lifts_variables = True
    #: gradients are the rules' own ops, not one node per rule (the shapes of
    #: a trace are known, so a rule built on them is exact)
    inline_gradients = True

    def __init__(self, name, outer=None):
        super().__init__()
        self.name = name
        self.outer = outer              # the graph whose tensors are captured (branches)
        self.captures = []              # (outer tensor, inner placeholder)
        self._captured = {}             # id(outer tensor) -> inner placeholder
        self.variables = []             # captured variables, in order of first use
        self._reads = {}                # id(variable) -> [(read tensor, written before?)]
        self._written = set()           # ids of variables assigned so far
        self.effects = []               # ops every call runs, in program order
        self.created_variables = []
        self.may_create_variables = True

    # -------------------------------------------------------------- captures
    def _as_graph_tensor(self, value, dtype=None):
        if isinstance(value, Variable):
            if self.outer is not None:        # a branch or loop body: the enclosing read
                inner = self._captured.get(id(value))
                if inner is None:
                    inner = self._captured[id(value)] = \
                        self._capture(self.outer._as_graph_tensor(value))
                return inner
            if not getattr(value, "_symbolic", False):
                return self._read_variable(value)
        if isinstance(value, GraphTensor) and value._op.graph is not self:
            return self._capture(value)
        return super()._as_graph_tensor(value, dtype)

    def _capture(self, outer):
        """An enclosing graph's tensor as an input of this graph."""
        inner = self._captured.get(id(outer))
        if inner is not None:
            return inner
        if self.outer is None:
            raise ValueError(f"{outer.name} belongs to another graph; a traced function "
                             f"captures tensors of the functions around it only")
        key = id(outer)
        if outer._op.graph is not self.outer:  # from further out: through the graph between
            outer = self.outer._as_graph_tensor(outer)
        with self.control_dependencies(None), self.name_scope(None):
            inner = placeholder(outer.dtype, outer.shape, name="capture")
        inner._values = outer._values
        self.captures.append((outer, inner))
        self._captured[key] = inner
        return inner

    def _read_variable(self, var):
        if id(var) not in self._reads:
            self.variables.append(var)
            self._reads[id(var)] = []

        def kernel(run, args):
            if var._backend is not run.backend:
                raise InvalidArgumentError(
                    f"variable '{var.name}' lives on {var._backend.name} but the function "
                    f"runs on {run.backend.name}; copy it, or call with tensors on "
                    f"{var._backend.name}")
            return (var._data,)

        with self.control_dependencies(None):
            op = self._create_op("ReadVariableOp", [], [(var.shape, var.dtype)], kernel,
                                 name=var.name[:-2] + "/read", attrs={"variable": var})
        read = op.outputs[0]
        self._reads[id(var)].append((read, id(var) in self._written))
        from ..tape import _recording, record_read
        if _recording:                       # a tape inside the function watches it
            record_read(var, read)
        return read

    def gradient_sources(self, var):
        """The reads of ``var`` that gradients reach: those before any
        assignment to it (an assigned value has no gradient path)."""
        return [t for t, written in self._reads.get(id(var), ()) if not written]

    # --------------------------------------------------------------- effects
    def _effect(self, type_, inputs, kernel, outputs=(), name=None, fn=None):
        """An op that every call runs, after the effects before it."""
        inputs = [self._as_graph_tensor(t) for t in inputs]
        control = self._current_control() + self.effects[-1:]
        op = self._create_op(type_, inputs, list(outputs), kernel, name=name,
                             control_inputs=control)
        op._fn = fn
        self.effects.append(op)
        return op

    def _call_effect(self, type_, tensors, fn, arrays_fn=None):
        """An effect that calls ``fn`` (Tensors in, nothing out) eagerly on
        the call's device: an optimizer's step inside a traced function.
        ``arrays_fn(arrays, backend)``, when given, does the same on arrays."""
        if arrays_fn is not None:
            def kernel(run, arrays):
                arrays_fn(arrays, run.backend)
                return ()
        else:
            def kernel(run, arrays):
                with _backends.device(run.backend):
                    fn(*[Tensor(a, run.backend) for a in arrays])
                return ()
        return self._effect(type_, tensors, kernel)

    def _assign_variable(self, var, how, value, read_value):
        """``var.assign(value)`` (``assign_add``, ``assign_sub``) while tracing."""
        if not isinstance(value, GraphTensor):
            if isinstance(value, Variable):
                value = self._read_variable(value)
            else:
                with _backends.device(var._backend), context.eager_scope():
                    value = self._as_graph_tensor(var._checked(value, how))
        check_assignment(how, var, value)
        if id(var) not in self._reads:
            self.variables.append(var)
            self._reads[id(var)] = []
        shape = var.shape

        def kernel(run, args):
            new = args[0]
            if not shape.is_compatible_with(new.shape):
                raise InvalidArgumentError(
                    f"{how} on variable '{var.name[:-2]}': shape mismatch, the variable has "
                    f"shape {list(shape)} and the value has shape {list(new.shape)}")
            if how == "assign_add":
                new = run.xp.add(var._data, new)
            elif how == "assign_sub":
                new = run.xp.subtract(var._data, new)
            elif any(new is f for f in run.feeds):
                new = new.copy()             # the caller's array stays the caller's
            var._data = new
            return ()

        op = self._effect(ASSIGN_OPS[how], [value], kernel)
        op.attrs["variable"] = var
        self._written.add(id(var))
        return var if read_value else op

    # ------------------------------------------------------------- variables
    def _lift_variable(self, make):
        """Create a variable inside a trace: eagerly, on the first trace only."""
        if not self.may_create_variables:
            raise ValueError(_CREATE_ONCE)
        with context.eager_scope():
            var = make()
        self.created_variables.append(var)
        return var


def tape_gradient(tape, targets, sources, output_gradients, unconnected):
    """``tape.gradient`` on symbolic targets (a tape inside a traced
    function): the graph's symbolic gradients, limited to what the tape
    watches (TensorFlow's answer: None for a tensor the tape never saw)."""
    from .. import nest
    from ..graph.gradients import gradients
    from ..tensor import Tensor
    if tape._records is None:
        raise RuntimeError("A non-persistent GradientTape can only be used to compute one set "
                           "of gradients (or jacobians); pass persistent=True to compute several")
    flat = nest.flatten(sources)
    # what the tape would have recorded: tensors computed from a watched one
    reach = set(tape._watched)
    for op in targets[0]._op.graph._ops:
        if any(t._tid in reach for t in op.inputs):
            reach.update(o._tid for o in op.outputs)
    xs = []
    for s in flat:
        if isinstance(s, (Tensor, Variable)):
            ok = s._tid in reach
        else:
            raise TypeError(f"GradientTape.gradient: a source must be a Tensor or Variable, "
                            f"got {type(s).__name__}")
        xs.append(ok)
    chosen = [s for s, ok in zip(flat, xs) if ok]
    grads = iter(gradients(targets, chosen, grad_ys=output_gradients,
                           unconnected_gradients=unconnected) if chosen else [])
    result = []
    for s, ok in zip(flat, xs):
        g = next(grads) if ok else None
        if g is None and unconnected.value == "zero":
            from ..ops.array_ops import zeros_like
            g = zeros_like(s)
        result.append(g)
    if not tape._persistent:
        tape._records = None
    return nest.pack_sequence_as(sources, result)
