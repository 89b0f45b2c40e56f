"""Every op, and the Python operators of Tensor and Variable."""
from ..tensor import Tensor
from ..variable import Variable
from . import math_ops, array_ops, nn_ops
from .math_ops import *  # noqa: F401,F403
from .array_ops import *  # noqa: F401,F403


def _install_operators(cls):
    M, A = math_ops, array_ops
    binary = {
        "add": M.add, "sub": M.subtract, "mul": M.multiply, "truediv": M.divide,
        "floordiv": M.floordiv, "mod": M.floormod, "pow": M.pow, "matmul": M.matmul,
    }
    for name, fn in binary.items():
        setattr(cls, f"__{name}__", fn)
        setattr(cls, f"__r{name}__", lambda x, y, fn=fn: fn(y, x))
    cls.__neg__ = lambda x: M.negative(x)
    cls.__pos__ = lambda x: x
    cls.__abs__ = lambda x: M.abs(x)
    cls.__lt__ = lambda x, y: M.less(x, y)
    cls.__le__ = lambda x, y: M.less_equal(x, y)
    cls.__gt__ = lambda x, y: M.greater(x, y)
    cls.__ge__ = lambda x, y: M.greater_equal(x, y)
    cls.__and__ = cls.__rand__ = lambda x, y: M.logical_and(x, y)
    cls.__or__ = cls.__ror__ = lambda x, y: M.logical_or(x, y)
    cls.__xor__ = cls.__rxor__ = lambda x, y: M.logical_xor(x, y)
    cls.__invert__ = lambda x: M.logical_not(x)

    def __eq__(x, y):  # elementwise, as in TensorFlow 2
        if y is None:
            return False
        return M.equal(x, y)

    def __ne__(x, y):
        if y is None:
            return True
        return M.not_equal(x, y)

    cls.__eq__, cls.__ne__ = __eq__, __ne__
    cls.__hash__ = None
    if cls is Tensor:
        cls.__getitem__ = lambda x, key: A.getitem(x, key)


_install_operators(Tensor)
_install_operators(Variable)
