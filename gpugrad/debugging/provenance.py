"""Where each eager value came from, kept while gradient explanations are on.

The tape records what the gradient needs and nothing else: no op names, no
lines, and nothing at all for ops without a gradient (argmax, comparisons,
stop_gradient), integer results, reads of unwatched variables or ops run
before the tape started. While explanations are on, every eager op leaves a
small node here instead: the registry op, the user's call site, its inputs'
nodes, and which tapes were recording and which recorded it. Variable reads
and assignments leave one too, and a tape notes when it starts recording:
while on, this module wraps ``Variable._read``, ``Variable.assign*`` and
``GradientTape.__enter__``, and restores them when switched off.

A node lives while its tensor lives, or while a later node computed from it
does, as an autograd graph would. Reads break the chain: a read remembers
the variable's latest assignment only as the set of ids the assigned value
was computed from, so a training loop does not keep every step alive.
"""
import itertools
import weakref

from .. import context
from ..tape import GradientTape, _recording
from ..tensor import Tensor
from ..variable import Variable
from . import _hooks

_enabled = False
_nodes = {}                           # tensor id -> (node, weak reference to the tensor)
_seq = itertools.count(1).__next__    # the order of events
_keys = itertools.count(1).__next__
_tapes = weakref.WeakKeyDictionary()  # tape -> TapeInfo
_assigns = {}                         # variable id -> its latest Assign
_originals = {}


class TapeInfo:
    """A tape as explanations see it: a key, the first event seen while it
    recorded, and the variable reads it recorded (variable id, site)."""
    __slots__ = ("key", "start", "reads")

    def __init__(self, key, start):
        self.key, self.start, self.reads = key, start, []


class OpNode:
    """An eager op: ``inputs`` are (tensor id, node or None) pairs, ``outs``
    (tensor id, array dtype) pairs; ``active`` and ``recorded`` hold the keys
    of the tapes that were recording and of those that recorded it."""
    __slots__ = ("op", "site", "seq", "inputs", "outs", "active", "recorded")
    kind = "op"

    def __init__(self, op, site, seq, inputs, outs, active, recorded):
        self.op, self.site, self.seq = op, site, seq
        self.inputs, self.outs, self.active, self.recorded = inputs, outs, active, recorded


class ReadNode:
    """A read of a variable, giving tensor ``tid``; ``assign`` is the
    variable's latest assignment before the read, or None."""
    __slots__ = ("variable", "name", "trainable", "dtype", "tid", "site", "seq", "active",
                 "recorded", "assign")
    kind = "read"

    def __init__(self, variable, value, site, seq, active, recorded):
        self.variable, self.name = variable._tid, _name(variable)
        self.trainable, self.dtype = variable.trainable, variable.dtype
        self.tid, self.site, self.seq = value._tid, site, seq
        self.active, self.recorded = active, recorded
        self.assign = _assigns.get(variable._tid)


class Assign:
    """``variable.how(value)`` at ``site``; ``origins``: the ids (tensors and
    variables) the value was computed from; ``value_op``: (op name, site)
    of the op that made it, when known."""
    __slots__ = ("name", "how", "site", "seq", "origins", "value_op")

    def __init__(self, name, how, site, seq, origins, value_op):
        self.name, self.how, self.site, self.seq = name, how, site, seq
        self.origins, self.value_op = origins, value_op


def _name(variable):
    name = variable.name
    return name[:-2] if name.endswith(":0") else name


class _Ref(weakref.ref):
    """A weak reference that knows its tensor's id, to forget its node."""

    def __init__(self, tensor, callback):
        super().__init__(tensor, callback)
        self.tid = tensor._tid


def _forget(ref):
    _nodes.pop(ref.tid, None)


def _remember(tensor, node):
    _nodes[tensor._tid] = (node, _Ref(tensor, _forget))


def node_of(tid):
    entry = _nodes.get(tid)
    return None if entry is None else entry[0]


def site_of(out_ids):
    """The call site of the op that made ``out_ids`` (an id or a tuple)."""
    if out_ids is None:
        return None
    node = node_of(out_ids if type(out_ids) is int else out_ids[0])
    return None if node is None else node.site


def tape_info(tape):
    return _tapes.get(tape)


def _tapes_now(seq):
    tapes = []
    for tape in _recording:
        info = _tapes.get(tape)
        if info is None:
            info = _tapes[tape] = TapeInfo(_keys(), seq)
        tapes.append((tape, info))
    return tapes


def _recorded_by(tapes, tids):
    return frozenset(info.key for tape, info in tapes
                     if tape._watched is not None and any(t in tape._watched for t in tids))


# ------------------------------------------------------------------ events
def observe(op, inputs, params, result):
    """``registry.observer`` while explanations are on: one node per op."""
    if context._thread.building:
        return          # a session's kernels, a graph's shape inference
    seq = _seq()
    outputs = result if type(result) is tuple else (result,)
    tapes = _tapes_now(seq)
    node = OpNode(op, _hooks.user_site(), seq,
                  tuple([(t._tid, node_of(t._tid)) for t in inputs]),
                  tuple([(o._tid, o._data.dtype) for o in outputs]),
                  frozenset(info.key for _, info in tapes),
                  _recorded_by(tapes, [o._tid for o in outputs]))
    for o in outputs:
        _remember(o, node)


def _read(self):
    value = _originals["_read"](self)
    if type(value) is Tensor and not context._thread.building:
        seq = _seq()
        tapes = _tapes_now(seq)
        site = _hooks.user_site()
        node = ReadNode(self, value, site, seq, frozenset(info.key for _, info in tapes),
                        _recorded_by(tapes, [value._tid]))
        for _, info in tapes:
            if info.key in node.recorded:
                info.reads.append((self._tid, site))
        _remember(value, node)
    return value


def _enter(self):
    result = _originals["__enter__"](self)
    if self not in _tapes:
        _tapes[self] = TapeInfo(_keys(), _seq())
    return result


def _assigning(how):
    original = _originals[how]

    def assign(self, value, *args, **kwargs):
        result = original(self, value, *args, **kwargs)
        if not context._thread.building and not getattr(self, "_symbolic", False):
            node = node_of(value._tid) if isinstance(value, Tensor) else None
            made = (node.op.name, node.site) if node is not None and node.kind == "op" else None
            _assigns[self._tid] = Assign(_name(self), how, _hooks.user_site(), _seq(),
                                         _origins(value), made)
        return result
    assign.__name__ = assign.__qualname__ = how
    assign.__doc__ = original.__doc__
    return assign


def _origins(value):
    """The ids ``value`` was computed from (itself included), as far as
    the nodes tell: tensors, and the variables read on the way."""
    if isinstance(value, Variable):
        return frozenset([value._tid])
    if not isinstance(value, Tensor):
        return frozenset()
    found, seen = {value._tid}, set()
    stack = [node_of(value._tid)]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.kind == "read":
            found.add(node.variable)
            continue
        for tid, parent in node.inputs:
            found.add(tid)
            stack.append(parent)
    return frozenset(found)


# ----------------------------------------------------------------- switch
def enable_gradient_explanations():
    """Keep, for every eager op, variable read and assignment, what
    explain_gradient needs to name the op and line where a path was cut.
    Costs a few microseconds per op (the call site is looked up each
    time): a debugging mode. Values computed before it was switched on are
    explained from the tape alone."""
    global _enabled
    if _enabled:
        return
    _enabled = True
    for name in ("_read", "assign", "assign_add", "assign_sub"):
        _originals[name] = Variable.__dict__[name]
    _originals["__enter__"] = GradientTape.__dict__["__enter__"]
    Variable._read = _read
    for how in ("assign", "assign_add", "assign_sub"):
        setattr(Variable, how, _assigning(how))
    GradientTape.__enter__ = _enter
    _hooks.switch("explain", observe)


def disable_gradient_explanations():
    """Stop keeping provenance, and forget what was kept."""
    global _enabled
    if not _enabled:
        return
    _enabled = False
    _hooks.switch("explain", None)
    for name, original in _originals.items():
        setattr(GradientTape if name == "__enter__" else Variable, name, original)
    _originals.clear()
    _nodes.clear()
    _assigns.clear()
    _tapes.clear()


def is_enabled():
    return _enabled
