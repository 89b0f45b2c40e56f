"""What the debugging tools share: where the user's code called gpugrad,
and the one per-op hook (``registry.observer``) both tools go through."""
import os
import sys

from .. import registry

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

#: the per-op functions switched on, in call order (explanations first)
_active = {"explain": None, "numerics": None}


def user_frame(depth=1):
    """The innermost frame outside the gpugrad package, or None."""
    frame = sys._getframe(depth + 1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return frame


def user_site(depth=1):
    """``file:line`` of the innermost caller outside gpugrad (as
    ``Operation._site`` in graph mode)."""
    frame = user_frame(depth + 1)
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def short(site):
    """A site relative to the working directory when it lies under it."""
    path, sep, line = site.rpartition(":")
    if not sep or not os.path.isabs(path):
        return site
    try:
        relative = os.path.relpath(path)
    except ValueError:          # another drive
        return site
    return site if relative.startswith("..") else f"{relative}:{line}"


def switch(name, fn):
    """Turn one tool's per-op function on (``fn``) or off (None), and set
    ``registry.observer`` to what is on: nothing costs anything when off."""
    _active[name] = fn
    fns = [f for f in _active.values() if f is not None]
    if not fns:
        registry.observer = None
    elif len(fns) == 1:
        registry.observer = fns[0]
    else:
        first, second = fns

        def both(op, inputs, params, result):
            first(op, inputs, params, result)
            second(op, inputs, params, result)
        registry.observer = both


_owners = {}


def op_of_vjp(code):
    """The name of the registry op whose gradient rule made the function
    with code object ``code`` (a VJP's code sits among its maker's
    constants), or None. For messages only: it searches the registry."""
    if code is None:
        return None
    if code not in _owners:
        _owners[code] = None
        for op in registry.all_ops().values():
            makers = list(op.vjp_makers or ()) + [op.vjp_all]
            if any(_holds(getattr(m, "__code__", None), code) for m in makers if m is not None):
                _owners[code] = op.name
                break
    return _owners[code]


def _holds(outer, code):
    if outer is None:
        return False
    if outer is code:
        return True
    return any(type(c) is type(code) and _holds(c, code) for c in outer.co_consts)
