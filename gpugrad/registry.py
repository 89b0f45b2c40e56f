"""The op registry: one entry per op, serving every device and every tape.

An op is a name, a forward written once against the backend's array
namespace ``xp``, and a gradient rule. The rule is staged, as in autograd: a
*VJP maker* per input is called when the op is recorded, with the output and
the inputs (tensors), and returns a function of the output gradient ``g``.
Makers compute with gpugrad ops, so gradients of gradients come free and the
graph layer can reuse the same rules.

``bind`` runs an op: it checks that every input is on one device, calls the
forward, wraps the result, and records the op on the tapes that watch one of
its inputs.
"""
from . import context
from .errors import InvalidArgumentError
from .tensor import Tensor
from .tape import _recording, record

_REGISTRY = {}
#: ``fn(op, inputs, params, result)``, run after every eager op while set:
#: gpugrad.debugging's numerics checks and gradient explanations; None: off
observer = None


class Op:
    __slots__ = ("name", "forward", "vjp_makers", "vjp_all", "num_outputs",
                 "pass_backend", "differentiable")

    def __init__(self, name, forward, num_outputs=1, pass_backend=False,
                 differentiable=True):
        self.name = name
        self.forward = forward
        self.num_outputs = num_outputs
        self.pass_backend = pass_backend
        self.differentiable = differentiable
        self.vjp_makers = None
        self.vjp_all = None

    def __call__(self, *inputs, **params):
        return bind(self, inputs, params)

    def __repr__(self):
        return f"<gpugrad op {self.name}>"


def defop(name, num_outputs=1, backend=False, differentiable=True):
    """Register ``forward(xp, *arrays, **params)`` as op ``name``.

    ``backend=True`` passes the Backend instead of ``xp``, for the few ops that
    need a helper (scatter-add, transfers). ``differentiable=False`` marks an
    op with no gradient (argmax, comparisons, stop_gradient): its outputs are
    never recorded.
    """
    def register(forward):
        if name in _REGISTRY:
            raise ValueError(f"op {name!r} is already registered")
        op = Op(name, forward, num_outputs, backend, differentiable)
        _REGISTRY[name] = op
        return op
    return register


def defvjp(op, *makers):
    """One VJP maker per input, ``maker(ans, *inputs, **params) -> (g -> grad)``;
    ``None`` where an input gets no gradient (indices, shapes)."""
    op.vjp_makers = makers


def defvjp_all(op, maker):
    """One maker for all inputs, returning ``g -> tuple of grads`` (for ops with
    a variable number of inputs, such as concat)."""
    op.vjp_all = maker


def get(name):
    return _REGISTRY[name]


def all_ops():
    return dict(_REGISTRY)


def _device_error(op, inputs):
    names = sorted({t._backend.name for t in inputs})
    described = ", ".join(f"input {i} ({list(t.shape)}, {t.dtype.name}) on {t._backend.name}"
                          for i, t in enumerate(inputs))
    return InvalidArgumentError(
        f"{op.name}: inputs live on different devices ({' and '.join(names)}): "
        f"{described}. Copy them explicitly with tensor.to(device); gpugrad does "
        f"not move data silently.")


def _input_error(op, inputs, params, exc):
    described = ", ".join(f"{list(t.shape)} {t.dtype.name}" for t in inputs)
    extra = "".join(f", {k}={v!r}" for k, v in params.items() if not hasattr(v, "_data"))
    return InvalidArgumentError(f"{op.name} failed on inputs ({described}{extra}): {exc}")


def _forward(op, backend, inputs, params):
    xp = backend if op.pass_backend else backend.xp
    if len(inputs) == 1:  # the common cases, without building argument lists
        return op.forward(xp, inputs[0]._data, **params) if params else \
            op.forward(xp, inputs[0]._data)
    if len(inputs) == 2:
        if inputs[1]._backend is not backend:
            raise _device_error(op, inputs)
        return op.forward(xp, inputs[0]._data, inputs[1]._data, **params) if params else \
            op.forward(xp, inputs[0]._data, inputs[1]._data)
    for t in inputs:
        if t._backend is not backend:
            raise _device_error(op, inputs)
    return op.forward(xp, *[t._data for t in inputs], **params)


def bind(op, inputs, params):
    """Run ``op`` on tensors ``inputs``; returns a Tensor (or a tuple).
    While a graph is being built, add the op to it instead."""
    if context._thread.building or context.everywhere is not None:
        graph = context.current_graph()
        if graph is not None:
            return graph._bind(op, inputs, params)
    backend = inputs[0]._backend
    try:
        if backend.scoped:
            with backend.device_scope():
                out = _forward(op, backend, inputs, params)
        else:
            out = _forward(op, backend, inputs, params)
    except (ValueError, IndexError, TypeError) as exc:
        if isinstance(exc, InvalidArgumentError):
            raise
        raise _input_error(op, inputs, params, exc) from None
    if op.num_outputs == 1:
        result = Tensor(out, backend)
    else:
        result = tuple([Tensor(o, backend) for o in out])
    if _recording and op.differentiable:
        record(op, inputs, result, params)
    if context.op_log is not None:
        context.op_log.append((op, inputs, params, result))
    if observer is not None:
        observer(op, inputs, params, result)
    return result
