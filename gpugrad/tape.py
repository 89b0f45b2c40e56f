"""GradientTape: eager reverse-mode differentiation, TensorFlow's semantics.

While a tape is active, every op whose inputs include a tensor the tape
watches is appended to the tape as a record::

    (input ids, output id(s), per-input VJP functions, all-input VJP function)

where the output is one id for a single-output op and a tuple of ids for an
op declared with several (which then always receives a tuple of gradients)

and its outputs become watched. Trainable variables are watched when read.
A read of a variable is itself a record (variable id -> read tensor id), so
the gradient with respect to a variable sums over its reads; ``assign``
records nothing, so no gradient flows through an assigned value.

``gradient`` sweeps the records forward once to find what depends on the
sources, then walks them backwards accumulating output gradients.
"""
import contextlib
import enum
import logging

from . import nest
from .tensor import Tensor

_log = logging.getLogger("gpugrad")

#: tapes currently recording, innermost last; shared with the registry
_recording = []


class UnconnectedGradients(enum.Enum):
    NONE = "none"
    ZERO = "zero"


def _identity(g):
    return g


def _is_variable(x):
    return hasattr(x, "_read")


def _floating(x):
    return x._data.dtype.kind == "f"


def record(op, inputs, result, params):
    """Append ``op`` to every recording tape that watches one of ``inputs``."""
    if len(_recording) == 1:  # the common case, kept cheap: it runs per op
        tapes = _recording
        watched = tapes[0]._watched
        if len(inputs) == 1:
            if inputs[0]._tid not in watched:
                return
            mask = (True,)
        else:
            mask = [t._tid in watched for t in inputs]
            if True not in mask:
                return
    else:
        tapes = [tape for tape in _recording
                 if any(t._tid in tape._watched for t in inputs)]
        if not tapes:
            return
        mask = [any(t._tid in tape._watched for tape in tapes) for t in inputs]
    if type(result) is tuple:
        if not any(_floating(o) for o in result):
            return
        out_ids = tuple([o._tid for o in result])
    elif result._data.dtype.kind != "f":
        return  # integer and boolean results carry no gradient
    else:
        out_ids = result._tid
    vjps = vjp_all = None
    makers = op.vjp_makers
    if op.vjp_all is not None:
        vjp_all = op.vjp_all(result, *inputs, **params)
    elif makers is None:
        raise NotImplementedError(f"op {op.name!r} has no gradient rule")
    elif len(inputs) == 1:
        maker = makers[0]
        if maker is None or inputs[0]._data.dtype.kind != "f":
            return
        vjps = (maker(result, inputs[0], **params),)
    else:
        vjps = [makers[i](result, *inputs, **params)
                if mask[i] and makers[i] is not None and t._data.dtype.kind == "f" else None
                for i, t in enumerate(inputs)]
    entry = (tuple([t._tid for t in inputs]), out_ids, vjps, vjp_all)
    for tape in tapes:
        tape._records.append(entry)
        if type(out_ids) is int:
            tape._watched.add(out_ids)
        else:
            tape._watched.update(out_ids)


def record_read(variable, value):
    """A variable was read as ``value``: watch it where the tape says so."""
    if not variable.dtype.is_floating:
        return
    for tape in _recording:
        if variable._tid not in tape._watched:
            if not (tape._watch_accessed and variable.trainable):
                continue
            tape._watch_variable(variable)
        tape._records.append(((variable._tid,), value._tid, (_identity,), None))
        tape._watched.add(value._tid)


def custom_record(inputs, outputs, grad_fn):
    """Record ``grad_fn(*dys) -> input grads`` as the VJP of a block."""
    ids = [t._tid for t in inputs]
    tapes = [tape for tape in _recording if any(i in tape._watched for i in ids)]
    if not tapes:
        return
    def vjp_all(g):
        if isinstance(g, tuple):
            from .ops.array_ops import zeros_like
            return grad_fn(*[zeros_like(o) if d is None else d for d, o in zip(g, outputs)])
        return grad_fn(g)
    out_ids = tuple(o._tid for o in outputs)
    entry = (tuple(ids), out_ids if len(out_ids) > 1 else out_ids[0], None, vjp_all)
    for tape in tapes:
        tape._records.append(entry)
        tape._watched.update(out_ids)


@contextlib.contextmanager
def _paused(tapes):
    """Stop ``tapes`` recording for a block (they keep their place)."""
    saved = list(_recording)
    _recording[:] = [t for t in _recording if t not in tapes]
    try:
        yield
    finally:
        _recording[:] = saved


def stop_all_recording():
    return _paused(list(_recording))


class GradientTape:
    """Records ops for automatic differentiation (``tf.GradientTape``)."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._records = []
        self._watched = set()
        self._variables = []

    # -------------------------------------------------------------- context
    def __enter__(self):
        if self._records is None:
            raise RuntimeError("this GradientTape was already used for a gradient; "
                               "create a new tape (or pass persistent=True)")
        _recording.append(self)
        return self

    def __exit__(self, *exc):
        if self in _recording:
            _recording.remove(self)
        return False

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops in this block are not recorded on this tape."""
        if self not in _recording:
            raise RuntimeError("stop_recording() needs the tape to be recording: "
                             "call it inside the tape's `with` block")
        with _paused([self]):
            yield

    def reset(self):
        """Forget everything recorded so far (keeps recording if active)."""
        self._records = []
        self._watched = set()
        self._variables = []

    # -------------------------------------------------------------- watching
    def watch(self, tensor):
        """Watch tensors or variables (any nesting) so gradients reach them."""
        for x in nest.flatten(tensor):
            if _is_variable(x):
                if x.dtype.is_floating:
                    self._watch_variable(x)
                else:
                    _log.warning("GradientTape.watch: variable %s has dtype %s; only "
                                 "floating-point values get gradients", x.name, x.dtype.name)
            elif isinstance(x, Tensor):
                if _floating(x):
                    self._watched.add(x._tid)
                else:
                    _log.warning("GradientTape.watch: tensor of dtype %s; only "
                                 "floating-point tensors get gradients", x.dtype.name)
            else:
                raise ValueError(f"GradientTape.watch takes tensors or variables, "
                                 f"got {type(x).__name__}: {x!r}")

    def _watch_variable(self, variable):
        if variable._tid not in self._watched:
            self._watched.add(variable._tid)
            self._variables.append(variable)

    def watched_variables(self):
        """The variables this tape watches, in order of creation."""
        return tuple(sorted(self._variables, key=lambda v: v._tid))

    # ------------------------------------------------------------- gradients
    def _take_records(self):
        if self._records is None:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute "
                               "one set of gradients (or jacobians); pass persistent=True "
                               "to compute several")
        records = self._records
        if not self._persistent:
            self._records = None
            self._watched = None
        return records

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE, explain=False):
        """d(sum of target)/d(sources), in the structure of ``sources``.
        ``explain=True`` warns (gpugrad.debugging.GradientWarning) why each
        gradient that is None or all zero is so (docs/debugging.md)."""
        unconnected = UnconnectedGradients(unconnected_gradients)
        targets = [_as_node(t, "target") for t in nest.flatten(target)]
        if targets and getattr(targets[0], "_symbolic", False):   # inside a traced function
            from .function.func_graph import tape_gradient
            return tape_gradient(self, targets, sources, output_gradients, unconnected)
        flat_sources = [_as_node(s, "source") for s in nest.flatten(sources)]
        if output_gradients is not None:
            seeds = [None if g is None else _to_tensor(g)
                     for g in nest.flatten(output_gradients)]
            if len(seeds) != len(targets):
                raise ValueError(f"output_gradients has {len(seeds)} entries for "
                                 f"{len(targets)} targets")
        else:
            seeds = [None] * len(targets)
        if self in _recording:
            if self._persistent:  # TensorFlow records the gradient ops too
                _log.warning("GradientTape.gradient inside the context of a persistent "
                             "tape records the gradient computation on that tape, which "
                             "is slower; call it outside the `with` block unless you need "
                             "higher-order gradients from the same tape")
            else:  # a non-persistent tape stops recording for good
                _recording.remove(self)
        watched = self._watched
        records = self._take_records()
        if self._persistent:
            records = list(records)  # a snapshot: the backward pass may append
        with _paused([] if self._persistent else [self]):
            grads = backprop(records, targets, seeds, flat_sources)
            if explain:
                from .debugging.explain import warn_about
                warn_about(self, records, watched, targets, seeds, flat_sources, grads)
            grads = [_unconnected(g, s, unconnected) for g, s in zip(grads, flat_sources)]
        return nest.pack_sequence_as(sources, grads)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...], shaped target.shape + source.shape."""
        from .ops import array_ops as A
        unconnected = UnconnectedGradients(unconnected_gradients)
        y = _as_node(target, "target")
        flat_sources = [_as_node(s, "source") for s in nest.flatten(sources)]
        records = self._take_records()
        y_shape = list(y.shape)
        size = y.shape.num_elements()
        with _paused([self]):
            rows = [backprop(records, [y], [A.reshape(A.one_hot(i, size, dtype=y.dtype), y_shape)],
                             flat_sources) for i in range(size)]
            result = []
            for k, s in enumerate(flat_sources):
                col = [r[k] for r in rows]
                if all(g is None for g in col):
                    result.append(_unconnected(None, s, unconnected, y_shape))
                    continue
                col = [A.zeros(s.shape, s.dtype) if g is None else g for g in col]
                result.append(A.reshape(A.stack(col), y_shape + list(s.shape)))
        return nest.pack_sequence_as(sources, result)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: [b, y...] and [b, x...] give [b, y..., x...]."""
        from .ops import array_ops as A
        unconnected = UnconnectedGradients(unconnected_gradients)
        y = _as_node(target, "target")
        x = _as_node(source, "source")
        if not y.shape or not x.shape or y.shape[0] != x.shape[0]:
            raise ValueError(f"batch_jacobian needs target and source with the same first "
                             f"(batch) dimension, got {list(y.shape)} and {list(x.shape)}")
        records = self._take_records()
        batch, inner = y.shape[0], list(y.shape[1:])
        width = 1
        for d in inner:
            width *= d
        with _paused([self]):
            cols = []
            for j in range(width):
                seed = A.reshape(A.tile(A.reshape(A.one_hot(j, width, dtype=y.dtype), [1, width]),
                                        [batch, 1]), list(y.shape))
                cols.append(backprop(records, [y], [seed], [x])[0])
            if all(g is None for g in cols):
                return _unconnected(None, x, unconnected, [batch] + inner, batch_dims=1)
            cols = [A.zeros(x.shape, x.dtype) if g is None else g for g in cols]
            return A.reshape(A.stack(cols, axis=1), [batch] + inner + list(x.shape[1:]))


def _as_node(x, role):
    if isinstance(x, Tensor) or _is_variable(x):
        return x
    raise TypeError(f"GradientTape.gradient: the {role} must be a Tensor or Variable, "
                    f"got {type(x).__name__}: {x!r}")


def _to_tensor(value):
    from .tensor import convert_to_tensor
    return convert_to_tensor(value)


def _unconnected(grad, source, mode, prefix=(), batch_dims=0):
    if grad is not None or mode is UnconnectedGradients.NONE:
        return grad
    from .ops import array_ops as A
    return A.zeros(list(prefix) + list(source.shape[batch_dims:]), source.dtype)


def backprop(records, targets, seeds, sources):
    """Gradients of ``targets`` (seeded with ``seeds``, ones where None) with
    respect to ``sources``, from ``records`` in recording order."""
    from .ops.math_ops import add
    from .ops.array_ops import ones_like
    source_ids = [s._tid for s in sources]
    # forward sweep: which ids depend on a source
    needed = set(source_ids)
    relevant = []
    for entry in records:
        for tid in entry[0]:
            if tid in needed:
                out_ids = entry[1]
                if type(out_ids) is int:
                    needed.add(out_ids)
                else:
                    needed.update(out_ids)
                relevant.append(entry)
                break
    grads = {}
    for t, seed in zip(targets, seeds):
        if t._tid not in needed or not t.dtype.is_floating:
            continue
        if seed is None:
            seed = ones_like(t)
        old = grads.get(t._tid)
        grads[t._tid] = seed if old is None else add(old, seed)
    keep = set(source_ids)
    for in_ids, out_ids, vjps, vjp_all in reversed(relevant):
        if type(out_ids) is int:  # one output; a tuple means the op declared several
            tid = out_ids
            g = grads.get(tid) if tid in keep else grads.pop(tid, None)
            if g is None:
                continue
        else:
            g = tuple(grads.get(i) if i in keep else grads.pop(i, None) for i in out_ids)
            if all(x is None for x in g):
                continue
        if vjp_all is not None:
            in_grads = vjp_all(g)
        else:
            in_grads = [None if vjp is None or tid not in needed else vjp(g)
                        for tid, vjp in zip(in_ids, vjps)]
        for tid, gi in zip(in_ids, in_grads):
            if gi is None or tid not in needed:
                continue
            old = grads.get(tid)
            grads[tid] = gi if old is None else add(old, gi)
    return [grads.get(tid) for tid in source_ids]
