"""Why a gradient is None or zero, in words.

``explain_gradient(tape, target, source)`` returns the explanation;
``tape.gradient(..., explain=True)`` warns it (GradientWarning) for each
source whose gradient is None or all zero.

A None gradient means no recorded path leads from the source to the
target. The tape alone can tell whether the source was watched and read;
to say *where* a path was cut (the op and line: stop_gradient, argmax, an
integer cast, an assignment, an op run before the tape started), it needs
the provenance kept while ``enable_gradient_explanations()`` is on: the
search walks back from the target through those nodes and forward again
from the source, stopping at the first edge the tape could not follow.

A zero gradient means the path exists and every path's gradient is zero
here: the tape's records are run backwards keeping every intermediate
gradient, and the op whose output gradient is nonzero but whose input's is
all zero is named (relu of negative inputs, the branch ``where`` did not
take).
"""
import sys
import warnings

from .. import nest
from ..tape import backprop, stop_all_recording
from ..tensor import Tensor
from ..variable import Variable
from . import _hooks, provenance

_HINT = ("enable gpugrad.debugging.enable_gradient_explanations() before recording to "
         "name the op and line")


class GradientWarning(UserWarning):
    """``tape.gradient(..., explain=True)``: why a gradient is None or zero."""


def explain_gradient(tape, target, source):
    """Why d(target)/d(source) is None, or zero, on ``tape``: a string.

    It does not use the tape up: call it before ``tape.gradient`` on a
    non-persistent tape (after it, the records are gone and only the
    provenance kept by ``enable_gradient_explanations`` is left), or use
    ``tape.gradient(..., explain=True)``."""
    targets = nest.flatten(target)
    for t in targets + [source]:
        if not isinstance(t, (Tensor, Variable)):
            raise TypeError(f"explain_gradient takes tensors and variables, got "
                            f"{type(t).__name__}: {t!r}")
    if any(getattr(t, "_symbolic", False) for t in targets):
        return ("explain_gradient works on eager tapes only; inside a traced function "
                "the gradient comes from the graph (gpugrad.gradients)")
    frame = _hooks.user_frame()
    records = tape._records
    if records is None:
        return _explain(tape, None, tape._watched, targets, source, None, False, frame)
    with stop_all_recording():
        grad = backprop(list(records), targets, [None] * len(targets), [source])[0]
    return _explain(tape, list(records), tape._watched, targets, source, grad, True, frame,
                    [None] * len(targets))


def warn_about(tape, records, watched, targets, seeds, sources, grads):
    """``tape.gradient(..., explain=True)``: a GradientWarning per None or
    all-zero gradient, attributed to the line that asked for it."""
    frame = _hooks.user_frame()
    level = _stacklevel(frame)
    for source, grad in zip(sources, grads):
        if grad is None or _all_zero(grad):
            with stop_all_recording():
                text = _explain(tape, records, watched, targets, source, grad, True, frame,
                                seeds)
            warnings.warn(text, GradientWarning, stacklevel=level)


def _stacklevel(frame):
    level, f = 1, sys._getframe(1)
    while f is not None and f is not frame:
        level, f = level + 1, f.f_back
    return level if f is not None else 1


def _all_zero(g):
    return not bool(g._backend.xp.any(g._data))


def _nonzero(g):
    return g is not None and not _all_zero(g)


# ----------------------------------------------------------------- naming
def _who(x, frame):
    if isinstance(x, Variable):
        return f"variable '{provenance._name(x)}'"
    names = [k for k, v in frame.f_locals.items() if v is x] if frame is not None else []
    described = f"{x.dtype.name} {list(x.shape)}"
    return f"tensor `{names[0]}` ({described})" if names else f"the tensor ({described})"


def _target(targets, frame):
    if len(targets) == 1 and frame is not None:
        names = [k for k, v in frame.f_locals.items() if v is targets[0]]
        if names:
            return f"`{names[0]}`"
    return "the target" if len(targets) == 1 else "the targets"


def _at(node):
    return f"{node.op.name} at {_hooks.short(node.site)}"


def _explain(tape, records, watched, targets, source, grad, computed, frame, seeds=None):
    who = _who(source, frame)
    head = f"The gradient of {_target(targets, frame)} with respect to {who}"
    nodes, consumers = _ancestry(targets)
    if computed and grad is not None:
        if not _all_zero(grad):
            return f"{head} is neither None nor zero: nothing to explain."
        return f"{head} is zero: connected, but every path's gradient is zero here: " + \
            _zero_reason(records, targets, seeds, source, nodes)
    if not source.dtype.is_floating:
        return (f"{head} is None: {who} has dtype {source.dtype.name}; only floating-point "
                f"values get gradients (integer and boolean values carry none).")
    if not computed and not nodes:
        return (f"{head} cannot be explained: this tape's records were used by gradient() "
                f"and explanations were off while it recorded. Use gradient(..., "
                f"explain=True), or {_HINT}.")
    info = provenance.tape_info(tape)
    found = None
    if nodes:
        found = _search(tape, info, watched, targets, source, who, nodes, consumers)
    if found == "connected":
        if computed:
            return (f"{head} is None, though the ops the tape recorded connect it to the "
                    f"target.")
        return (f"{head} is connected (not None); whether it is zero cannot be told: "
                f"this tape's records were used by gradient(). Use gradient(..., "
                f"explain=True), or a persistent tape.")
    if found:
        if len(found) == 1:
            return f"{head} is None: {found[0]}"
        return f"{head} is None: every path to the target is cut:\n" + \
            "\n".join(f"  - {why}" for why in found)
    return f"{head} is None: " + _unused(tape, info, records, watched, source, who, nodes)


# ------------------------------------------------------------ None: paths
def _ancestry(targets):
    """The provenance nodes the targets were computed from: ({tensor id:
    node}, {tensor id: [(consuming node, input index)]})."""
    nodes, consumers, seen = {}, {}, set()
    stack = [provenance.node_of(t._tid) for t in targets]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.kind == "read":
            nodes[node.tid] = node
            continue
        for tid, _ in node.outs:
            nodes[tid] = node
        for i, (tid, parent) in enumerate(node.inputs):
            consumers.setdefault(tid, []).append((node, i))
            stack.append(parent)
    return nodes, consumers


def _search(tape, info, watched, targets, source, who, nodes, consumers):
    """'connected', or the reasons the paths from ``source`` to the targets
    were cut (first cut on each path, in program order), or [] when no
    path leads there at all."""
    key = None if info is None else info.key
    cuts = []
    frontier = []
    reads = sorted({id(n): n for n in nodes.values() if n.kind == "read"}.values(),
                   key=lambda n: n.seq)
    if isinstance(source, Variable):
        for n in reads:
            if n.variable == source._tid:
                if key in n.recorded:
                    frontier.append(n.tid)
                else:
                    cuts.append((n.seq, _read_cut(tape, info, n, who, consumers)))
    else:
        frontier.append(source._tid)
    for n in reads:
        if n.assign is not None and n.variable != source._tid and \
                source._tid in n.assign.origins:
            cuts.append((n.assign.seq, _assign_cut(n, who)))
    targets = {t._tid for t in targets}
    reached = set()
    while frontier:
        tid = frontier.pop()
        if tid in reached:
            continue
        reached.add(tid)
        if tid in targets:
            return "connected"
        for node, i in consumers.get(tid, ()):
            why = _edge_cut(node, i, tid, key, info, source, watched, who)
            if why is None:
                frontier.extend(t for t, _ in node.outs)
            else:
                cuts.append((node.seq, why))
    unique = []
    for _, why in sorted(cuts, key=lambda c: c[0]):
        if why not in unique:
            unique.append(why)
    return unique


def _read_cut(tape, info, n, who, consumers):
    at = f"at {_hooks.short(n.site)}"
    users = consumers.get(n.tid)
    if users:
        user = users[0][0]
        at += f" (by {user.op.name})" if user.site == n.site else f" (by {_at(user)})"
    if info is None or (info.key not in n.active and n.seq < info.start):
        return (f"read before the tape started: {who} was read {at} before the tape "
                f"started recording, so the tape never saw that read nor what was "
                f"computed from it; the target, computed inside the tape from that "
                f"result, has no recorded path back to {who}. Compute it inside the "
                f"`with GradientTape()` block.")
    if info.key not in n.active:
        return (f"{who} was read {at} while the tape was not recording (after its `with` "
                f"block, or inside stop_recording()), so the tape did not see the read.")
    if not n.trainable:
        return (f"not watched: {who} is a non-trainable variable (trainable=False); the "
                f"tape read it {at} without watching it. Call tape.watch({n.name}) before "
                f"reading it, or make it trainable.")
    if not tape._watch_accessed:
        return (f"not watched: the tape was created with watch_accessed_variables=False "
                f"and {who} was not passed to tape.watch before it was read {at}.")
    return f"{who} was read {at} without the tape recording the read."


def _assign_cut(n, who):
    a = n.assign
    made = f" (the result of {a.value_op[0]} at {_hooks.short(a.value_op[1])})" \
        if a.value_op else ""
    return (f"cut by an assignment: {a.name}.{a.how}(...) at {_hooks.short(a.site)} stored "
            f"a value computed from {who}{made} in variable '{a.name}', and the value read "
            f"from '{a.name}' afterwards (at {_hooks.short(n.site)}) has no path back to "
            f"what was assigned: an assignment is a change of state, not an op, so no "
            f"gradient flows through it.")


_NO_GRADIENT = {"argmax": "its result is an index", "argmin": "its result is an index",
                "floor": "it is piecewise constant", "ceil": "it is piecewise constant",
                "round": "it is piecewise constant", "floordiv": "it is piecewise constant",
                "one_hot": "its result is made from indices"}


def _edge_cut(node, i, tid, key, info, source, watched, who):
    """Why the tape could not follow input ``i`` of ``node``, or None."""
    op, at = node.op, _at(node)
    out_dtypes = [str(d) for _, d in node.outs]
    if not op.differentiable:
        if op.name == "stop_gradient":
            return (f"cut by stop_gradient at {_hooks.short(node.site)}: no gradient flows "
                    f"back through stop_gradient.")
        why = _NO_GRADIENT.get(op.name)
        if why is None and all(d == "bool" for d in out_dtypes):
            why = "its result is boolean"
        return f"cut by {at}: {op.name} has no gradient" + (f" ({why})." if why else ".")
    if not any(d.startswith(("float", "complex")) for d in out_dtypes):
        if op.name == "cast":
            return (f"cut by an integer cast at {_hooks.short(node.site)}: cast to "
                    f"{out_dtypes[0]}, and integer values carry no gradient.")
        return (f"cut by {at}: its result is {out_dtypes[0]}, and only floating-point values "
                f"carry gradients.")
    if op.vjp_all is None and (op.vjp_makers is None or op.vjp_makers[i] is None):
        return f"cut by {at}: its input {i} gets no gradient."
    if key in node.recorded:
        return None
    if info is None or (key not in node.active and node.seq < info.start):
        return (f"cut before the tape started: {at} ran before the tape started recording, "
                f"so the tape never saw it. Compute it inside the `with GradientTape()` "
                f"block.")
    if key not in node.active:
        return (f"{at} ran while the tape was not recording (after its `with` block, or "
                f"inside stop_recording()), so the tape did not see it.")
    if tid == source._tid and not isinstance(source, Variable):
        if watched is not None and tid in watched:
            return (f"{who} was used by {at} before tape.watch was called on it: watching "
                    f"starts at the watch call, so that use was not recorded.")
        return (f"not watched: {who} is a plain tensor the tape does not watch, so {at} "
                f"was not recorded (the tape follows trainable variables and watched "
                f"tensors only). Call tape.watch on it before using it.")
    return f"{at} was not recorded on this tape."


def _unused(tape, info, records, watched, source, who, nodes):
    """No path at all: why, from the tape and the provenance."""
    if isinstance(source, Variable):
        if watched is not None and source._tid not in watched:
            if not source.trainable:
                return (f"not watched: {who} is a non-trainable variable (trainable=False) "
                        f"and the tape does not watch it; besides, the target does not "
                        f"depend on it.")
            if not tape._watch_accessed:
                return (f"not watched: the tape was created with "
                        f"watch_accessed_variables=False and {who} was not passed to "
                        f"tape.watch; besides, the target does not depend on it.")
            return (f"{who} was never read while the tape was recording: the target does "
                    f"not depend on it.")
        sites = [s for v, s in (info.reads if info is not None else ()) if v == source._tid]
        if sites:
            return (f"{who} was read on the tape (at {_hooks.short(sites[0])}), but the "
                    f"target is not computed from that read.")
        if records is None:
            return _unknown(who, nodes)
        if not any(e[0] == (source._tid,) and e[2] is not None for e in records):
            return (f"{who} was never read while the tape was recording: the target does "
                    f"not depend on it.")
        return _unknown(who, None)      # read while explanations were off
    if watched is not None and source._tid not in watched:
        return (f"not watched: {who} is a plain tensor the tape does not watch (call "
                f"tape.watch on it), and the target does not depend on it.")
    if records is not None and not any(source._tid in e[0] for e in records):
        return (f"{who} was never used while the tape was recording: the target does not "
                f"depend on it.")
    return _unknown(who, nodes)


def _unknown(who, nodes):
    if nodes:
        return f"the target is not computed from {who}."
    return (f"{who} was used on the tape, but the target depends on no recorded use of it: "
            f"the path was cut by an op without a gradient (stop_gradient, argmax, a "
            f"comparison, an integer cast), by an assignment, or by a computation the tape "
            f"did not record; {_HINT}.")


# ------------------------------------------------------------------- zero
class _Id:
    __slots__ = ("_tid",)

    def __init__(self, tid):
        self._tid = tid


_ZERO_HINTS = {
    "relu": "relu's gradient is zero wherever its input is negative",
    "maximum": "the other argument is the larger one everywhere",
    "minimum": "the other argument is the smaller one everywhere",
    "clip_by_value": "every element lies outside the clipping range",
    "multiply": "the other factor is zero",
    "reduce_max": "these elements are not the maximum",
    "reduce_min": "these elements are not the minimum",
    "abs": "its input is zero",
    "sign": "sign's gradient is zero",
}


def _zero_reason(records, targets, seeds, source, nodes):
    """The op where every path's gradient becomes zero, from the records."""
    needed, relevant = {source._tid}, []
    for entry in records:
        if any(t in needed for t in entry[0]):
            needed.update([entry[1]] if type(entry[1]) is int else entry[1])
            relevant.append(entry)
    ids = sorted(needed)
    grads = dict(zip(ids, backprop(records, targets, seeds or [None] * len(targets),
                                   [_Id(t) for t in ids])))
    found = []
    for entry in reversed(relevant):
        outs = [entry[1]] if type(entry[1]) is int else list(entry[1])
        if not any(_nonzero(grads.get(o)) for o in outs):
            continue
        for i, tid in enumerate(entry[0]):
            if tid in needed and not _nonzero(grads.get(tid)):
                found.append(_zero_op(entry, i, outs, nodes))
    if not found:
        return "the gradients of its paths cancel out (they sum to zero)."
    unique = []
    for why in found:
        if why not in unique:
            unique.append(why)
    return "; ".join(unique) + "."


def _zero_op(entry, i, outs, nodes):
    node = nodes.get(outs[0])
    if node is not None and node.kind == "op":
        name, where = node.op.name, f"{_at(node)}"
    else:
        vjp = entry[3] if entry[3] is not None else entry[2][i]
        name = _hooks.op_of_vjp(getattr(vjp, "__code__", None)) or "an op"
        where = f"{name} (on the tape; {_HINT})"
    if name == "where":
        hint = {1: "its condition is False everywhere, so this branch is never taken",
                2: "its condition is True everywhere, so this branch is never taken"}.get(i)
    else:
        hint = _ZERO_HINTS.get(name)
    text = f"{where} passes a zero gradient to its input {i}"
    return text + (f" ({hint})" if hint else "")
