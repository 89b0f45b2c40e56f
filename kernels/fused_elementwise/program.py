"""The program format of fused_elementwise (spec.md): the op table, the
dtype rules, and the checks every twin runs once per (program, input dtypes)."""
import hashlib
import numbers

import numpy as np

FLOATS = ("float16", "float32", "float64")
INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
DTYPES = FLOATS + INTEGERS + ("bool",)
_NUMBERS = FLOATS + INTEGERS

#: op -> (number of arguments, dtypes they may have); the arguments share one
#: dtype, which is the result's
SAME = {
    **{op: (1, FLOATS) for op in ("exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal",
                                  "tanh", "sigmoid", "floor", "ceil", "sin", "cos")},
    **{op: (2, FLOATS) for op in ("divide", "pow", "relu_grad", "tanh_grad", "sigmoid_grad")},
    **{op: (1, _NUMBERS) for op in ("negative", "square", "abs", "sign", "relu")},
    **{op: (2, _NUMBERS) for op in ("add", "subtract", "multiply", "maximum", "minimum",
                                    "squared_difference")},
    "clip_by_value": (3, _NUMBERS),
}
#: arguments of one dtype (any), a bool result
COMPARISONS = ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal")
#: bool arguments, a bool result
LOGICAL = {"logical_and": 2, "logical_or": 2, "logical_not": 1}
#: const (no value arguments), cast (one, any dtype to any), where (bool, T, T) -> T
SUPPORTED_OPS = frozenset(SAME) | frozenset(COMPARISONS) | frozenset(LOGICAL) | {
    "const", "cast", "where"}


def constant(dtype, value):
    """The Python value of a ``const`` of ``dtype``: a float rounded to the
    dtype, an int in the dtype's range, or a bool."""
    if isinstance(value, (bool, np.bool_)):
        value = bool(value)
    elif not isinstance(value, numbers.Real):
        raise ValueError(f"a const's value must be a number, got {value!r}")
    if dtype in FLOATS:
        with np.errstate(over="ignore"):
            return float(np.array(value, dtype=dtype))
    if dtype == "bool":
        if value not in (0, 1):
            raise ValueError(f"a bool const must be True, False, 0 or 1, got {value!r}")
        return bool(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"an {dtype} const must be a whole number, got {value!r}")
    value, info = int(value), np.iinfo(dtype)
    if not info.min <= value <= info.max:
        raise ValueError(f"const {value} is out of the range of {dtype}")
    return value


def _result(k, op, dtype, args, types):
    """The dtype instruction ``k`` must declare, given its arguments' dtypes."""
    where = f"instruction {k} ({op})"
    if op == "const":
        if len(args) != 1:
            raise ValueError(f"{where}: args must be (value,), got {args!r}")
        constant(dtype, args[0])
        return dtype
    if op == "cast":
        arity, allowed = 1, DTYPES
    elif op == "where":
        arity, allowed = 3, DTYPES
    elif op in COMPARISONS:
        arity, allowed = 2, DTYPES
    elif op in LOGICAL:
        arity, allowed = LOGICAL[op], ("bool",)
    elif op in SAME:
        arity, allowed = SAME[op]
    else:
        raise ValueError(f"{where}: unsupported op (SUPPORTED_OPS lists the others)")
    if len(types) != arity:
        raise ValueError(f"{where}: takes {arity} arguments, got {len(types)}")
    if op == "where":
        if types[0] != "bool" or types[1] != types[2]:
            raise ValueError(f"{where}: arguments must be (bool, T, T), got {types}")
        return types[1]
    if op != "cast" and len(set(types)) != 1:
        raise ValueError(f"{where}: arguments must share one dtype, got {types}")
    if types[0] not in allowed:
        raise ValueError(f"{where}: does not take {types[0]} (takes {', '.join(allowed)})")
    if op == "cast":
        return dtype
    return "bool" if op in COMPARISONS or op in LOGICAL else types[0]


def check(program, input_dtypes):
    """The dtype names of all the values of ``program`` (inputs first) given
    its inputs' dtypes; ValueError, naming the culprit, for a program that
    breaks the format of spec.md."""
    try:
        n_inputs, instructions, outputs = program
        instructions, outputs = tuple(instructions), tuple(outputs)
    except (TypeError, ValueError):
        raise ValueError("a program is (n_inputs, instructions, outputs)") from None
    names = [np.dtype(d).name for d in input_dtypes]
    if len(names) != n_inputs:
        raise ValueError(f"the program takes {n_inputs} inputs, got {len(names)}")
    if n_inputs < 1:
        raise ValueError("a program needs at least one input (it gives the shape)")
    for i, name in enumerate(names):
        if name not in DTYPES:
            raise ValueError(f"input {i}: unsupported dtype {name}")
    types = list(names)
    for k, instruction in enumerate(instructions):
        try:
            op, dtype, args = instruction
            dtype = np.dtype(dtype).name
        except (TypeError, ValueError):
            raise ValueError(f"instruction {k}: must be (op, dtype, args), got {instruction!r}") \
                from None
        if dtype not in DTYPES:
            raise ValueError(f"instruction {k} ({op}): unsupported dtype {dtype}")
        args = tuple(args)
        if op != "const":
            for a in args:
                if not isinstance(a, numbers.Integral) or not 0 <= a < len(types):
                    raise ValueError(f"instruction {k} ({op}): argument {a!r} is not an "
                                     f"earlier value (0..{len(types) - 1})")
        want = _result(k, op, dtype, args, [] if op == "const" else [types[a] for a in args])
        if want != dtype:
            raise ValueError(f"instruction {k} ({op}): result is {want}, declared {dtype}")
        types.append(dtype)
    if not outputs:
        raise ValueError("a program needs at least one output")
    for o in outputs:
        if not isinstance(o, numbers.Integral) or not n_inputs <= o < len(types):
            raise ValueError(f"output {o!r} is not an instruction's value "
                             f"({n_inputs}..{len(types) - 1})")
    return types


def prepared(program, shapes, dtypes, over=None):
    """The checks of ``prepare(program, shapes, dtypes, over)`` (spec.md),
    every twin's: (shapes as tuples of ints, dtypes as native numpy dtypes,
    the broadcast shape, the outputs' dtype names, ``over`` as one input
    index per output, -1 for an output of its own)."""
    shapes = tuple(tuple(int(d) for d in s) for s in shapes)
    dtypes = tuple(np.dtype(np.dtype(d).name) for d in dtypes)  # native byte order
    if len(shapes) != len(dtypes):
        raise ValueError(f"{len(shapes)} shapes for {len(dtypes)} dtypes")
    types = check(program, [d.name for d in dtypes])
    types = tuple(types[o] for o in program[2])
    shape = tuple(np.broadcast_shapes(*shapes))
    if over is None:
        return shapes, dtypes, shape, types, (-1,) * len(types)
    over = tuple(over)
    if len(over) != len(types):
        raise ValueError(f"over has {len(over)} entries for {len(types)} outputs")
    plan = []
    for k, i in enumerate(over):
        if i is None:
            plan.append(-1)
            continue
        if not isinstance(i, numbers.Integral) or isinstance(i, bool) or not 0 <= i < len(shapes):
            raise ValueError(f"over[{k}] must be None or an input's index, got {i!r}")
        i = int(i)
        if i in plan:
            raise ValueError(f"over[{k}]: input {i} already takes another output")
        if shapes[i] != shape or dtypes[i].name != types[k]:
            raise ValueError(f"over[{k}]: output {k} is {types[k]}{list(shape)}, input {i} "
                             f"is {dtypes[i].name}{list(shapes[i])}")
        plan.append(i)
    return shapes, dtypes, shape, types, tuple(plan)


def canonical(program):
    """``program`` with plain ints, dtype names and exact const values
    (float.hex: -0.0 and 0.0 differ, nan equals nan): a stable hash key."""
    n_inputs, instructions, outputs = program
    body = []
    for op, dtype, args in instructions:
        dtype = np.dtype(dtype).name
        if op == "const":
            value = constant(dtype, args[0])
            args = (value.hex() if isinstance(value, float) else value,)
        else:
            args = tuple(int(a) for a in args)
        body.append((op, dtype, args))
    return int(n_inputs), tuple(body), tuple(int(o) for o in outputs)


def digest(*parts):
    """A short hex name for (canonical program, dtypes, ...)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
