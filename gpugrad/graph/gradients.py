"""Symbolic gradients: ``gradients(ys, xs)`` adds the backward pass to the graph.

The rules are the registry's, the same ones the tape uses. Each op on a path
from ``xs`` to ``ys`` gets one gradient node; when a Session runs it, the
node calls the op's VJP makers on the op's actual inputs and outputs and the
incoming gradient. Running the rules on values rather than on stand-ins
keeps them exact when dimensions are unknown while the graph is built (a
mean over a batch of None rows divides by the fed batch size).

A gradient node is a function node, so it is itself differentiable: its
gradient re-runs it under a tape. ``gradients`` of ``gradients`` works.
Once it has run for a given input signature, a gradient node replays the
registry ops its rule used, without the rule's Python (``_Replayed``).
"""
import functools
import types

from .. import backend as _backends
from .. import context, nest
from ..dtypes import DType
from ..registry import Op
from ..tape import GradientTape, UnconnectedGradients
from ..tensor import Tensor
from ..variable import Variable
from .core import GraphTensor, ShapeOnly


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients=UnconnectedGradients.NONE):
    """d(sum of ys)/dx for each x of ``xs`` (tensors or variables), as graph
    tensors; None where an x does not reach ys."""
    graph = context.current_graph()
    if graph is None:
        raise RuntimeError("tf.gradients is not supported when eager execution is enabled. "
                           "Use tf.GradientTape instead.")
    from ..ops.array_ops import ones_like, zeros_like
    from ..ops.math_ops import add_n
    unconnected = UnconnectedGradients(unconnected_gradients)
    ys = [graph._as_graph_tensor(y) for y in nest.flatten(ys)]
    xs_list = nest.flatten(xs)
    seeds = [None] * len(ys) if grad_ys is None else nest.flatten(grad_ys)
    if len(seeds) != len(ys):
        raise ValueError(f"gradients: {len(seeds)} grad_ys for {len(ys)} ys")
    sources = [_source_tensors(graph, x) for x in xs_list]
    stop = {id(graph._as_graph_tensor(t)) for t in nest.flatten(stop_gradients or [])}
    reach = {id(t) for group in sources for t in group}
    if not reach:
        return [None] * len(xs_list)
    start = min(t._op._index for group in sources for t in group)
    keep = set(reach)
    # a stopped tensor is a constant: nothing flows back through it to its
    # op's inputs, but the gradient *with respect to* it is computed
    between = []
    for op in graph._ops[start:]:
        if op._differentiable and any(id(t) in reach for t in op.inputs):
            between.append(op)
            reach.update(id(o) for o in op.outputs
                         if o.dtype.is_floating and (id(o) not in stop or id(o) in keep))
    grads = {}
    with graph.as_default(), graph.name_scope(name):
        for y, seed in zip(ys, seeds):
            if id(y) not in reach or not y.dtype.is_floating:
                continue
            if seed is None and y.shape.is_fully_defined():     # a constant of ones
                from ..ops.array_ops import ones
                seed = graph._as_graph_tensor(ones(list(y.shape), y.dtype))
            seed = ones_like(y) if seed is None else graph._as_graph_tensor(seed)
            grads.setdefault(id(y), []).append(seed)
        for op in reversed(between):
            out_grads = [None if id(o) in stop else
                         _total(grads.get(id(o)) if id(o) in keep else grads.pop(id(o), None),
                                add_n) for o in op.outputs]
            if all(g is None for g in out_grads):
                continue
            needed = [i for i, t in enumerate(op.inputs)
                      if id(t) in reach and t.dtype.is_floating
                      and _has_rule(op, i)]
            if not needed:
                continue
            for i, g in zip(needed, _gradient_node(graph, op, needed, out_grads)):
                grads.setdefault(id(op.inputs[i]), []).append(g)
        result = []
        for x, group in zip(xs_list, sources):
            parts = [g for t in group for g in grads.get(id(t), ())]
            g = _total(parts, add_n)
            if g is None and unconnected is UnconnectedGradients.ZERO:
                g = zeros_like(x)
            result.append(g)
    return result


def _source_tensors(graph, x):
    if hasattr(graph, "gradient_sources") and isinstance(x, Variable) and \
            not getattr(x, "_symbolic", False):
        return graph.gradient_sources(x)           # a variable a traced function reads
    if getattr(x, "_symbolic", False) and not isinstance(x, GraphTensor):
        return [x._graph_op.outputs[0]] + list(x._reads)    # every read of the variable
    return [graph._as_graph_tensor(x)]


def _total(parts, add_n):
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else add_n(parts)


def _has_rule(op, i):
    rule = op._registry_op
    if rule is None:
        return op._fn is not None
    return rule.vjp_all is not None or (rule.vjp_makers is not None and
                                        rule.vjp_makers[i] is not None)


def _gradient_node(graph, op, needed, out_grads):
    """One node computing the gradients of ``op``'s inputs ``needed``."""
    from ..ops.array_ops import zeros_like
    n_in, n_out = len(op.inputs), len(op.outputs)
    present = [g is not None for g in out_grads]
    given = [g for g in out_grads if g is not None]
    rule, params = op._registry_op, op.attrs

    # an op declared with several outputs gets a tuple even when it made one
    # (a split into one piece), as on the tape
    single = n_out == 1 and (rule is None or rule.num_outputs == 1)

    def incoming(tensors):
        it = iter(tensors)
        gs = [next(it) if p else None for p in present]
        return gs[0] if single else tuple(gs)

    if rule is not None and getattr(graph, "inline_gradients", False):
        inlined = _inline(graph, op, rule, params, needed, incoming(given))
        if inlined is not None:
            return inlined
    if rule is not None:
        both = list(op.inputs) + list(op.outputs)
        used = _values_used(rule, params, op, needed)
        # the values the rule's closures hold are inputs; the others only
        # lend their shape, so the session can free them after the forward
        values = [t for i, t in enumerate(both) if i in used]
        shaped = [t for i, t in enumerate(both) if i not in used]
        order = [i for i in range(len(both)) if i in used] + \
                [i for i in range(len(both)) if i not in used]
        n_values, n_given = len(values), len(given)
        inputs, shape_inputs = values + given, shaped

        def call(*tensors):
            full = [None] * len(both)
            ordered = tensors[:n_values] + tensors[n_values + n_given:]
            for i, t in zip(order, ordered):
                full[i] = t
            ins, outs = full[:n_in], full[n_in:]
            ans = outs[0] if single else tuple(outs)
            g = incoming(tensors[n_values:n_values + n_given])
            if rule.vjp_all is not None:
                got = rule.vjp_all(ans, *ins, **params)(g)
                got = [got[i] for i in needed]
            else:
                got = [rule.vjp_makers[i](ans, *ins, **params)(g) for i in needed]
            return [zeros_like(ins[i]) if r is None else r for i, r in zip(needed, got)]
    else:
        inputs = list(op.inputs) + given
        shape_inputs = list(op.shape_inputs)     # handed on to the forward
        forward = op._fn
        n_given = len(given)

        def call(*tensors):
            ins = tensors[:n_in]
            g = incoming(tensors[n_in:n_in + n_given])
            gs = list(g) if n_out != 1 else [g]
            with GradientTape(watch_accessed_variables=False) as tape:
                for t in ins:
                    if t.dtype.is_floating:
                        tape.watch(t)
                outs = forward(*ins, *tensors[n_in + n_given:])
            pairs = [(o, gi) for o, gi in zip(outs, gs) if gi is not None]
            got = tape.gradient([o for o, _ in pairs], [ins[i] for i in needed],
                                output_gradients=[gi for _, gi in pairs])
            return [zeros_like(ins[i]) if r is None else r for i, r in zip(needed, got)]

    specs = [(op.inputs[i].shape, op.inputs[i].dtype) for i in needed]
    kernel = _Replayed(call).kernel if rule is not None else None
    node = graph._function_node(op.type + "Grad", call, inputs, specs, True,
                                name=op.name + "_grad", kernel=kernel,
                                shape_inputs=shape_inputs)
    return node.outputs


def _inline(graph, op, rule, params, needed, g):
    """The rule's ops added to the graph itself, when every shape involved is
    known (a traced function): the gradient is then plain graph ops, which
    the function's passes can fold, deduplicate and fuse. None when a shape
    is unknown or the rule needs values while it is built."""
    from ..ops.array_ops import zeros_like
    tensors = list(op.inputs) + list(op.outputs) + [x for x in nest.flatten(g) if x is not None]
    if any(not t.shape.is_fully_defined() for t in tensors):
        return None
    ins, outs = list(op.inputs), list(op.outputs)
    ans = outs[0] if len(outs) == 1 and rule.num_outputs == 1 else tuple(outs)
    mark = len(graph._ops)
    try:
        if rule.vjp_all is not None:
            got = rule.vjp_all(ans, *ins, **params)(g)
            got = [got[i] for i in needed]
        else:
            got = [rule.vjp_makers[i](ans, *ins, **params)(g) for i in needed]
    except (TypeError, ValueError, NotImplementedError):
        del graph._ops[mark:]         # unused: nothing refers to them
        return None
    out = []
    for i, r in zip(needed, got):
        r = zeros_like(ins[i]) if r is None else graph._as_graph_tensor(r)
        if r.dtype is not ins[i].dtype or r.shape.as_list() != ins[i].shape.as_list():
            del graph._ops[mark:]     # not what the rule promises: the node decides at run time
            return None
        out.append(r)
    return out


def _values_used(rule, params, op, needed):
    """Which of ``op``'s inputs and outputs (indices into inputs + outputs)
    the gradient rule keeps a reference to, found by calling the rule's
    makers on stand-ins while the graph is built and following what their
    closures hold. Everything, when that cannot be told for sure."""
    everything = set(range(len(op.inputs) + len(op.outputs)))
    if any(t.shape.rank is None for t in op.inputs + op.outputs):
        return everything
    cpu = _backends.cpu()
    stand = [Tensor(t._standin(0), cpu) for t in op.inputs + op.outputs]
    ins, outs = stand[:len(op.inputs)], stand[len(op.inputs):]
    ans = outs[0] if len(outs) == 1 and rule.num_outputs == 1 else tuple(outs)
    log, saved = [], context.op_log
    context.op_log = log
    try:
        with context.eager_scope():
            if rule.vjp_all is not None:
                closures = [rule.vjp_all(ans, *ins, **params)]
            else:
                closures = [rule.vjp_makers[i](ans, *ins, **params) for i in needed]
    except Exception:
        return everything
    finally:
        context.op_log = saved
    if log:     # the maker computed from its inputs already: keep them all
        return everything
    found = set()
    try:
        _captured(closures, found, set())
    except _Opaque:
        return everything
    return {i for i, t in enumerate(stand) if id(t) in found}


class _Opaque(Exception):
    pass


_PLAIN = (int, float, complex, str, bytes, bool, type(None), type, range, slice)


def _captured(obj, found, seen):
    """Collect the ids of the Tensors reachable from ``obj`` (closures,
    defaults, containers); raise _Opaque on anything that could hide one."""
    if id(obj) in seen or isinstance(obj, _PLAIN):
        return
    seen.add(id(obj))
    if isinstance(obj, Tensor):
        found.add(id(obj))
    elif isinstance(obj, (tuple, list, set, frozenset)):
        for item in obj:
            _captured(item, found, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            _captured(item, found, seen)
    elif isinstance(obj, types.FunctionType):
        for cell in obj.__closure__ or ():
            try:
                _captured(cell.cell_contents, found, seen)
            except ValueError:      # an empty cell
                pass
        _captured(obj.__defaults__, found, seen)
        _captured(obj.__kwdefaults__, found, seen)
    elif isinstance(obj, functools.partial):
        _captured((obj.func, obj.args, obj.keywords), found, seen)
    elif isinstance(obj, types.MethodType):
        _captured((obj.__self__, obj.__func__), found, seen)
    elif isinstance(obj, (types.BuiltinFunctionType, DType, Op)) or \
            type(obj).__module__.split(".")[0] in ("numpy", "cupy"):
        return          # functions of C, dtypes, registry ops, array dtypes
    else:
        raise _Opaque(type(obj))


class _Unreplayable(Exception):
    pass


class _Replayed:
    """A gradient rule run once per input signature, then replayed.

    The first run of a signature (the shapes and dtypes of the arrays, the
    device) calls the rule on Tensors, as the tape would, and logs the
    registry ops it binds. Later runs with that signature call those ops'
    forwards directly on arrays: the same arithmetic, without the rule's
    Python (wrappers, broadcasting bookkeeping, Tensor objects). Rules only
    look at shapes and dtypes, which the signature fixes; to be sure, the
    first replay is compared bit for bit with the rule, and a rule whose
    replay differs (one that computes outside the registry, or reads values)
    is never replayed again. Nor is one whose result aliases an input
    outside the log.
    """

    def __init__(self, call):
        self.call = call
        self.programs = {}      # signature -> program, or False: never replay
        self.verified = set()   # signatures whose program matched the rule once

    def kernel(self, run, arrays):
        backend = run.backend
        key = (backend, tuple([(a.shape, a.dtype) for a in arrays]))
        program = self.programs.get(key)
        if program and key in self.verified:
            return program(backend, arrays)
        if program:   # its first replay: checked against the rule, bit for bit
            replayed = program(backend, arrays)
            expected = self._run_rule(backend, arrays, [])
            xp = backend.xp
            if all(r.shape == e.shape and r.dtype == e.dtype and
                   bool(xp.array_equal(r, e, equal_nan=r.dtype.kind in "fc"))
                   for r, e in zip(replayed, expected)):
                self.verified.add(key)
            else:
                self.programs[key] = False
            return expected
        log = []
        outs = self._run_rule(backend, arrays, log, tensors_out=True)
        if program is None:
            try:
                self.programs[key] = _compile(log, outs[0], outs[1], backend)
            except _Unreplayable:
                self.programs[key] = False
        return [o._data for o in outs[1]]

    def _run_rule(self, backend, arrays, log, tensors_out=False):
        tensors = [Tensor(a, backend) for a in arrays]
        saved = context.op_log
        context.op_log = log
        try:
            with _backends.device(backend):
                outs = self.call(*tensors)
        finally:
            context.op_log = saved
        return (tensors, outs) if tensors_out else [o._data for o in outs]


def _compile(log, inputs, outs, backend):
    slot = {id(t): i for i, t in enumerate(inputs)}
    arrays = [t._data for t in inputs if not isinstance(t._data, ShapeOnly)]
    may_share = backend.xp.may_share_memory

    def ref(t):
        i = slot.get(id(t))
        if i is not None:
            return i
        if t._backend is not backend or any(may_share(t._data, a) for a in arrays):
            raise _Unreplayable
        return (t._data,)                 # a constant of this signature

    steps, n = [], len(inputs)
    for op, ins, params, result in log:
        refs = [ref(t) for t in ins]
        results = result if type(result) is tuple else (result,)
        out_slots = list(range(n, n + len(results)))
        for o, k in zip(results, out_slots):
            slot[id(o)] = k
        n += len(results)
        steps.append((op.forward, op.pass_backend, refs, params,
                      out_slots if op.num_outputs != 1 else out_slots[0]))
    out_refs = [ref(o) for o in outs]
    padding = [None] * (n - len(inputs))

    def program(backend, arrays):
        vals = list(arrays)
        vals.extend(padding)
        xp = backend.xp
        for forward, pass_backend, refs, params, out in steps:
            args = [vals[r] if type(r) is int else r[0] for r in refs]
            result = forward(backend if pass_backend else xp, *args, **params)
            if type(out) is int:
                vals[out] = result
            else:
                for k, r in zip(out, result):
                    vals[k] = r
        return [vals[r] if type(r) is int else r[0] for r in out_refs]
    return program
