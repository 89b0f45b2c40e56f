"""Check numerics (``tf.debugging.enable_check_numerics``): while on, the
first op whose output holds a NaN or an Inf raises CheckNumericsError.

Eager ops, the backward pass's included (a gradient rule runs registry ops
through the same ``bind``), are checked by ``registry.observer``. Graphs and
traced functions run kernels on arrays, not through ``bind``: the session
and the straight-line plan take a checked kernel per step from
``graph.session.check_kernel``, read once per run or per compiled plan, and
switching this on or off remakes traced functions' plans
(``config.optimizer.version``).

As in TensorFlow, the op blamed is the first whose *output* is not finite.
An op whose input already held a NaN was caught earlier, unless the value
came from outside the checked ops (a constant, a feed, a variable's value, a
value folded when a traced function's plan was made): the message says so.
"""
import re
import sys

from .. import config, context
from .. import tape as _tape
from ..errors import InvalidArgumentError
from ..graph import session as _session
from . import _hooks

_enabled = False


class CheckNumericsError(InvalidArgumentError):
    """An op produced a NaN or an Inf while check_numerics was enabled."""


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Raise CheckNumericsError at the first op (eager, graph or traced;
    forward or backward) whose output holds a NaN or an Inf. Each op's
    outputs are scanned, which costs a pass over them (and a device
    synchronisation on the GPU): a debugging mode. The arguments are
    TensorFlow's and are ignored."""
    global _enabled
    if _enabled:
        return
    _enabled = True
    _hooks.switch("numerics", _check_eager)
    _session.check_kernel = _checked_kernel
    config.optimizer.version += 1     # traced functions remake their plans, checked


def disable_check_numerics():
    """Stop checking (a no-op when checks are off)."""
    global _enabled
    if not _enabled:
        return
    _enabled = False
    _hooks.switch("numerics", None)
    _session.check_kernel = None
    config.optimizer.version += 1


def is_check_numerics_enabled():
    return _enabled


# ------------------------------------------------------------------ checks
def _not_finite(backend, array):
    if not backend.is_native(array):
        return False        # a shape stand-in, a Python value
    return array.dtype.kind in "fc" and not bool(backend.xp.isfinite(array).all())


def _check_eager(op, inputs, params, result):
    if context._thread.building:
        return      # a session's kernels (checked per step) or a graph's shape inference
    outputs = result if type(result) is tuple else (result,)
    for k, t in enumerate(outputs):
        data = t._data
        if data.dtype.kind in "fc" and not bool(t._backend.xp.isfinite(data).all()):
            raise CheckNumericsError(_eager_message(op, [i._data for i in inputs],
                                                    [o._data for o in outputs], k,
                                                    t._backend))


def _checked_kernel(op):
    """``op``'s kernel (never the in-place variant: inputs stay intact for
    the message), raising at the first output that is not finite."""
    kernel = op._kernel

    def checked(run, args):
        results = kernel(run, args)
        for k, r in enumerate(results):
            if _not_finite(run.backend, r):
                raise CheckNumericsError(_graph_message(op, run, args, results, k), op)
        return results
    return checked


# ----------------------------------------------------------------- messages
def _counts(xp, array):
    if array.dtype.kind == "c":
        found = [("NaN", xp.isnan(array)), ("Inf", xp.isinf(array))]
    else:
        found = [("NaN", xp.isnan(array)), ("+Inf", xp.isposinf(array)),
                 ("-Inf", xp.isneginf(array))]
    return [(name, int(mask.sum())) for name, mask in found]


def _describe(xp, array):
    lines = [f"  dtype: {array.dtype}", f"  shape: {list(array.shape)}"]
    lines += [f"  # of {name} elements: {n}" for name, n in _counts(xp, array) if n]
    return lines


def _inputs(backend, arrays, outputs):
    lines = []
    for i, a in enumerate(arrays):
        if not backend.is_native(a) or any(a is o for o in outputs):
            continue
        head = f"  input {i}: {a.dtype} {list(a.shape)}"
        if _not_finite(backend, a):
            bad = ", ".join(f"{n} {name}" for name, n in _counts(backend.xp, a) if n)
            lines.append(f"{head}, already held {bad}: the value came from outside the "
                         f"checked ops (a constant, a feed, a variable, or a value "
                         f"computed while checks were off)")
        else:
            lines.append(f"{head}, finite")
    return lines


def _eager_message(op, inputs, outputs, k, backend):
    backward = _backward_info()
    head = (f'!!! Detected Infinity or NaN in output {k} of eagerly-executing op '
            f'"{op.name}" (# of outputs: {len(outputs)})'
            f'{" in the backward pass" if backward else ""} !!!')
    lines = [head] + _describe(backend.xp, outputs[k])
    if backward:
        forward, site = backward
        what = f"the gradient of {forward}" if forward else "a gradient"
        lines.append(f"  in the backward pass: computing {what}"
                     + (f" (called at {_hooks.short(site)})" if site else ""))
    lines.append(f"  called at {_hooks.short(_hooks.user_site(2))}")
    return "\n".join(lines + _inputs(backend, inputs, outputs))


_BACKPROP = _tape.backprop.__code__
_TAPE = _BACKPROP.co_filename


def _backward_info():
    """(forward op name, its call site) while the tape's backward pass runs
    the current op, or None. Looked up only when an error is raised."""
    frame, below = sys._getframe(2), []
    while frame is not None:
        if frame.f_code is _BACKPROP:
            # the VJP backprop called (past the comprehension it calls it in)
            vjp = next((f for f in reversed(below) if f.f_code.co_filename != _TAPE), None)
            forward = _hooks.op_of_vjp(vjp.f_code) if vjp is not None else None
            from .provenance import site_of
            return forward, site_of(frame.f_locals.get("out_ids"))
        below.append(frame)
        frame = frame.f_back
    return None


_BACKWARD_SCOPE = re.compile(r"^(gradients|backward)(_\d+)?$")


def _graph_backward(op):
    """(forward op name or None, its Operation or None) for an op of a
    graph's backward pass (built by ``gradients`` or a traced function's
    gradient), or None."""
    parts = op.name.split("/")
    scopes = [i for i, p in enumerate(parts[:-1]) if _BACKWARD_SCOPE.match(p)]
    if not scopes:
        return None
    rest = "/".join(parts[scopes[-1] + 1:])
    if not rest.endswith("_grad"):
        return None, None
    name = rest[:-len("_grad")]
    graph = getattr(op, "graph", None)
    return name, getattr(graph, "_names", {}).get(name)


def _graph_message(op, run, args, results, k):
    blamed = _blame_member(op, run, args)
    fused = None
    if blamed is not None:
        fused, (op, args, results, k) = op, blamed
    backward = _graph_backward(op)
    head = (f'!!! Detected Infinity or NaN in output {k} of graph op "{op.name}" (type '
            f'{op.type}, # of outputs: {len(results)}){" in the backward pass" if backward else ""}'
            f' !!!')
    lines = [head] + _describe(run.xp, results[k])
    if backward:
        name, forward = backward
        what = f"the gradient of '{name}'" if name else "a gradient"
        site = getattr(forward, "_site", None)
        lines.append(f"  in the backward pass: computing {what}"
                     + (f" (created at {_hooks.short(site)})" if site else ""))
    if fused is not None:
        lines.append(f"  inside the fused kernel {fused.name}")
    lines.append(f"  created at {_hooks.short(op._site)}")
    return "\n".join(lines + _inputs(run.backend, args, results))


def _blame_member(fused, run, args):
    """For a fused step: run its members one by one on the same inputs and
    return (member, its inputs, its results, output index) for the first
    whose output is not finite; None for any other step, or if that fails."""
    members = getattr(fused, "members", None)
    if not members:
        return None
    values = {id(t): a for t, a in zip(fused.inputs, args)}

    def value(t, depth=0):
        if id(t) not in values:
            maker = t._op
            if maker.shape_inputs or depth > 32:
                raise LookupError(t.name)
            values[id(t)] = maker._kernel(run, [value(x, depth + 1) for x in maker.inputs])[
                t._index]
        return values[id(t)]
    try:
        for m in members:
            ins = [value(t) for t in m.inputs]
            outs = m._kernel(run, ins)
            for t, o in zip(m.outputs, outs):
                values[id(t)] = o
            for j, o in enumerate(outs):
                if _not_finite(run.backend, o):
                    return m, ins, outs, j
    except Exception:
        return None
    return None
