"""``cond`` and ``while_loop``: control flow that a graph can hold.

Eagerly they are Python's ``if`` and ``while`` on the tensor's value. While a
graph is built (a traced function, or a TensorFlow 1 graph), each branch,
loop condition and loop body is traced into its own FuncGraph, which
captures the tensors and variables it uses from the graph around it; the
construct becomes one node whose kernel runs the chosen branch (or the loop)
on the node's device when the graph runs.

Gradients: the node's Tensor-level function calls the traced branch or body
as ConcreteFunctions, each of which a tape records as one op with its own
traced gradient; the graph's gradient machinery differentiates the node by
running that function under a tape.
"""
from .. import context, nest
from ..errors import InvalidArgumentError
from ..graph.core import GraphTensor, placeholder
from ..shape import TensorShape
from ..tensor import Tensor, convert_to_tensor
from .concrete import ConcreteFunction
from .func_graph import FuncGraph
from .function import _as_output


def _is_value(x):
    return isinstance(x, Tensor) and not getattr(x, "_symbolic", False)


def _trace(fn, name, outer, specs):
    """``fn`` traced with placeholders of ``specs`` [(shape, dtype)] into a
    FuncGraph nested in ``outer``; captures become extra inputs."""
    graph = FuncGraph(name, outer=outer)
    graph.may_create_variables = getattr(outer, "may_create_variables", True)
    with graph.as_default():
        params = [placeholder(dtype, shape, name=f"{name}_arg{i}")
                  for i, (shape, dtype) in enumerate(specs)]
        result = fn(*params)
        outputs = nest.map_structure(lambda o: _as_output(graph, o), result)
    concrete = ConcreteFunction(graph, params + [inner for _, inner in graph.captures],
                                outputs, name)
    concrete.n_params = len(params)
    return concrete


def _run(concrete, run, arrays):
    """Run a traced branch or body inside a Session's kernel."""
    ex = concrete._executor_on(run.backend)
    return ex._execute(ex.plan(concrete._targets, concrete.inputs), arrays)[:len(concrete.outputs)]


def _merged_shape(a, b):
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a, b)])


def _add_node(graph, type_, call, kernel, inputs, specs, effects):
    node = graph._function_node(type_, call, inputs, specs, True, kernel=kernel)
    if effects and hasattr(graph, "effects"):
        node.control_inputs = tuple(node.control_inputs) + tuple(graph.effects[-1:])
        graph.effects.append(node)
    return node


# -------------------------------------------------------------------- cond
def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``; in a graph, the branch
    is chosen when the graph runs. Both branches return the same structure
    of tensors with the same dtypes."""
    if true_fn is None or false_fn is None:
        raise TypeError("cond: pass both true_fn and false_fn")
    graph = context.current_graph()
    if graph is None or isinstance(pred, bool) or _is_value(pred) and not \
            isinstance(pred, GraphTensor):
        return true_fn() if bool(pred) else false_fn()
    pred = graph._as_graph_tensor(pred)
    if pred.shape.rank not in (0, None):
        raise InvalidArgumentError(f"cond: the predicate must be a scalar, got shape {pred.shape}")
    branches = [_trace(true_fn, "cond_true", graph, []), _trace(false_fn, "cond_false", graph, [])]
    t, f = branches
    try:
        nest.assert_same_structure(t.structured_outputs, f.structured_outputs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cond: true_fn and false_fn must return the same structure: "
                         f"{t.structured_outputs!r} and {f.structured_outputs!r} ({exc})") from None
    specs = []
    for a, b in zip(t.outputs, f.outputs):
        if a.dtype is not b.dtype:
            raise TypeError(f"cond: true_fn returns {a.dtype.name} where false_fn returns "
                            f"{b.dtype.name}; both branches must return the same dtypes")
        specs.append((_merged_shape(a.shape, b.shape), a.dtype))
    captured = [outer for br in branches for outer, _ in br.graph.captures]
    counts = [len(br.graph.captures) for br in branches]
    inputs = [pred] + captured

    def split(values):
        return values[1:1 + counts[0]], values[1 + counts[0]:]

    def kernel(run, arrays):
        which = 0 if bool(arrays[0]) else 1
        return _run(branches[which], run, split(arrays)[which])

    def call(*tensors):
        which = 0 if bool(tensors[0].numpy()) else 1
        out = branches[which]._call_flat(list(split(tensors)[which]))
        return [o for o in nest.flatten(out) if isinstance(o, Tensor)]

    effects = any(br.graph.effects for br in branches)
    node = _add_node(graph, "If", call, kernel, inputs, specs, effects)
    flat = nest.flatten(t.structured_outputs)
    outs = iter(node.outputs)
    filled = [next(outs) if isinstance(o, GraphTensor) else o for o in flat]
    return nest.pack_sequence_as(t.structured_outputs, filled)


# -------------------------------------------------------------- while_loop
def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``;
    returns the final loop variables in the structure of ``loop_vars``. In a
    graph the loop runs when the graph runs; a loop variable whose shape
    changes between iterations needs a ``shape_invariants`` entry."""
    single = not isinstance(loop_vars, (list, tuple))
    structure = [loop_vars] if single else loop_vars
    graph = context.current_graph()

    def as_list(values):
        values = [values] if single or not isinstance(values, (list, tuple)) else values
        return list(values)

    if graph is None:
        values = [convert_to_tensor(v) if not isinstance(v, Tensor) else v
                  for v in nest.flatten(structure)]
        n = 0
        while (maximum_iterations is None or n < maximum_iterations) and \
                bool(_truth(cond(*nest.pack_sequence_as(structure, values)))):
            out = body(*nest.pack_sequence_as(structure, values))
            values = [convert_to_tensor(v) if not isinstance(v, Tensor) else v
                      for v in nest.flatten(as_list(out))]
            n += 1
        result = nest.pack_sequence_as(structure, values)
        return result[0] if single else result

    flat = [graph._as_graph_tensor(v if isinstance(v, Tensor) else convert_to_tensor(v))
            for v in nest.flatten(structure)]
    invariants = _flatten_like(structure, [shape_invariants] if single else shape_invariants) \
        if shape_invariants is not None else [None] * len(flat)
    specs = [(TensorShape(inv) if inv is not None else v.shape, v.dtype)
             for v, inv in zip(flat, invariants)]

    def cond_flat(*xs):
        return cond(*nest.pack_sequence_as(structure, list(xs)))

    def body_flat(*xs):
        out = body(*nest.pack_sequence_as(structure, list(xs)))
        return nest.flatten(as_list(out))

    c = _trace(cond_flat, "while_cond", graph, specs)
    b = _trace(body_flat, "while_body", graph, specs)
    if len(b.outputs) != len(flat):
        raise ValueError(f"while_loop: body returns {len(b.outputs)} tensor(s) for "
                         f"{len(flat)} loop variable(s)")
    for i, (out, (shape, dtype)) in enumerate(zip(b.outputs, specs)):
        if out.dtype is not dtype:
            raise TypeError(f"while_loop: loop variable {i} enters as {dtype.name} and the "
                            f"body returns {out.dtype.name}")
        if not shape.is_compatible_with(out.shape) or \
                _merged_shape(shape, out.shape).as_list() != (shape.as_list()
                                                              if shape.rank is not None else None):
            raise ValueError(
                f"while_loop: loop variable {i} enters the loop with shape {shape}, but has "
                f"shape {out.shape} after one iteration. To allow the shape to vary across "
                f"iterations, pass shape_invariants with None for the dimensions that change")
    nc = len(c.graph.captures)
    captured = [o for o, _ in c.graph.captures] + [o for o, _ in b.graph.captures]
    n = len(flat)
    limit = maximum_iterations

    def kernel(run, arrays):
        values = list(arrays[:n])
        c_caps, b_caps = arrays[n:n + nc], arrays[n + nc:]
        k = 0
        while (limit is None or k < limit) and bool(_run(c, run, values + list(c_caps))[0]):
            values = list(_run(b, run, values + list(b_caps)))
            k += 1
        return values

    def call(*tensors):
        values = list(tensors[:n])
        c_caps, b_caps = list(tensors[n:n + nc]), list(tensors[n + nc:])
        k = 0
        while (limit is None or k < limit) and \
                bool(nest.flatten(c._call_flat(values + c_caps))[0].numpy()):
            values = [o for o in nest.flatten(b._call_flat(values + b_caps))]
            k += 1
        return values

    effects = bool(c.graph.effects or b.graph.effects)
    node = _add_node(graph, "While", call, kernel, flat + captured, specs, effects)
    result = nest.pack_sequence_as(structure, list(node.outputs))
    return result[0] if single else result


def _truth(value):
    if isinstance(value, Tensor):
        return bool(value.numpy())
    return bool(value)


def _flatten_like(structure, invariants):
    """``invariants`` flattened along ``structure`` (a shape is a leaf even
    though it is a tuple)."""
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten_like(structure[k], invariants[k])]
    if isinstance(structure, (list, tuple)):
        return [x for s, i in zip(structure, invariants) for x in _flatten_like(s, i)]
    return [invariants]
