"""fused_elementwise on NVIDIA GPUs: each (program, input dtypes) becomes one
cupy.ElementwiseKernel (typed parameters, one C body, cuda.cu as its
preamble), built once per process; CuPy broadcasts, and caches the compiled
code on disk itself.

``source`` returns the whole CUDA file a program compiles to, with a plain
kernel in place of CuPy's indexing, so nvcc can check the generated code
where there is no GPU (tests/kernels/test_fused_elementwise.py)."""
import math
import pathlib
import threading

import numpy as np

from .program import FLOATS, SUPPORTED_OPS, canonical, check, constant, digest, prepared

#: SUPPORTED_OPS: the ops a program may use
__all__ = ["fused_elementwise", "prepare", "SUPPORTED_OPS"]

#: bump when the generated code changes
FORMAT = 1

PREAMBLE = (pathlib.Path(__file__).resolve().parent / "cuda.cu").read_text()
#: what ``source`` puts after the preamble in place of CuPy's float16 class
FLOAT16_STANDIN = "typedef __half float16;  // stands in for CuPy's float16 class\n"

#: CuPy's C type of each dtype (its float16 is a class holding a __half)
CTYPES = {"float16": "float16", "float32": "float", "float64": "double", "bool": "bool",
          "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
          "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
          "uint64": "unsigned long long"}


def _work(dtype):
    """The C type a value of ``dtype`` is computed in (float16 in float)."""
    return "float" if dtype == "float16" else CTYPES[dtype]


def _literal(dtype, value):
    value = constant(dtype, value)
    T = _work(dtype)
    if dtype == "bool":
        return "true" if value else "false"
    if dtype in FLOATS:
        if not math.isfinite(value):
            bits = np.array(value, dtype=np.float64 if T == "double" else np.float32)
            if T == "double":
                return f"__longlong_as_double({int(bits.view(np.int64))}LL)"
            return f"__int_as_float({int(bits.view(np.int32))})"
        return repr(value) + ("" if T == "double" else "f")
    if dtype.startswith("uint"):
        return f"(({T}){value}ULL)"
    if value == np.iinfo(np.int64).min:
        return f"(({T})(-9223372036854775807LL - 1LL))"
    return f"(({T}){value}LL)"


def _cast(x, src, dst):
    T = _work(dst)
    if src == "float16":
        x, src = f"gg_round_half({x})", "float32"  # a float16 value leaving float16 is rounded
    if dst == "bool":
        return f"({x} != 0)"
    if dst == "float16":
        if src == "bool":
            return f"((float){x})"
        return f"gg_round_half({x})" if src in FLOATS else f"gg_round_half((double){x})"
    return f"(({T}){x})"


def _expression(op, dtype, args, types):
    """C computing instruction (op, dtype, args) from the values named
    ``args`` of dtypes ``types``, in ``dtype``'s work type."""
    T = _work(dtype)
    if op == "const":
        return _literal(dtype, args[0])
    if op == "cast":
        return _cast(args[0], types[0], dtype)
    x = args[0]
    y = args[1] if len(args) > 1 else None
    z = args[2] if len(args) > 2 else None
    one = f"(({T})1)"
    unsigned = dtype.startswith("uint")
    table = {
        "add": f"{x} + {y}", "subtract": f"{x} - {y}", "multiply": f"{x} * {y}",
        "divide": f"{x} / {y}", "negative": f"-{x}",
        "exp": f"exp({x})", "expm1": f"expm1({x})", "log": f"log({x})", "log1p": f"log1p({x})",
        "sqrt": f"sqrt({x})", "rsqrt": f"{one} / sqrt({x})", "reciprocal": f"{one} / {x}",
        "square": f"{x} * {x}", "abs": x if unsigned else f"gg_abs({x})",
        "sign": f"{x} > 0" if unsigned else f"gg_sign({x})",
        "tanh": f"tanh({x})", "sigmoid": f"gg_sigmoid({x})",
        "relu": f"gg_maximum({x}, ({T})0)", "maximum": f"gg_maximum({x}, {y})",
        "minimum": f"gg_minimum({x}, {y})", "pow": f"pow({x}, {y})",
        "squared_difference": f"gg_squared_difference({x}, {y})",
        "floor": f"floor({x})", "ceil": f"ceil({x})", "sin": f"sin({x})", "cos": f"cos({x})",
        "greater": f"{x} > {y}", "greater_equal": f"{x} >= {y}", "less": f"{x} < {y}",
        "less_equal": f"{x} <= {y}", "equal": f"{x} == {y}", "not_equal": f"{x} != {y}",
        "logical_and": f"{x} && {y}", "logical_or": f"{x} || {y}", "logical_not": f"!{x}",
        "where": f"{x} ? {y} : {z}",
        "clip_by_value": f"gg_minimum(gg_maximum({x}, {y}), {z})",
        "relu_grad": f"gg_relu_grad({x}, {y})", "tanh_grad": f"gg_tanh_grad({x}, {y})",
        "sigmoid_grad": f"gg_sigmoid_grad({x}, {y})",
    }
    return f"(({T})({table[op]}))"


def _parts(program, input_dtypes):
    """(kernel name, in params, out params, body) for ``program``."""
    types = check(program, input_dtypes)
    n_inputs, instructions, outputs = program
    name = "gg_fused_" + digest(FORMAT, canonical(program), tuple(types[:n_inputs]))
    in_params = ", ".join(f"{types[i]} in{i}" for i in range(n_inputs))
    out_params = ", ".join(f"{types[o]} out{k}" for k, o in enumerate(outputs))
    body = [f"const {_work(types[i])} v{i} = ({_work(types[i])})in{i};" for i in range(n_inputs)]
    for k, (op, dtype, args) in enumerate(instructions):
        names = [f"v{a}" for a in args] if op != "const" else list(args)
        arg_types = [types[a] for a in args] if op != "const" else []
        body.append(f"const {_work(dtype)} v{n_inputs + k} = "
                    f"{_expression(op, dtype, names, arg_types)};")
    body += [f"out{k} = v{o};" for k, o in enumerate(outputs)]  # float16: rounded once, here
    return name, in_params, out_params, "\n".join(body), types


def source(program, input_dtypes):
    """The whole CUDA file ``program`` compiles to for inputs of
    ``input_dtypes``: cuda.cu, then the generated body inside a plain
    grid-stride kernel over contiguous arrays of one shape (CuPy's own
    kernel indexes broadcast arrays instead; the body is the same)."""
    names = tuple(np.dtype(d).name for d in input_dtypes)
    name, in_params, out_params, body, types = _parts(program, names)
    n_inputs, outputs = program[0], program[2]
    params = [f"const {CTYPES[types[i]]}* _raw_in{i}" for i in range(n_inputs)]
    params += [f"{CTYPES[types[o]]}* _raw_out{k}" for k, o in enumerate(outputs)]
    refs = [f"const {CTYPES[types[i]]} &in{i} = _raw_in{i}[i];" for i in range(n_inputs)]
    refs += [f"{CTYPES[types[o]]} &out{k} = _raw_out{k}[i];" for k, o in enumerate(outputs)]
    indent = "\n        "
    return (f"{PREAMBLE}\n"
            f"{FLOAT16_STANDIN}\n"
            f'extern "C" __global__ void {name}({", ".join(params)}, long long n) {{\n'
            "    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;\n"
            "         i += (long long)blockDim.x * gridDim.x) {\n"
            f"        {indent.join(refs)}\n"
            f"        {indent.join(body.splitlines())}\n"
            "    }\n}\n")


_by_key = {}  # (program, dtypes) -> (program, kernel, output dtypes): found by identity first
_by_name = {}
_lock = threading.Lock()


def _kernel(program, dtypes):
    key = (program, dtypes)
    found = _by_key.get(key)
    if found is not None and found[0] is program:
        return found[1], found[2]
    import cupy
    name, in_params, out_params, body, types = _parts(program, [d.name for d in dtypes])
    out_types = tuple(np.dtype(types[o]) for o in program[2])
    with _lock:
        kernel = _by_name.get(name)
        if kernel is None:
            kernel = _by_name[name] = cupy.ElementwiseKernel(
                in_params, out_params, body, name, preamble=PREAMBLE, return_tuple=True)
        _by_key[key] = (program, kernel, out_types)
    return kernel, out_types


def fused_elementwise(program, inputs, out=None):
    import cupy
    arrays = [cupy.asarray(a) for a in inputs]
    kernel, out_types = _kernel(program, tuple(a.dtype for a in arrays))
    if out is None or all(o is None for o in out):
        return kernel(*arrays)
    if len(out) != len(out_types):
        raise ValueError(f"out has {len(out)} entries for {len(out_types)} outputs")
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    targets = []
    for k, (target, dtype) in enumerate(zip(out, out_types)):
        if target is None:
            target = cupy.empty(shape, dtype)
        elif target.shape != shape or target.dtype != dtype or not target.flags.c_contiguous:
            raise ValueError(f"out[{k}] must be a C-contiguous {dtype}{list(shape)} array, got "
                             f"{target.dtype}{list(target.shape)}")
        targets.append(target)
    # CuPy copies an input that overlaps an output unless it is that very
    # array object, which the kernel reads before it writes
    return kernel(*arrays, *targets)


def prepare(program, shapes, dtypes, over=None):
    """``call(inputs)``, running ``program`` on CuPy inputs of ``shapes`` and
    ``dtypes`` (spec.md, "Prepared calls"): the ElementwiseKernel is built
    here; CuPy broadcasts. An output stored over an input is that input
    object passed as the output (CuPy reads it in place)."""
    _, dtypes, shape, _, over = prepared(program, shapes, dtypes, over)
    kernel, out_types = _kernel(program, dtypes)
    if all(i < 0 for i in over):
        return lambda inputs: kernel(*inputs)
    import cupy

    def call(inputs):
        return kernel(*inputs, *[inputs[i] if i >= 0 else cupy.empty(shape, t)
                                 for i, t in zip(over, out_types)])
    return call
