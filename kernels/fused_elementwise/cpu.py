"""fused_elementwise on the CPU: each (program, input dtypes, input kinds)
becomes a small generated Python module, written to an on-disk cache and
compiled by numba with ``cache=True``, so later processes load machine code.

The generated loop reads every input of an element, computes every
instruction as a local scalar, then stores the outputs (so an output may be
an input's buffer). It runs over a 2-D view (rows, cols) of the broadcast
shape, in chunks of about CHUNK elements (parallel for large arrays, serial
for small: see _threads.py); the inner loop over 1-D slices from index 0
vectorises where every op does (spec.md lists which)."""
import importlib.util
import math
import os
import pathlib
import sys
import tempfile
import threading

import numba
import numpy as np

from .._threads import FLAGS, pick, twins
from .._vmath import CHUNK, as_float, as_int, exp
from .program import FLOATS, SUPPORTED_OPS, canonical, check, constant, digest, prepared

#: SUPPORTED_OPS: the ops a program may use
__all__ = ["fused_elementwise", "prepare", "SUPPORTED_OPS"]

#: bump when the generated code or a helper below changes: new module names
FORMAT = 2

_F = np.float32


# ------------------------------------------------------------ float16
# numba has no float16: float16 arrays are read and written as their uint16
# bits, converted here (exactly as numpy's astype, round to nearest even),
# and computed in float32.
_INLINE = dict(inline="always", **FLAGS)  # helpers inline into the loop: it vectorises


@numba.njit(**_INLINE)
def half_value(h):
    """The float32 value of float16 bits (exact)."""
    b = np.int32(h)
    e = (b >> 10) & 0x1f
    m = b & 0x3ff
    sign = np.int32(b & 0x8000) << np.int32(16)
    normal = as_float(np.int32(sign | ((e + 112) << 23) | (m << 13)))
    special = as_float(np.int32(sign | 0x7f800000 | (m << 13)))
    small = _F(m) * _F(5.9604644775390625e-08)  # subnormal: m * 2**-24
    small = -small if sign != 0 else small
    return small if e == 0 else (special if e == 31 else normal)


@numba.njit(**_INLINE)
def half_bits32(x):
    """The float16 bits nearest a float32 (ties to even)."""
    b = as_int(x)
    sign = (b >> 16) & 0x8000
    a = b & 0x7fffffff
    big = 0x7e00 if a > 0x7f800000 else 0x7c00  # nan, else inf
    # below 2**-14 (subnormal): adding 0.5 rounds to a multiple of 2**-24
    small = as_int(as_float(np.int32(a)) + _F(0.5)) - 0x3f000000
    normal = (a - (112 << 23) + 0xfff + ((a >> 13) & 1)) >> 13
    o = big if a >= 0x47800000 else (small if a < 0x38800000 else normal)
    return np.uint16(o | sign)


@numba.njit(**_INLINE)
def half_bits64(x):
    """The float16 bits nearest a float64 (ties to even, rounded once)."""
    b = as_int(x)
    sign = (b >> 48) & 0x8000
    a = b & 0x7fffffffffffffff
    big = 0x7e00 if a > 0x7ff0000000000000 else 0x7c00
    small = as_int(as_float(np.int64(a)) + 268435456.0) - 0x41B0000000000000  # + 2**28
    normal = (a - (1008 << 52) + 0x1ffffffffff + ((a >> 42) & 1)) >> 42
    o = big if a >= 0x40F0000000000000 else (small if a < 0x3F10000000000000 else normal)
    return np.uint16(o | sign)


@numba.njit(**_INLINE)
def round_half32(x):
    """A float32 rounded to float16, as a float32."""
    return half_value(half_bits32(x))


@numba.njit(**_INLINE)
def round_half64(x):
    """A float64 rounded to float16, as a float32."""
    return half_value(half_bits64(x))


# ------------------------------------------------------------ scalar ops
@numba.njit(**_INLINE)
def maximum(x, y):
    """numpy's maximum: a nan on either side gives nan."""
    return x if x >= y or x != x else y


@numba.njit(**_INLINE)
def minimum(x, y):
    return x if x <= y or x != x else y


@numba.njit(**_INLINE)
def sigmoid(x, one):
    """gpugrad's sigmoid: exp of -|x| only, so no overflow."""
    e = exp(-abs(x))
    return one / (one + e) if x >= 0 else e / (one + e)


# numba compiles np.tanh and np.log to C library calls, one element at a
# time (numpy's own loops are SIMD, 10-40 times faster). These are Cephes'
# tanhf/tanh and logf: plain arithmetic around _vmath's exp, so loops over
# them vectorise. Measured against float64 (longdouble) results over 4M
# points: float32 tanh 1.3 ulp, float64 tanh 1.3 ulp, float32 log 0.8 ulp
# (numpy's: 1.4, 1.2, 3.2). float64 log stays the C library's.
@numba.njit(**_INLINE)
def tanh32(x):
    a = abs(x)
    far = _F(1) - _F(2) / (exp(a + a) + _F(1))  # exp overflows to inf: 1
    z = x * x
    near = ((((_F(-5.70498872745e-3) * z + _F(2.06390887954e-2)) * z - _F(5.37397155531e-2)) * z
             + _F(1.33314422036e-1)) * z - _F(3.33332819422e-1)) * z * a + a
    return math.copysign(far if a >= _F(0.625) else near, x)


@numba.njit(**_INLINE)
def tanh64(x):
    a = abs(x)
    far = 1.0 - 2.0 / (exp(a + a) + 1.0)
    z = x * x
    near = a + a * z * (((-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z
                         - 1.61468768441708447952e3)
                        / (((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z
                           + 4.84406305325125486048e3))
    return math.copysign(far if a >= 0.625 else near, x)


@numba.njit(**_INLINE)
def log32(x):
    tiny = x < _F(1.1754943508222875e-38)  # subnormal: scaled by 2**23 first
    b = as_int(x * _F(8388608.0) if tiny else x)
    e = ((b >> 23) & 0xff) - 126 - (23 if tiny else 0)  # x = m 2**e, m in [0.5, 1)
    m = as_float(np.int32((b & 0x007fffff) | 0x3f000000))
    low = m < _F(0.707106781186547524)
    e = e - 1 if low else e
    f = (m + m - _F(1)) if low else (m - _F(1))
    fe = _F(e)
    z = f * f
    y = ((((((((_F(7.0376836292e-2) * f - _F(1.1514610310e-1)) * f + _F(1.1676998740e-1)) * f
              - _F(1.2420140846e-1)) * f + _F(1.4249322787e-1)) * f - _F(1.6668057665e-1)) * f
           + _F(2.0000714765e-1)) * f - _F(2.4999993993e-1)) * f + _F(3.3333331174e-1)) * f * z
    r = f + (y + _F(-2.12194440e-4) * fe - _F(0.5) * z) + _F(0.693359375) * fe
    r = r if x < _F(np.inf) else x
    r = r if x > _F(0) else (_F(-np.inf) if x == _F(0) else _F(np.nan))
    return r if x == x else x


# ------------------------------------------------------------ code generation
_WORK = {"float16": "float32"}  # the dtype a value is computed in


def _np(dtype):
    """The numba constructor of ``dtype``'s work type, as source."""
    return "np.bool_" if dtype == "bool" else "np." + _WORK.get(dtype, dtype)


def _literal(dtype, value):
    value = constant(dtype, value)
    if dtype == "bool":
        return repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        value = "np.nan" if value != value else ("np.inf" if value > 0 else "-np.inf")
    else:
        value = repr(value)
    return f"{_np(dtype)}({value})"


def _cast(x, src, dst):
    """Source converting the value ``x`` (of ``src``'s work type) to ``dst``."""
    T = _np(dst)
    if src == "float16":
        x, src = f"round_half32({x})", "float32"  # a float16 value leaving float16 is rounded
    if dst == "bool":
        return f"({x} != {_np(src)}(0))"
    if dst == "float16":
        if src == "bool":
            return f"np.float32({x})"
        return f"round_half32({x})" if src == "float32" else f"round_half64(np.float64({x}))"
    return f"{T}({x})"


def _expression(op, dtype, args, types):
    """Source computing instruction (op, dtype, args) from the values named
    ``args`` of dtypes ``types``, as a value of ``dtype``'s work type."""
    T = _np(dtype)
    if op == "const":
        return _literal(dtype, args[0])
    if op == "cast":
        return _cast(args[0], types[0], dtype)
    x = args[0]
    y = args[1] if len(args) > 1 else None
    z = args[2] if len(args) > 2 else None
    integer = dtype not in FLOATS and dtype != "bool"
    bits = "64" if dtype == "float64" else "32"  # float16 is computed in float32
    one, zero = f"{T}(1)", f"{T}(0)"
    table = {
        "add": f"{x} + {y}", "subtract": f"{x} - {y}", "multiply": f"{x} * {y}",
        "divide": f"{x} / {y}",
        "negative": f"{zero} - {x}" if integer else f"-{x}",
        "exp": f"exp({x})", "expm1": f"np.expm1({x})",
        "log": f"log32({x})" if bits == "32" else f"np.log({x})",
        "log1p": f"np.log1p({x})", "sqrt": f"np.sqrt({x})", "rsqrt": f"{one} / np.sqrt({x})",
        "reciprocal": f"{one} / {x}", "square": f"{x} * {x}",
        "abs": x if dtype.startswith("uint") else (f"{zero} - {x} if {x} < {zero} else {x}"
                                                   if integer else f"abs({x})"),
        "sign": (f"{one} if {x} > {zero} else ({zero} - {one} if {x} < {zero} else {zero})"
                 if integer else f"np.sign({x})"),
        "tanh": f"tanh{bits}({x})", "sigmoid": f"sigmoid({x}, {one})",
        "relu": f"maximum({x}, {zero})", "maximum": f"maximum({x}, {y})",
        "minimum": f"minimum({x}, {y})", "pow": f"np.power({x}, {y})",
        "squared_difference": f"({x} - {y}) * ({x} - {y})",
        "floor": f"np.floor({x})", "ceil": f"np.ceil({x})", "sin": f"np.sin({x})",
        "cos": f"np.cos({x})",
        "greater": f"{x} > {y}", "greater_equal": f"{x} >= {y}", "less": f"{x} < {y}",
        "less_equal": f"{x} <= {y}", "equal": f"{x} == {y}", "not_equal": f"{x} != {y}",
        "logical_and": f"{x} & {y}", "logical_or": f"{x} | {y}", "logical_not": f"not {x}",
        "where": f"{y} if {x} else {z}",
        "clip_by_value": f"minimum(maximum({x}, {y}), {z})",
        "relu_grad": f"{y} * ({one} if {x} > {zero} else {zero})",
        "tanh_grad": f"{y} * ({one} - {x} * {x})",
        "sigmoid_grad": f"{y} * {x} * ({one} - {x})",
    }
    return f"{T}({table[op]})"


def source(program, input_dtypes, kinds, over=None):
    """The Python source of the module for ``program`` with inputs of
    ``input_dtypes`` read per element ('v') or once per row ('u'). Output k
    is stored into input ``over[k]`` (-1: its own array): a loop that reads
    and writes through one array vectorises, where two arrays that overlap
    fail LLVM's run-time overlap check and take its scalar loop (14 times
    slower, measured)."""
    types = check(program, input_dtypes)
    n_inputs, instructions, outputs = program
    over = (-1,) * len(outputs) if over is None else over
    ins = [f"x{i}" for i in range(n_inputs)]
    outs = [f"o{k}" for k in range(len(outputs)) if over[k] < 0]
    strides = [f"rs{i}" for i in range(n_inputs)]
    row_args = [f"a{i}" if kind == "v" else f"s{i}" for i, kind in enumerate(kinds)]

    body = []
    for i, kind in enumerate(kinds):
        load = f"a{i}[j]" if kind == "v" else f"s{i}"
        if types[i] == "float16" and kind == "v":
            load = f"half_value({load})"
        body.append(f"v{i} = {load}")
    for k, (op, dtype, args) in enumerate(instructions):
        names = [f"v{a}" for a in args] if op != "const" else list(args)
        arg_types = [types[a] for a in args] if op != "const" else []
        body.append(f"v{n_inputs + k} = {_expression(op, dtype, names, arg_types)}")
    for k, o in enumerate(outputs):
        value = f"half_bits32(v{o})" if types[o] == "float16" else f"v{o}"
        body.append(f"{'o%d' % k if over[k] < 0 else 'a%d' % over[k]}[j] = {value}")

    calls = []
    for i, kind in enumerate(kinds):
        if kind == "v":
            calls.append(f"x{i}[r * rs{i} + c0:r * rs{i} + c1]")
        else:
            value = f"x{i}[r * rs{i}]"
            calls.append(f"half_value({value})" if types[i] == "float16" else value)
    calls += [f"{o}[r * cols + c0:r * cols + c1]" for o in outs] + ["c1 - c0"]

    lines = [
        f"# fused_elementwise, generated by kernels/fused_elementwise/cpu.py (format {FORMAT})",
        f"# program: {canonical(program)!r}",
        f"# inputs: {', '.join(f'{d} {k}' for d, k in zip(types, kinds))}",
        f"# outputs stored over inputs: {over}",
        "# (np, numba, FLAGS, CHUNK, twins and the helpers are cpu.py's)",
        "",
        "",
        "@numba.njit(**FLAGS)",
        f"def _row({', '.join(row_args + outs + ['n'])}):",
        "    for j in range(n):  # 1-D slices from index 0: LLVM vectorises",
        *(f"        {line}" for line in body),
        "",
        "",
        f"def _launch({', '.join(ins + outs)}, rows, cols, {', '.join(strides)}):",
        "    per_row = (cols + CHUNK - 1) // CHUNK  # chunks of a row",
        "    rows_per = max(1, CHUNK // cols)  # rows of a chunk",
        "    blocks = (rows + rows_per - 1) // rows_per",
        "    for t in numba.prange(blocks * per_row):",
        "        block = t // per_row",
        "        c0 = (t - block * per_row) * CHUNK",
        "        c1 = min(cols, c0 + CHUNK)",
        "        for r in range(block * rows_per, min(rows, (block + 1) * rows_per)):",
        f"            _row({', '.join(calls)})",
        "",
        "",
        "_launches = twins(_launch)",
        f"TYPES = {tuple(types)!r}  # the dtype of every value",
        "",
    ]
    return "\n".join(lines)


_NAMESPACE = dict(np=np, numba=numba, FLAGS=FLAGS, CHUNK=CHUNK, twins=twins, exp=exp,
                  half_value=half_value, half_bits32=half_bits32, round_half32=round_half32,
                  round_half64=round_half64, tanh32=tanh32, tanh64=tanh64, log32=log32,
                  maximum=maximum, minimum=minimum, sigmoid=sigmoid)


def cache_dir():
    """Where generated modules (and numba's compiled code, in __pycache__)
    live: $GPUGRAD_CACHE_DIR/fused_elementwise, else
    $XDG_CACHE_HOME/gpugrad/fused_elementwise (~/.cache by default)."""
    root = os.environ.get("GPUGRAD_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "gpugrad")
    return pathlib.Path(root) / "fused_elementwise"


def _write(folder, name, text):
    """``folder/name``, holding ``text``: rewritten only when it differs, so
    numba's cache (which checks the file's time stamp) stays valid."""
    path = folder / name
    try:
        if path.read_text() == text:
            return path
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_text(text)
    os.replace(temporary, path)  # atomic: another process never sees half a file
    return path


_fallback = None


def _import(name, text):
    global _fallback
    try:
        path = _write(cache_dir(), name + ".py", text)
    except OSError:  # a read-only cache: this process's own temporary folder
        if _fallback is None:
            _fallback = pathlib.Path(tempfile.mkdtemp(prefix="gpugrad-fused-"))
        path = _write(_fallback, name + ".py", text)
    spec = importlib.util.spec_from_file_location(f"gpugrad_fused_{name}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(_NAMESPACE)
    sys.modules[spec.name] = module  # numba finds it by name when it loads cached code
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module


_by_key = {}  # (program, dtypes, kinds) -> (program, module): found by identity first
_by_name = {}  # module name -> module
_lock = threading.Lock()


def generated_module(program, input_dtypes, kinds=None, over=None):
    """The compiled module for ``program`` with inputs of ``input_dtypes``
    read per element ('v', the default) or once per row ('u'), and outputs
    stored over inputs ``over`` (see ``source``): generated, written and
    imported on first use, then kept for the process."""
    dtypes = tuple(np.dtype(d) for d in input_dtypes)
    kinds = "v" * len(dtypes) if kinds is None else kinds
    over = (-1,) * len(program[2]) if over is None else tuple(over)
    return _module(program, dtypes, kinds, over)


def _module(program, dtypes, kinds, over):
    key = (program, dtypes, kinds, over)
    found = _by_key.get(key)
    if found is not None and found[0] is program:
        return found[1]
    # a new program object (or one equal to a known one but for -0.0 and
    # 0.0): checked, named by its canonical form
    names = tuple(d.name for d in dtypes)
    check(program, names)
    name = "fe_" + digest(FORMAT, canonical(program), names, kinds, over)
    with _lock:
        module = _by_name.get(name)
        if module is None:
            module = _by_name[name] = _import(name, source(program, names, kinds, over))
        _by_key[key] = (program, module)
    return module


# ------------------------------------------------------------ layout
def _collapse(shape, shapes):
    """(rows, cols, per input: (kind, what, materialise?)) for a 2-D view of
    the broadcast ``shape`` of inputs of ``shapes`` in which as many inputs
    as possible are read in place: full (rows x cols), a row (cols, repeated
    per row), a column (rows, one per row) or a scalar."""
    dims = [d for d, size in enumerate(shape) if size != 1]
    ndim = len(shape)
    masks = []
    for s in shapes:
        padded = (1,) * (ndim - len(s)) + tuple(s)
        masks.append([padded[d] != 1 for d in dims])
    groups, spans = [], []  # merged adjacent dims where every input agrees
    for k, d in enumerate(dims):
        column = tuple(m[k] for m in masks)
        if groups and spans[-1] == column:
            groups[-1] *= shape[d]
        else:
            groups.append(shape[d])
            spans.append(column)
    g = len(groups)
    runs = [tuple(spans[k][i] for k in range(g)) for i in range(len(shapes))]

    def plan(split):
        row = (False,) * split + (True,) * (g - split)
        col = (True,) * split + (False,) * (g - split)
        out = []
        for run in runs:
            if all(run):
                out.append(("v", "full", False))
            elif not any(run):
                out.append(("u", "scalar", False))
            elif run == row:
                out.append(("v", "row", False))
            elif run == col:
                out.append(("u", "column", False))
            else:
                out.append(("v", "full", True))
        return out

    best, best_split = plan(0), 0
    for split in range(1, g):
        candidate = plan(split)
        if sum(p[2] for p in candidate) < sum(p[2] for p in best):
            best, best_split = candidate, split
    rows = math.prod(groups[:best_split])
    cols = math.prod(groups[best_split:])
    return rows, cols, best


def _flat(a):
    """A 1-D read-only C-contiguous view (float16 as its uint16 bits)."""
    if not a.flags.c_contiguous or not a.dtype.isnative:
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    if a.dtype == np.float16:
        a = a.view(np.uint16)
    flat = a.reshape(-1)  # a new view object: the caller's flags stay
    flat.flags.writeable = False  # one compiled signature, whatever the caller's flags
    return flat


def _layout(arrays):
    """(shape, rows, cols, kinds, flat inputs, row strides)."""
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape:
            break
    else:  # one shape: one row
        return shape, 1, arrays[0].size, "v" * len(arrays), [_flat(a) for a in arrays], \
            (0,) * len(arrays)
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    rows, cols, plan = _collapse(shape, [a.shape for a in arrays])
    kinds, flats, strides = [], [], []
    for a, (kind, what, materialise) in zip(arrays, plan):
        if materialise:
            a = np.broadcast_to(a, shape)
        kinds.append(kind)
        flats.append(_flat(a))
        strides.append({"full": cols, "row": 0, "column": 1, "scalar": 0}[what])
    return shape, rows, cols, "".join(kinds), flats, tuple(strides)


def _exactly(out, a):
    """True when ``a`` is the array ``out`` (same memory, shape and layout)."""
    return (a.shape == out.shape and a.dtype.itemsize == out.dtype.itemsize
            and a.flags.c_contiguous and
            a.__array_interface__["data"][0] == out.__array_interface__["data"][0])


def _address(a):
    return a.__array_interface__["data"][0]


def fused_elementwise(program, inputs, out=None):
    arrays = [np.asarray(a) for a in inputs]
    outputs = program[2]
    if out is not None:
        if len(out) != len(outputs):
            raise ValueError(f"out has {len(out)} entries for {len(outputs)} outputs")
        for target in out:  # an input that overlaps an out, other than exactly, is copied
            if target is not None:
                for i, a in enumerate(arrays):
                    if np.may_share_memory(target, a) and not _exactly(target, a):
                        arrays[i] = a.copy()
    shape, rows, cols, kinds, flats, strides = _layout(arrays)
    dtypes = tuple([a.dtype for a in arrays])
    none = (-1,) * len(outputs)
    module = _module(program, dtypes, kinds, none)
    types, size = module.TYPES, rows * cols
    results, flat_outs, over = [], [], [-1] * len(outputs)
    for k, o in enumerate(outputs):
        dtype = types[o]
        target = out[k] if out is not None else None
        if target is None:
            target = np.empty(shape, dtype)
        elif (not isinstance(target, np.ndarray) or target.shape != shape or target.dtype != dtype
              or not target.flags.c_contiguous or not target.flags.writeable):
            raise ValueError(f"out[{k}] must be a writeable C-contiguous {dtype}{list(shape)} "
                             f"array, got {getattr(target, 'dtype', type(target).__name__)}"
                             f"{list(getattr(target, 'shape', ()))}")
        else:  # written over a full-size input of its dtype: the loop stores through it
            for i, flat in enumerate(flats):
                if (kinds[i] == "v" and types[i] == dtype and flat.size == size and i not in over
                        and size and _address(flat) == _address(target)):
                    over[k] = i
                    break
        results.append(target)
        flat_outs.append((target.view(np.uint16) if dtype == "float16" else target).reshape(-1))
    if size:
        if any(i >= 0 for i in over):
            module = _module(program, dtypes, kinds, tuple(over))
            for k, i in enumerate(over):
                if i >= 0:
                    flats[i] = flat_outs[k]  # the same memory, writeable
            flat_outs = [f for f, i in zip(flat_outs, over) if i < 0]
        pick(module._launches, size)(*flats, *flat_outs, rows, cols, *strides)
    return tuple(results)


# ------------------------------------------------------------ prepared calls
def _call_source(size, dtypes, reads, types, over, launch_args):
    """The source of a prepared ``call``: per input, ``reads[i]`` is 'flat'
    (its own buffer, read in place), 'over' (an output stored into it) or
    'copy' (broadcast to the full shape first)."""
    n = len(dtypes)
    names = ", ".join(f"a{i}" for i in range(n)) + ("," if n == 1 else "")
    checks, lines = [], []
    for i, read in enumerate(reads):
        checks += [f"a{i}.shape != S{i}", f"a{i}.dtype is not D{i}"]
        half = dtypes[i].name == "float16"
        if read == "copy":  # any layout: copied into a fresh C-contiguous buffer
            lines += [f"b{i} = empty(SHAPE, D{i})", f"copyto(b{i}, a{i})",
                      f"f{i} = b{i}{'.view(U16)' if half else ''}.ravel()"]
            continue
        checks.append(f"not a{i}.flags.{'carray' if read == 'over' else 'c_contiguous'}")
        lines.append(f"f{i} = a{i}{'.view(U16)' if half else ''}.ravel()")  # a view: contiguous
    results, flat_outs = [], []
    for k, (dtype, i) in enumerate(zip(types, over)):
        if i >= 0:
            results.append(f"a{i}")
            continue
        results.append(f"r{k}")
        lines.append(f"r{k} = empty(SHAPE, T{k})")
        flat_outs.append(f"r{k}{'.view(U16)' if dtype == 'float16' else ''}.ravel()")
    if size:
        args = [f"f{i}" for i in range(n)] + flat_outs + [str(a) for a in launch_args]
        lines.append(f"launch({', '.join(args)})")
    body = "\n".join(f"    {line}" for line in lines)
    return (f"def call(inputs):\n"
            f"    try:  # not the prepared count, shapes, dtypes or layouts: the general path\n"
            f"        {names} = inputs\n"
            f"        other = {' or '.join(checks)}\n"
            f"    except (AttributeError, TypeError, ValueError):\n"
            f"        other = True\n"
            f"    if other:\n"
            f"        return slow(inputs)\n"
            f"{body}\n"
            f"    return ({', '.join(results)},)\n")


def prepare(program, shapes, dtypes, over=None):
    """``call(inputs)``, running ``program`` on inputs of exactly ``shapes``
    and ``dtypes`` (spec.md, "Prepared calls"). The layout, the compiled
    module and launch (compiled here, with writeable arrays), the output
    dtypes and shape are worked out once; ``call`` checks each input's
    shape, dtype (by identity) and contiguity, takes its flat view (a float16
    one as uint16), allocates the outputs not stored over an input, and
    launches. Anything else (another layout, byte order, not an array) takes
    the general ``fused_elementwise``; another shape or dtype is a
    ValueError. ``call.source`` is the generated function."""
    shapes, dtypes, shape, types, over = prepared(program, shapes, dtypes, over)
    size = math.prod(shape)
    if all(s == shape for s in shapes):  # one shape: one row
        rows, cols, plan = 1, size, [("v", "full", False)] * len(shapes)
    else:
        rows, cols, plan = _collapse(shape, shapes)
    kinds = "".join(kind for kind, _, _ in plan)
    strides = tuple({"full": cols, "row": 0, "column": 1, "scalar": 0}[what]
                    for _, what, _ in plan)
    reads = ["over" if i in over else ("copy" if materialise else "flat")
             for i, (_, _, materialise) in enumerate(plan)]
    module = _module(program, dtypes, kinds, over)
    launch = pick(module._launches, size)
    if size:  # compile now (or load numba's cached code), not on the first call
        empty = [np.empty(0, np.uint16 if d.name == "float16" else d) for d in dtypes]
        empty += [np.empty(0, np.uint16 if t == "float16" else t)
                  for t, i in zip(types, over) if i < 0]
        launch(*empty, 0, 1, *strides)

    def slow(inputs):
        """Inputs not as prepared: the general path (or a clear error)."""
        arrays = [np.asarray(a) for a in inputs]
        if len(arrays) != len(shapes):
            raise ValueError(f"prepared for {len(shapes)} inputs, got {len(arrays)}")
        for i, (a, s, d) in enumerate(zip(arrays, shapes, dtypes)):
            if a.shape != s or a.dtype.name != d.name:
                raise ValueError(f"input {i}: prepared for {d.name}{list(s)}, got "
                                 f"{a.dtype.name}{list(a.shape)}")
        out = tuple(arrays[i] if i >= 0 and arrays[i].flags.carray and arrays[i].dtype == t
                    else None for t, i in zip(types, over))
        return fused_elementwise(program, arrays, out=out)

    namespace = dict(slow=slow, launch=launch, empty=np.empty, copyto=np.copyto,
                     U16=np.dtype(np.uint16), SHAPE=shape)
    namespace.update({f"S{i}": s for i, s in enumerate(shapes)})
    namespace.update({f"D{i}": d for i, d in enumerate(dtypes)})
    namespace.update({f"T{k}": np.dtype(t) for k, t in enumerate(types)})
    text = _call_source(size, dtypes, reads, types, over, (rows, cols) + strides)
    exec(compile(text, f"<fused_elementwise.prepare {module.__name__}>", "exec"), namespace)
    call = namespace["call"]
    call.source = text
    return call
