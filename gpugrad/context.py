"""Eager or graph: where ops go when they are called.

Each thread has a stack of graphs being built, innermost last; None on top
means eager. An empty stack means eager too, unless TensorFlow 1 mode
(``everywhere``) names a graph for all threads. The registry, the variable class
and a few creation functions look here, and only here, to know whether they
should add a node to a graph instead; the graph layer pushes and pops.
"""
import functools
import threading


class _Stack(threading.local):
    def __init__(self):
        self.building = []


_thread = _Stack()
#: the graph of TensorFlow 1 mode (``disable_eager_execution``): where ops go
#: in every thread that has not said otherwise
everywhere = None
#: while a list, every eager op run is appended to it as (op, inputs, params,
#: result): the graph layer records gradient rules this way to replay them
op_log = None


def current_graph():
    """The graph ops are being added to in this thread, or None when
    executing eagerly. The stack is per thread, as TensorFlow's."""
    stack = _thread.building
    if stack:
        return stack[-1]
    return everywhere


def push(graph):
    """Send this thread's ops to ``graph`` (None: run them eagerly)."""
    _thread.building.append(graph)


def pop():
    _thread.building.pop()


def executing_eagerly():
    return current_graph() is None


class eager_scope:
    """Run ops eagerly inside a graph-building block (a Session's kernels, the
    shape inference of a function node)."""

    def __enter__(self):
        _thread.building.append(None)

    def __exit__(self, *exc):
        _thread.building.pop()
        return False


def graph_function(type_name, differentiable=True, unknown_shapes_only=False,
                   retry_unknown=False):
    """Make ``fn`` (Tensors in, Tensors out) a single node when a graph is
    being built: the node calls ``fn`` eagerly each time a Session runs it.

    For functions whose Python code needs values, not just shapes (random
    draws, ``shape``, ``zeros_like`` of an input of unknown size, index
    checks). With ``unknown_shapes_only``, only when an input's shape is not
    fully known: for wrappers that turn input dimensions into op parameters
    (``expand_dims`` reshapes to a computed shape), which is exact as long
    as every dimension is known when the graph is built. In eager mode the
    call goes straight to ``fn``.

    ``retry_unknown`` builds ``fn``'s ops directly and falls back to one
    node only when that fails on an input with unknown dimensions: for
    wrappers that check shapes (``bias_add``, ``concat``), whose checks
    see stand-in sizes for the unknown dimensions.
    """
    def wrap(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            graph = current_graph()
            if graph is None or (unknown_shapes_only or retry_unknown) and \
                    not _any_unknown(args, kwargs):
                return fn(*args, **kwargs)
            if retry_unknown:
                try:
                    return fn(*args, **kwargs)
                except (ValueError, TypeError, IndexError):
                    pass        # a check that saw a stand-in size: decide at run time
            return graph._call_function(type_name, fn, args, kwargs, differentiable)
        wrapper.eager = fn
        return wrapper
    return wrap


def _any_unknown(args, kwargs):
    for x in list(args) + list(kwargs.values()):
        items = x if isinstance(x, (list, tuple)) else (x,)
        for item in items:
            shape = getattr(item, "_shape", None) if getattr(item, "_symbolic", False) else None
            if shape is not None and not shape.is_fully_defined():
                return True
    return False
