"""fused_elementwise in plain numpy: the oracle. Each instruction is the
numpy formula of its gpugrad op (gpugrad/ops/math_ops.py, nn_ops.py), one
array per value, rounded to its dtype after every op."""
import numpy as np

from .program import SUPPORTED_OPS, check, constant, prepared

#: SUPPORTED_OPS: the ops a program may use
__all__ = ["fused_elementwise", "prepare", "SUPPORTED_OPS"]


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


_OPS = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide,
    "negative": np.negative, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
    "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "reciprocal": lambda x: 1 / x,
    "square": np.square, "abs": np.abs, "sign": np.sign, "tanh": np.tanh, "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0), "maximum": np.maximum, "minimum": np.minimum,
    "pow": np.power, "squared_difference": lambda x, y: np.square(x - y),
    "floor": np.floor, "ceil": np.ceil, "sin": np.sin, "cos": np.cos,
    "greater": np.greater, "greater_equal": np.greater_equal, "less": np.less,
    "less_equal": np.less_equal, "equal": np.equal, "not_equal": np.not_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_not": np.logical_not,
    "where": np.where,
    "clip_by_value": lambda t, lo, hi: np.minimum(np.maximum(t, lo), hi),
    "relu_grad": lambda y, dy: np.multiply(dy, y > 0, dtype=dy.dtype),
    "tanh_grad": lambda y, dy: dy * (1 - y * y),
    "sigmoid_grad": lambda y, dy: dy * y * (1 - y),
}


def fused_elementwise(program, inputs, out=None):
    arrays = [np.asarray(a) for a in inputs]
    types = check(program, [a.dtype for a in arrays])
    n_inputs, instructions, outputs = program
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    values = list(arrays)
    with np.errstate(all="ignore"):
        for (op, dtype, args), dtype in zip(instructions, types[n_inputs:]):
            if op == "const":
                value = np.array(constant(dtype, args[0]), dtype=dtype)
            elif op == "cast":
                value = values[args[0]].astype(dtype)
            else:
                value = _OPS[op](*(values[a] for a in args))
            values.append(np.asarray(value).astype(dtype, copy=False))
    # every result is computed before any is written: an out may be an input
    results = [np.array(np.broadcast_to(values[o], shape), dtype=types[o]) for o in outputs]
    if out is not None:
        if len(out) != len(outputs):
            raise ValueError(f"out has {len(out)} entries for {len(outputs)} outputs")
        for k, target in enumerate(out):
            if target is not None:
                if (target.shape != shape or target.dtype != results[k].dtype
                        or not target.flags.c_contiguous):
                    raise ValueError(f"out[{k}] must be a C-contiguous {results[k].dtype}"
                                     f"{list(shape)} array, got "
                                     f"{target.dtype}{list(target.shape)}")
                target[...] = results[k]
                results[k] = target
    return tuple(results)


def prepare(program, shapes, dtypes, over=None):
    """``call(inputs)`` = ``fused_elementwise(program, inputs, out)``, with
    ``out`` the inputs ``over`` names (spec.md, "Prepared calls")."""
    over = prepared(program, shapes, dtypes, over)[4]
    if all(i < 0 for i in over):
        return lambda inputs: fused_elementwise(program, inputs)
    return lambda inputs: fused_elementwise(
        program, inputs, out=tuple(inputs[i] if i >= 0 else None for i in over))
