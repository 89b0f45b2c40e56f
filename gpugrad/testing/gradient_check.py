"""Numerical gradient checks: the tape's VJP against central differences.

For a function ``f`` and a point ``x``, the tape gives ``J(x)^T v`` for an
output cotangent ``v``; central differences give ``J(x) u`` for an input
direction ``u``. Both sides of ``<v, J u>`` must agree::

    <J^T v, u>  (tape)   ~   <v, (f(x + eps u) - f(x - eps u)) / (2 eps)>  (numeric)

Each differentiable input is checked on its own (``u`` is zero on the
others), so a failure names the input. Second order applies the same check to
``(x, v) -> J(x)^T v``, computed with nested tapes; higher orders recurse.

Everything here is written with gpugrad ops and Python's ``math`` and
``random``: host values come from ``.numpy()`` only.
"""
import math
import random

from .. import nest
from ..backend import device
from ..dtypes import float64
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..tape import GradientTape
from ..tensor import Tensor, convert_to_tensor, constant

__all__ = ["check_gradients", "DEFAULT_TOLERANCES"]

#: dtype name -> (eps, rtol, atol). Chosen by the least precise floating dtype
#: among the checked function's inputs and outputs.
DEFAULT_TOLERANCES = {
    "float64": (1e-6, 1e-5, 1e-6),
    "float32": (1e-3, 2e-2, 2e-3),
    "float16": (5e-2, 1e-1, 5e-2),
}
_PRECISION = ["float16", "float32", "float64"]


def check_gradients(fn, inputs, order=2, rtol=None, atol=None, eps=None, seed=0):
    """Check the gradients of ``fn`` at ``inputs`` up to ``order``.

    ``fn`` takes one positional argument per entry of ``inputs`` and returns
    a tensor or a (nested) list or tuple of tensors. ``inputs`` is a list or
    tuple of tensors, variables, arrays or Python numbers (a single tensor
    counts as one input). Floating-point inputs are cast to float64 and
    differentiated; integer and boolean inputs (indices, masks) are passed
    through unchanged and not differentiated. Integer and boolean outputs are
    ignored.

    For every differentiable input ``i`` and random directions ``u`` (on input
    ``i``) and ``v`` (on the outputs), both drawn from ``random.Random(seed)``,
    the tape's ``<J^T v, u>`` must match the central-difference
    ``<v, J u>``: ``|tape - numeric| <= atol + rtol * max(|tape|, |numeric|)``.
    With ``order >= 2`` the check is repeated on ``(x, v) -> J(x)^T v``, the
    VJP computed with nested ``GradientTape``\\ s, whose inputs are the
    original inputs followed by one cotangent per floating-point output.

    Default step and tolerances, by the least precise floating dtype among
    ``fn``'s inputs and outputs (float64 unless ``fn`` casts down)::

        dtype     eps     rtol    atol
        float64   1e-6    1e-5    1e-6
        float32   1e-3    2e-2    2e-3
        float16   5e-2    1e-1    5e-2

    Raises ``AssertionError`` naming the function (its ``__name__``), the
    order, the input and both numbers when the gradients disagree, and when a
    gradient has the wrong shape or dtype or is not finite.
    """
    if isinstance(inputs, (Tensor, int, float)) or hasattr(inputs, "_read"):
        inputs = [inputs]
    xs = [_as_input(x) for x in inputs]
    if not any(_floating(x) for x in xs):
        raise ValueError("check_gradients: no floating-point input to differentiate")
    if int(order) < 1:
        raise ValueError(f"check_gradients: order must be at least 1, got {order}")
    name = getattr(fn, "__name__", None) or repr(fn)
    rng = random.Random(seed)
    tolerances = (eps, rtol, atol)
    _check(fn, xs, int(order), 1, name, tolerances, rng, [f"input {i}" for i in range(len(xs))])


# ---------------------------------------------------------------- helpers
def _floating(t):
    return t.dtype.is_floating


def _as_input(x):
    t = convert_to_tensor(x)
    return M.cast(t, float64) if _floating(t) else t


def _outputs(result):
    ys = [convert_to_tensor(y) for y in nest.flatten(result)]
    return [y for y in ys if _floating(y)]


def _random_like(rng, t):
    n = math.prod(tuple(t.shape))
    values = [rng.gauss(0.0, 1.0) for _ in range(n)]
    with device(t.device):
        return constant(values, dtype=t.dtype, shape=tuple(t.shape))


def _inner(a, b):
    """sum(a * b) in float64, as a Python float."""
    return float(M.reduce_sum(M.multiply(M.cast(a, float64), M.cast(b, float64))).numpy())


def _step(x, u, eps):
    return M.add(x, M.multiply(u, eps))


def _tolerances(xs, ys, given):
    names = [t.dtype.name for t in list(xs) + list(ys) if _floating(t)]
    worst = min(names, key=lambda n: _PRECISION.index(n) if n in _PRECISION else 2)
    eps, rtol, atol = DEFAULT_TOLERANCES.get(worst, DEFAULT_TOLERANCES["float64"])
    given_eps, given_rtol, given_atol = given
    return (eps if given_eps is None else given_eps,
            rtol if given_rtol is None else given_rtol,
            atol if given_atol is None else given_atol)


def _record(fn, xs):
    """Run fn on a tape watching its floating inputs: (tape, outputs, sources)."""
    sources = [x for x in xs if _floating(x)]
    with GradientTape() as tape:
        tape.watch(sources)
        ys = _outputs(fn(*xs))
    return tape, ys, sources


def _pullback(tape, ys, sources, vs):
    """J^T v for each source (zeros where unconnected)."""
    grads = tape.gradient(ys, sources, output_gradients=vs)
    return [A.zeros_like(x) if g is None else g for g, x in zip(grads, sources)]


def _vjp_function(fn, n_inputs):
    """(x..., v...) -> J(x)^T v: the function the next order checks."""
    def vjp(*args):
        tape, ys, sources = _record(fn, list(args[:n_inputs]))
        return _pullback(tape, ys, sources, list(args[n_inputs:]))
    vjp.__name__ = f"vjp of {getattr(fn, '__name__', fn)}"
    return vjp


def _fail(name, level, what, detail):
    where = "" if level == 1 else f" at order {level} (the gradient of its order-{level - 1} VJP)"
    raise AssertionError(f"gradient check of {name!r}{where} failed for {what}: {detail}")


def _check(fn, xs, order, level, name, given, rng, labels):
    tape, ys, sources = _record(fn, xs)
    if not ys:
        raise ValueError(f"check_gradients: {name!r} returned no floating-point output")
    eps, rtol, atol = _tolerances(xs, ys, given)
    vs = [_random_like(rng, y) for y in ys]
    grads = _pullback(tape, ys, sources, vs)
    for i, g in zip([i for i, x in enumerate(xs) if _floating(x)], grads):
        x, what = xs[i], f"{labels[i]} (shape {list(xs[i].shape)}, {xs[i].dtype.name})"
        if tuple(g.shape) != tuple(x.shape) or g.dtype != x.dtype:
            _fail(name, level, what, f"the tape's gradient has shape {list(g.shape)} and dtype "
                                     f"{g.dtype.name}, expected the input's")
        u = _random_like(rng, x)
        exact = _inner(g, u)
        plus = _outputs(fn(*[_step(x, u, eps) if j == i else xj for j, xj in enumerate(xs)]))
        minus = _outputs(fn(*[_step(x, u, -eps) if j == i else xj for j, xj in enumerate(xs)]))
        numeric = sum(_inner(v, M.subtract(p, m)) for v, p, m in zip(vs, plus, minus)) / (2 * eps)
        if not math.isfinite(exact):
            _fail(name, level, what, f"<J^T v, u> from the tape is {exact} (numeric {numeric!r})")
        scale = max(abs(exact), abs(numeric))
        if not abs(exact - numeric) <= atol + rtol * scale:
            _fail(name, level, what,
                  f"<J^T v, u> from the tape's VJP = {exact!r}, but <v, J u> from central "
                  f"differences = {numeric!r} (|difference| {abs(exact - numeric):.3g} > "
                  f"atol {atol:g} + rtol {rtol:g} * {scale:.3g}; eps {eps:g})")
    if order > 1:
        n = len(xs)
        cotangents = [f"the cotangent of output {k} of the order-{level} function"
                      for k in range(len(ys))]
        _check(_vjp_function(fn, n), list(xs) + vs, order - 1, level + 1, name, given, rng,
               labels + cotangents)
