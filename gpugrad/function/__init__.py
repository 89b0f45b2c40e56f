"""``gpugrad.function``: Python traced into a graph, cached per signature,
optimised, and run as one unit on the arguments' device (docs/function.md)."""
from .function import Function, TensorSpec, RetracingWarning, function  # noqa: F401
from .concrete import ConcreteFunction  # noqa: F401
from .printing import print_  # noqa: F401
from .control_flow import cond, while_loop  # noqa: F401
