"""Symbolic gradients: ``gradients(ys, xs)`` adds the backward pass to the graph.

The rules are the registry's, the same ones the tape uses. Each op on a path
from ``xs`` to ``ys`` gets one gradient node; when a Session runs it, the
node calls the op's VJP makers on the op's actual inputs and outputs and the
incoming gradient. Running the rules on values rather than on stand-ins
keeps them exact when dimensions are unknown while the graph is built (a
mean over a batch of None rows divides by the fed batch size).

A gradient node is a function node, so it is itself differentiable: its
gradient re-runs it under a tape. ``gradients`` of ``gradients`` works.
"""
from .. import context, nest
from ..tape import GradientTape, UnconnectedGradients
from .core import GraphTensor


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

    def incoming(tensors):
        it = iter(tensors)
        gs = [next(it) if p else None for p in present]
        return gs[0] if n_out == 1 else tuple(gs)

    if rule is not None:
        inputs = list(op.inputs) + list(op.outputs) + given

        def call(*tensors):
            ins, outs = tensors[:n_in], tensors[n_in:n_in + n_out]
            ans = outs[0] if n_out == 1 else tuple(outs)
            g = incoming(tensors[n_in + n_out:])
            if rule.vjp_all is not None:
                got = rule.vjp_all(ans, *ins, **params)(g)
                got = [got[i] for i in needed]
            else:
                got = [rule.vjp_makers[i](ans, *ins, **params)(g) for i in needed]
            return [zeros_like(ins[i]) if r is None else r for i, r in zip(needed, got)]
    else:
        inputs = list(op.inputs) + given
        forward = op._fn

        def call(*tensors):
            ins = tensors[:n_in]
            g = incoming(tensors[n_in:])
            gs = list(g) if n_out != 1 else [g]
            with GradientTape(watch_accessed_variables=False) as tape:
                for t in ins:
                    tape.watch(t)
                outs = forward(*ins)
            pairs = [(o, gi) for o, gi in zip(outs, gs) if gi is not None]
            got = tape.gradient([o for o, _ in pairs], [ins[i] for i in needed],
                                output_gradients=[gi for _, gi in pairs])
            return [zeros_like(ins[i]) if r is None else r for i, r in zip(needed, got)]

    specs = [(op.inputs[i].shape, op.inputs[i].dtype) for i in needed]
    node = graph._function_node(op.type + "Grad", call, inputs, specs, True,
                                name=op.name + "_grad")
    return node.outputs
