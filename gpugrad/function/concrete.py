"""ConcreteFunction: one trace of a Python function, and how a call runs it.

A call feeds the argument arrays to the trace's placeholders and runs a
cached plan (``graph.session``'s planner, then the optimiser's passes) on the
arguments' device; the captured variables are read when the plan runs.

Under a GradientTape that watches an argument or a captured variable, the
call is recorded as one op. Its gradient is the trace's own symbolic
gradient, built once into the same graph and run as a second plan: the
forward plan of a recorded call also returns the intermediates that plan
needs, so the backward pass does not recompute them.
"""
from .. import backend as _backends
from .. import config, context, nest
from ..errors import InvalidArgumentError
from ..graph.core import GraphTensor, placeholder
from ..graph.core import ShapeOnly
from ..graph.session import Session, _Run, _op_error
from ..tape import _recording, custom_record
from ..tensor import Tensor
from . import passes
from .straightline import StepFailed, compile_plan


class _Executor(Session):
    """A session with no state of its own: a traced function's variables are
    the captured eager ones, read and written by the kernels themselves."""

    def __init__(self, graph, backend):
        super().__init__(graph=graph, device=backend.name)
        self._backend = backend
        self._call_plan = None

    def plan(self, targets, fed):
        key = (tuple(map(id, targets)), tuple(map(id, fed)), config.optimizer.version)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(list(targets), list(fed))
        return plan

    def call_plan(self, concrete):
        """The plan of a plain call (outputs and effects from the inputs),
        remembered without building its key each call."""
        cached = self._call_plan
        if cached is not None and cached[0] == config.optimizer.version:
            return cached[1]
        plan = self.plan(concrete._targets, concrete.inputs)
        self._call_plan = (config.optimizer.version, plan)
        return plan

    def _finish(self, raw, n_slots, feed_slots, fetch_slots, junk):
        raw, constants = passes.optimize(self, raw, fetch_slots, feed_slots)
        plan = super()._finish(raw, n_slots, feed_slots, fetch_slots, junk)
        plan.constants = tuple(constants)
        plan.compiled = compile_plan(plan)
        return plan

    def _execute(self, plan, feed_values):
        run = _Run(self, feed_values)
        context.push(None)                  # kernels run eagerly
        scope = self._backend.device_scope() if self._backend.scoped else None
        if scope is not None:
            scope.__enter__()
        try:
            return plan.compiled(run, feed_values)
        except StepFailed as failed:
            op = plan.steps[failed.index][4]
            raise _op_error(op, _static_inputs(op), failed.exc) from failed.exc
        finally:
            context.pop()
            if scope is not None:
                scope.__exit__(None, None, None)


def _static_inputs(op):
    """Stand-ins describing an op's inputs for an error message."""
    return [ShapeOnly(t._standin(0)) for t in getattr(op, "inputs", ())]


class ConcreteFunction:
    """A traced graph with its inputs (placeholders, in argument order) and
    outputs (``structured_outputs``: the Python function's return structure,
    graph tensors in it)."""

    def __init__(self, graph, inputs, structured_outputs, name, effects=True,
                 variables=None):
        self.graph = graph
        self.inputs = list(inputs)
        self.structured_outputs = structured_outputs
        flat = nest.flatten(structured_outputs)
        self._positions = [i for i, o in enumerate(flat) if isinstance(o, GraphTensor)]
        self.outputs = [flat[i] for i in self._positions]
        self._flat_template = flat
        self.name = name
        self._executors = {}
        self._targets = self.outputs + (list(graph.effects) if effects else [])
        self._backward = None
        self._backward_function = None
        self._backend = None
        variables = list(graph.variables) if variables is None else variables
        self._variables = variables
        self._grad_vars = [v for v in variables if v.dtype.is_floating
                           and graph.gradient_sources(v)]

    @property
    def variables(self):
        return tuple(self._variables)

    @property
    def trainable_variables(self):
        return tuple(v for v in self._variables if v.trainable)

    def __repr__(self):
        ins = ", ".join(f"{t.dtype.name}{list(t.shape)}" for t in self.inputs)
        return f"<ConcreteFunction {self.name}({ins})>"

    # ------------------------------------------------------------------ call
    def __call__(self, *args):
        tensors = []
        for x in nest.flatten(list(args)):
            if not isinstance(x, Tensor):
                from ..tensor import convert_to_tensor
                x = convert_to_tensor(x)
            tensors.append(x)
        if len(tensors) != len(self.inputs):
            raise TypeError(f"{self.name} takes {len(self.inputs)} tensor argument(s), got "
                            f"{len(tensors)}")
        for t, p in zip(tensors, self.inputs):
            if t.dtype is not p.dtype or not p.shape.is_compatible_with(t._data.shape):
                raise InvalidArgumentError(
                    f"{self.name}: argument {p.name} expects {p.dtype.name} {p.shape}, got "
                    f"{t.dtype.name} {list(t._data.shape)}")
        return self._call_flat(tensors)

    def _executor(self, tensors):
        if tensors:
            backend = tensors[0]._backend
            for t in tensors:
                if t._backend is not backend:
                    raise InvalidArgumentError(
                        f"{self.name}: arguments live on different devices ({backend.name} "
                        f"and {t._backend.name}); copy them explicitly with tensor.to(device)")
        elif self._variables:
            backend = self._variables[0]._backend
        else:
            backend = _backends.current()
        return self._executor_on(backend)

    def _executor_on(self, backend):
        ex = self._executors.get(backend)
        if ex is None:
            ex = self._executors[backend] = _Executor(self.graph, backend)
        return ex

    def _call_flat(self, tensors):
        ex = self._executor(tensors)
        if _recording and self._watched(tensors):
            return self._call_recorded(ex, tensors)
        values = ex._execute(ex.call_plan(self), [t._data for t in tensors])
        return self._pack(values, ex._backend)

    def _pack(self, values, backend):
        flat = list(self._flat_template)
        for i, v in zip(self._positions, values):
            flat[i] = Tensor(v, backend)
        return nest.pack_sequence_as(self.structured_outputs, flat)

    # ------------------------------------------------------------- gradients
    def _watched(self, tensors):
        for tape in _recording:
            for t in tensors:
                if t._tid in tape._watched:
                    return True
            for v in self._grad_vars:
                if v._tid in tape._watched or tape._watch_accessed and v.trainable:
                    return True
        return False

    def _call_recorded(self, ex, tensors):
        """A call a tape watches: one op on the tape, its gradient the
        trace's symbolic gradient."""
        backward = self._backward or self._build_backward()
        # the variables' values as the call reads them: the tape links each
        # variable to its value, and the call's op to that value
        values = [v._read() for v in self._grad_vars]
        plan = ex.plan(self._targets + backward["saved"], self.inputs)
        arrays = ex._execute(plan, [t._data for t in tensors])
        n = len(self.outputs)
        outputs = [Tensor(a, ex._backend) for a in arrays[:n]]
        saved = arrays[len(self._targets):]
        backend = ex._backend

        def grad_fn(*dys):
            float_dys = [d for d, o in zip(dys, self.outputs) if o.dtype.is_floating]
            if _recording:      # a tape records the backward pass: differentiable
                reads = [value for v, value in zip(self._grad_vars, values)
                         for _ in self.graph.gradient_sources(v)]
                got = iter(self._backward_concrete()._call_flat(
                    list(tensors) + reads + float_dys))
                return [next(got) if present else None for present in backward["present"]]
            feeds = list(saved) + [d._data for d in float_dys]
            plan = ex.plan(backward["fetch"], backward["saved"] + backward["seeds"])
            got = iter(ex._execute(plan, feeds))
            grads = [Tensor(next(got), backend) if present else None
                     for present in backward["present"]]
            return grads

        inputs = list(tensors) + values
        float_outputs = [o for o in outputs]
        custom_record(inputs, float_outputs, grad_fn)
        flat = list(self._flat_template)
        for i, o in zip(self._positions, outputs):
            flat[i] = o
        return nest.pack_sequence_as(self.structured_outputs, flat)

    def _backward_concrete(self):
        """The gradient as a function of the arguments, the variables' read
        values and the output gradients: recomputing the forward, so that a
        tape recording the backward pass (higher-order gradients) sees a
        path back to the arguments. Same graph, no effects."""
        if self._backward_function is None:
            backward = self._backward or self._build_backward()
            reads = [t for v in self._grad_vars for t in self.graph.gradient_sources(v)]
            self._backward_function = ConcreteFunction(
                self.graph, list(self.inputs) + reads + backward["seeds"], backward["fetch"],
                self.name + "_backward", effects=False, variables=[])
        return self._backward_function

    def _build_backward(self):
        from ..graph.gradients import gradients
        graph = self.graph
        start = len(graph._ops)
        floats = [o for o in self.outputs if o.dtype.is_floating]
        with graph.as_default(), graph.name_scope("backward"):
            seeds = [placeholder(o.dtype, o.shape, name="grad_y") for o in floats]
            sources = list(self.inputs) + list(self._grad_vars)
            grads = gradients(floats, sources, grad_ys=seeds) if floats else \
                [None] * len(sources)
        saved, seen = [], set()
        for op in graph._ops[start:]:
            for t in list(op.inputs) + list(op.shape_inputs):
                if t._op._index < start and id(t) not in seen and t.op.type != "Const":
                    seen.add(id(t))
                    saved.append(t)
        self._backward = {"saved": saved, "seeds": seeds,
                          "fetch": [g for g in grads if g is not None],
                          "present": [g is not None for g in grads]}
        return self._backward
