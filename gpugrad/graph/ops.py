"""Grouping ops: ``group``, ``no_op``, ``tuple``."""
import builtins

from .core import get_default_graph


def no_op(name=None):
    """An op that does nothing: a handle for control dependencies."""
    return get_default_graph()._create_op("NoOp", [], [], _nothing, name=name or "NoOp")


def group(*inputs, name=None):
    """One op that runs all of ``inputs`` (ops or tensors) when run."""
    graph = get_default_graph()
    flat = []
    for x in inputs:
        flat.extend(x if isinstance(x, (list, builtins.tuple)) else [x])
    ops = [graph._control_op(x) for x in flat if x is not None]
    control = graph._current_control() + [op for op in ops]
    return graph._create_op("NoOp", [], [], _nothing, name=name or "group_deps",
                            control_inputs=control)


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001 (TensorFlow's name)
    """The same tensors, each available only once all of them (and
    ``control_inputs``) are computed."""
    from ..ops.array_ops import identity
    graph = get_default_graph()
    gate = group(*[t for t in tensors if t is not None], *(control_inputs or []),
                 name=(name or "tuple") + "/control_dependency")
    with graph.control_dependencies([gate]):
        return [None if t is None else identity(t) for t in tensors]


def _nothing(run, args):
    return ()

