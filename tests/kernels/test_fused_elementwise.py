"""kernels/fused_elementwise: the numba and CUDA twins against the numpy
reference interpreter: every op on every dtype that takes it (edge values
included), chains, broadcasting, several outputs, outputs written over an
input, prepared calls, the on-disk cache across processes, and nvcc on the
generated CUDA."""
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gpugrad.backend import kernels
from twins import gpu_kernel, twin

NAME = "fused_elementwise"
FLOATS = ["float16", "float32", "float64"]
INTEGERS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
SMALL, LARGE = 1000, 200_000  # serial and parallel launches (kernels/_threads.py)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 0.5, -0.5, 1.0, -1.0, 3.0, 100.0,
         -100.0]
TOLERANCE = {"float16": dict(rtol=1e-2, atol=1e-2), "float32": dict(rtol=1e-6, atol=1e-37),
             "float64": dict(rtol=1e-13, atol=1e-300)}
# float16 is computed in float32 and rounded once, where numpy rounds after
# every step of a formula (1 - y * y loses up to 2**-11 to cancellation): the
# float16 results are also checked, to one float16 ulp, against the program
# run in float32 and rounded once
HALF_ULP = dict(rtol=1e-3, atol=6e-8)
# chains cancel (s * y - x): errors of a few ulp of the inputs, not of the result
CHAIN = {"float16": TOLERANCE["float16"], "float32": dict(rtol=1e-6, atol=2e-6),
         "float64": dict(rtol=1e-13, atol=1e-14)}


def program_module():
    return kernels.load_module(NAME, "program")


def reference(*args, **kwargs):
    return twin(NAME, "reference")(*args, **kwargs)


def cpu(*args, **kwargs):
    return twin(NAME, "cpu")(*args, **kwargs)


class Builder:
    """Builds a program: ``b.op("add", "float32", x, y)`` returns the value."""

    def __init__(self, n_inputs):
        self.n_inputs, self.instructions = n_inputs, []

    def op(self, op, dtype, *args):
        self.instructions.append((op, dtype, tuple(args)))
        return self.n_inputs + len(self.instructions) - 1

    def program(self, outputs):
        return self.n_inputs, tuple(self.instructions), tuple(outputs)


def every_op(dtype):
    """A program of inputs (x, y of ``dtype``, c bool) with one output per op
    that takes ``dtype``, each applied to the inputs (or to values that stay
    in range, for casts to integers)."""
    b, (x, y, c) = Builder(3), (0, 1, 2)
    outs = []
    if dtype == "bool":
        outs += [b.op(op, "bool", x, y) for op in ("logical_and", "logical_or")]
        outs += [b.op("logical_not", "bool", x),
                 b.op("logical_and", "bool", c, b.op("const", "bool", True))]
    else:
        outs += [b.op(op, dtype, x) for op in ("negative", "square", "abs", "sign", "relu")]
        outs += [b.op(op, dtype, x, y) for op in ("add", "subtract", "multiply", "maximum",
                                                  "minimum", "squared_difference")]
        lo = b.op("const", dtype, 3 if dtype.startswith("uint") else -3)
        hi = b.op("const", dtype, 100)
        outs += [b.op("clip_by_value", dtype, x, lo, hi), b.op("clip_by_value", dtype, x, y, hi)]
    if dtype in FLOATS:
        outs += [b.op(op, dtype, x) for op in ("exp", "expm1", "log", "log1p", "sqrt", "rsqrt",
                                               "reciprocal", "tanh", "sigmoid", "floor", "ceil",
                                               "sin", "cos")]
        outs += [b.op(op, dtype, x, y) for op in ("divide", "pow", "relu_grad", "tanh_grad",
                                                  "sigmoid_grad")]
        outs += [b.op("multiply", dtype, x, b.op("const", dtype, v))
                 for v in (np.inf, -np.inf, np.nan, -0.0, 0.1)]
    outs += [b.op(op, "bool", x, y) for op in ("greater", "greater_equal", "less", "less_equal",
                                               "equal", "not_equal")]
    gt = b.op("greater", "bool", x, y)
    outs += [b.op("logical_or", "bool", b.op("logical_and", "bool", c, gt),
                  b.op("logical_not", "bool", gt)),
             b.op("where", dtype, c, x, y)]
    outs += [b.op("cast", to, x) for to in FLOATS + ["bool"]]
    if dtype in FLOATS:  # float to integer is undefined for nan, inf and out-of-range values
        finite = b.op("where", dtype, b.op("equal", "bool", x, x), x, b.op("const", dtype, 0))
        x = b.op("clip_by_value", dtype, finite, b.op("const", dtype, -100),
                 b.op("const", dtype, 100))
    magnitude = b.op("abs", dtype, x) if dtype != "bool" else x
    outs += [b.op("cast", to, magnitude if to.startswith("uint") else x) for to in INTEGERS]
    return b.program(outs)


def data(dtype, size, seed=0):
    """(x, y, c): x meets y at every pair of edge values (floats) or of
    extremes (integers), then random values; c random bools."""
    rng = np.random.default_rng(seed)
    c = rng.random(size) < 0.5
    if dtype in FLOATS:
        x, y = rng.normal(0, 3, size), rng.normal(0, 3, size)
        edges = np.array(EDGES)
    elif dtype == "bool":
        return rng.random(size) < 0.5, rng.random(size) < 0.5, c
    else:
        info = np.iinfo(dtype)
        x = np.where(c, rng.integers(info.min, info.max, size, endpoint=True, dtype=dtype),
                     rng.integers(max(info.min, -10), 10, size, dtype=dtype))
        y = rng.integers(info.min, info.max, size, endpoint=True, dtype=dtype)
        edges = np.array([info.min, info.max, 0, 1, info.max // 2] + ([-1] if info.min else []),
                         dtype=dtype)
    n = len(edges)
    x[:n * n], y[:n * n] = np.repeat(edges, n), np.tile(edges, n)
    return x.astype(dtype), y.astype(dtype), c


def assert_matches(got, want, tolerance=TOLERANCE):
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, (k, g.dtype, w.dtype, g.shape, w.shape)
        if w.dtype.name in TOLERANCE:
            np.testing.assert_allclose(g, w, equal_nan=True, err_msg=f"output {k}",
                                       **tolerance[w.dtype.name])
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"output {k}")


def widened(program):
    """``program`` with float32 wherever it has float16."""
    n, instructions, outputs = program
    wide = tuple((op, "float32" if d == "float16" else d, args) for op, d, args in instructions)
    return n, wide, outputs


def check(got, program, inputs, tolerance=TOLERANCE):
    """``got`` against the reference (and, for float16, against the program
    computed in float32 and rounded once)."""
    assert_matches(got, reference(program, inputs), tolerance)
    if any(a.dtype == np.float16 for a in inputs) or "float16" in str(program):
        wide = reference(widened(program), [a.astype(np.float32) if a.dtype == np.float16 else a
                                            for a in inputs])
        for k, (g, w) in enumerate(zip(got, wide)):
            if g.dtype == np.float16:
                with np.errstate(over="ignore"):
                    w = w.astype(np.float16)
                np.testing.assert_allclose(g, w, equal_nan=True, err_msg=f"output {k}", **HALF_ULP)


def ops_of(program):
    return {op for op, _, _ in program[1]}


# ------------------------------------------------------------ the format
def test_every_supported_op_is_exercised():
    used = set().union(*(ops_of(every_op(d)) for d in FLOATS + INTEGERS + ["bool"]))
    supported = program_module().SUPPORTED_OPS
    assert used == supported
    for which in ("reference", "cpu", "cuda"):
        path = kernels.path(NAME, f"{which}.py")
        assert "SUPPORTED_OPS" in path.read_text()


@pytest.mark.parametrize("program, dtypes, message", [
    ((1, (("exp", "float32", (0,)),), (1,)), ["int32"], "does not take int32"),
    ((1, (("add", "float64", (0, 0)),), (1,)), ["float32"], "declared float64"),
    ((1, (("erf", "float32", (0,)),), (1,)), ["float32"], "unsupported op"),
    ((1, (("negative", "float32", (1,)),), (1,)), ["float32"], "not an earlier value"),
    ((1, (("negative", "float32", (0,)),), (0,)), ["float32"], "not an instruction's value"),
    ((1, (("const", "int8", (300,)),), (1,)), ["float32"], "out of the range"),
    ((1, (("where", "float32", (0, 0, 0)),), (1,)), ["float32"], "(bool, T, T)"),
    ((2, (("add", "float32", (0, 1)),), (2,)), ["float32"], "takes 2 inputs"),
    ((1, (("negative", "float32", (0,)),), (1,)), ["complex64"], "unsupported dtype"),
])
def test_malformed_programs_are_refused(program, dtypes, message):
    inputs = [np.zeros(3, d) for d in dtypes]
    for kernel in (reference, cpu):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            kernel(program, inputs)


# ------------------------------------------------------------ every op
# the parallel launch of every op once (float32): numba compiles each
# launch of a program separately, and the chains cover the rest
@pytest.mark.parametrize("dtype, size", [(d, SMALL) for d in FLOATS] + [("float32", LARGE)])
def test_numba_twin_every_float_op(dtype, size):
    program, inputs = every_op(dtype), data(dtype, size)
    inputs = [a.reshape(-1, 8) for a in inputs]
    check(cpu(program, inputs), program, inputs)


@pytest.mark.parametrize("dtype", INTEGERS + ["bool"])
def test_numba_twin_every_integer_and_bool_op(dtype):
    program, inputs = every_op(dtype), data(dtype, SMALL)
    assert_matches(cpu(program, inputs), reference(program, inputs))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numba_twin_vectorised_functions_over_their_range(dtype):
    """exp, sigmoid, tanh and log are the twin's own (spec.md): a sweep of
    magnitudes from subnormal to overflowing, both signs."""
    rng = np.random.default_rng(5)
    magnitudes = np.concatenate([np.linspace(0, 30, 20_001), 10.0 ** rng.uniform(-45, 38, 20_000)])
    x = np.concatenate([magnitudes, -magnitudes]).astype(dtype)
    program = (1, tuple((op, dtype, (0,)) for op in ("exp", "sigmoid", "tanh", "log")),
               (1, 2, 3, 4))
    assert_matches(cpu(program, (x,)), reference(program, (x,)))


# ------------------------------------------------------------ chains
def chain(dtype):
    """Ten ops in a row: the shape of an activation and its gradient."""
    b = Builder(2)
    x, y = 0, 1
    p = b.op("multiply", dtype, x, y)
    q = b.op("add", dtype, p, b.op("const", dtype, 0.5))
    m = b.op("maximum", dtype, b.op("tanh", dtype, q),
             b.op("exp", dtype, b.op("negative", dtype, q)))
    w = b.op("where", dtype, b.op("greater", "bool", x, y), m, p)
    s = b.op("sigmoid", dtype, w)
    out = b.op("subtract", dtype, b.op("multiply", dtype, s, y), x)
    return b.program([out, b.op("sigmoid_grad", dtype, s, y)])


@pytest.mark.parametrize("size", [SMALL, LARGE])
@pytest.mark.parametrize("dtype", FLOATS)
def test_numba_twin_chain_with_two_outputs(dtype, size):
    x, y, _ = data(dtype, size, seed=1)
    program = chain(dtype)
    got = cpu(program, (x, y))
    check(got, program, (x, y), CHAIN)
    assert len(got) == 2


def test_float16_rounds_where_a_value_leaves_float16():
    b = Builder(1)  # float32 -> float16 -> float32: rounded to float16, then widened
    half = b.op("cast", "float16", 0)
    wide = b.op("cast", "float32",
                b.op("multiply", "float16", half, b.op("const", "float16", 1000)))
    program = b.program([wide, b.op("cast", "float32", half)])
    x = np.array([0.1, 1 / 3, 70.0, 65519.0, 65520.0, -1e-8, 3e-5], np.float32)
    got, want = cpu(program, (x,)), reference(program, (x,))
    np.testing.assert_array_equal(got[1], want[1])  # one rounding: exact
    np.testing.assert_array_equal(np.isinf(got[0]), np.isinf(want[0]))  # 70 * 1000 overflows
    np.testing.assert_allclose(got[0], want[0], rtol=1e-3)


def test_programs_equal_but_for_the_sign_of_zero_stay_apart():
    def divide_by(zero):
        return (1, (("const", "float32", (zero,)), ("divide", "float32", (0, 1))), (2,))
    x = np.ones(4, np.float32)
    assert (cpu(divide_by(0.0), (x,))[0] == np.inf).all()
    assert (cpu(divide_by(-0.0), (x,))[0] == -np.inf).all()


# ------------------------------------------------------------ broadcasting
def mixed(dtype):
    """(x, y) -> (where(x > y, x * y, tanh(x - y)), x + y): two outputs."""
    b = Builder(2)
    t = b.op("tanh", dtype, b.op("subtract", dtype, 0, 1))
    w = b.op("where", dtype, b.op("greater", "bool", 0, 1), b.op("multiply", dtype, 0, 1), t)
    return b.program([w, b.op("add", dtype, 0, 1)])


BROADCASTS = {  # shapes of x and y -> what the numba twin reads in place
    "scalar": ((6, 5), ()),
    "size-1": ((6, 5), (1, 1)),
    "bias": ((300, 700), (700,)),  # a row: parallel launch
    "column": ((64, 33), (64, 1)),
    "row-and-column": ((5, 1), (1, 7)),
    "scalar-first": ((), (4, 3)),
    "general": ((4, 16, 33), (16, 1)),  # copied: neither a row nor a column
    "general-middle": ((4, 1, 33), (4, 16, 33)),
    "collapsed": ((2, 3, 4, 5), (4, 5)),  # a row of 20 over 6 rows
    "empty": ((0, 5), (5,)),
    "zero-d": ((), ()),
}


@pytest.mark.parametrize("case", BROADCASTS)
def test_numba_twin_broadcasts(case):
    shapes = BROADCASTS[case]
    rng = np.random.default_rng(2)
    x, y = (rng.normal(size=s).astype(np.float32) for s in shapes)
    program = mixed("float32")
    got = cpu(program, (x, y))
    assert got[0].shape == np.broadcast_shapes(*shapes)
    assert_matches(got, reference(program, (x, y)))


def test_numba_twin_broadcasts_float16_and_bool_uniform_inputs():
    b = Builder(3)
    v = b.op("where", "float16", 2, b.op("multiply", "float16", 0, 1), 1)
    program = b.program([v])
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 33)).astype(np.float16)
    for y_shape, c_shape in [((64, 1), (33,)), ((), (64, 1)), ((33,), ())]:
        y = rng.normal(size=y_shape).astype(np.float16)
        c = rng.random(c_shape) < 0.5
        check(cpu(program, (x, y, c)), program, (x, y, c))


def test_layout_reads_rows_columns_and_scalars_in_place():
    """Only the general pattern is copied (spec.md)."""
    layout = kernels.load_module(NAME, "cpu")._layout
    f = np.float32
    _, rows, cols, kinds, flats, strides = layout([np.ones((300, 700), f), np.ones(700, f)])
    assert (rows, cols, kinds, strides) == (300, 700, "vv", (700, 0))
    _, rows, cols, kinds, flats, strides = layout([np.ones((64, 33), f), np.ones((64, 1), f)])
    assert (rows, cols, kinds, strides) == (64, 33, "vu", (33, 1))
    _, rows, cols, kinds, flats, strides = layout([np.ones((5, 1), f), np.ones((1, 7), f)])
    assert (rows, cols, kinds, strides) == (5, 7, "uv", (1, 0))
    _, rows, cols, kinds, flats, strides = layout([np.ones((4, 16, 33), f), np.ones((16, 1), f)])
    assert (rows, cols, kinds) == (1, 4 * 16 * 33, "vv") and flats[1].size == 4 * 16 * 33
    bias = np.ones(700, f)
    flats = layout([np.ones((300, 700), f), bias])[4]
    assert np.shares_memory(flats[1], bias)


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    x, y, _ = data("float32", SMALL)
    x, y = x.reshape(-1, 8).T, np.broadcast_to(y[:8], (125, 8)).T  # not contiguous; read-only
    before = x.copy(), y.copy()
    program = mixed("float32")
    assert_matches(cpu(program, (x, y)), reference(program, (x, y)))
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(y, before[1])


# ------------------------------------------------------------ out=
@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_numba_twin_writes_over_a_dying_input(size):
    x, y, _ = data("float32", size, seed=4)
    program = mixed("float32")
    want = reference(program, (x, y))
    first = x.copy()
    got = cpu(program, (first, y), out=(first, None))  # the very array
    assert got[0] is first
    assert_matches(got, want)
    second = y.copy()
    got = cpu(program, (x, second), out=(None, second.reshape(second.shape)))  # another view of it
    assert got[1].base is second or got[1] is second
    assert_matches(got, want)
    np.testing.assert_array_equal(second, want[1])


def test_numba_twin_copies_an_input_an_out_overlaps_partly():
    x = np.arange(10, dtype=np.float32)
    program = (1, (("add", "float32", (0, 0)),), (1,))
    want = reference(program, (x[1:].copy(),))[0]
    cpu(program, (x[1:],), out=(x[:-1],))  # shifted by one element
    np.testing.assert_array_equal(x[:-1], want)


def test_out_must_match_the_output():
    x = np.ones((3, 4), np.float32)
    program = (1, (("exp", "float32", (0,)),), (1,))
    for bad in (np.empty((3, 4), np.float64), np.empty((4, 3), np.float32),
                np.empty((4, 3), np.float32).T):
        for kernel in (cpu, reference):
            with pytest.raises(ValueError, match="out"):
                kernel(program, (x,), out=(bad,))


def test_reference_writes_over_an_input_too():
    x, y, _ = data("float64", SMALL)
    program = mixed("float64")
    want = reference(program, (x, y))
    got = reference(program, (x.copy(), y), out=(None, None))
    assert_matches(got, want)
    first = x.copy()
    assert_matches(reference(program, (first, y), out=(first, None)), want)


# ------------------------------------------------------------ prepared calls
def relu_bias(dtype):
    """relu(x + bias): the call a graph optimiser repeats."""
    b = Builder(2)
    return b.program([b.op("relu", dtype, b.op("add", dtype, 0, 1))])


def prepare(which):
    return kernels.load_module(NAME, which).prepare


PREPARED = {  # program, dtype, shapes, over (None: outputs of their own)
    "same": (mixed, "float32", ((SMALL,), (SMALL,)), (0, None)),
    "bias": (relu_bias, "float32", ((64, 128), (128,)), None),
    "bias-over": (relu_bias, "float32", ((64, 128), (128,)), (0,)),
    "bias-parallel": (relu_bias, "float32", ((300, 700), (700,)), None),
    "parallel-over": (relu_bias, "float64", ((LARGE,), (LARGE,)), (1,)),
    "column": (mixed, "float32", ((64, 33), (64, 1)), None),
    "scalar": (mixed, "float32", ((6, 5), ()), None),
    "scalar-first": (mixed, "float32", ((), (4, 3)), (None, 1)),
    "general": (mixed, "float32", ((4, 16, 33), (16, 1)), (0, None)),  # y is copied
    "float16-bias": (mixed, "float16", ((64, 33), (33,)), (None, 0)),
    "float16-general": (relu_bias, "float16", ((4, 16, 33), (16, 1)), (0,)),
    "float16-both-over": (mixed, "float16", ((SMALL,), (SMALL,)), (1, 0)),
    "empty": (mixed, "float32", ((0, 5), (5,)), (0, None)),
    "zero-d": (mixed, "float32", ((), ()), None),
}


def prepared_inputs(dtype, shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 3, size=s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("case", PREPARED)
def test_numba_twin_prepared_calls_match_the_general_path(case):
    build, dtype, shapes, over = PREPARED[case]
    program = build(dtype)
    call = prepare("cpu")(program, shapes, [dtype] * len(shapes), over)
    assert ("copyto" in call.source) == case.endswith("general")  # the rest is read in place
    earlier = []
    for seed in range(3):  # a fresh result per call, from fresh inputs
        inputs = prepared_inputs(dtype, shapes, seed)
        want = cpu(program, inputs)
        kept = [a.copy() for a in inputs]
        got = call(inputs)
        assert_matches(got, want, dict.fromkeys(TOLERANCE, dict(rtol=0, atol=0)))  # the same loop
        check(got, program, kept)
        for k, i in enumerate(over or [None] * len(got)):
            if i is None:
                assert not any(np.shares_memory(got[k], a) for a in inputs + earlier)
            else:  # stored into the input's own buffer, which is returned
                assert got[k] is inputs[i]
        for i, (a, b) in enumerate(zip(inputs, kept)):  # the others are left alone
            if i not in (over or ()):
                np.testing.assert_array_equal(a, b)
        earlier += list(got)


def test_prepared_call_takes_the_fast_path_for_inputs_as_prepared():
    program = mixed("float16")
    call = prepare("cpu")(program, ((64, 33), (33,)), ("float16", "float16"), (0, None))

    def general(inputs):
        raise AssertionError("the general path")
    call.__globals__["slow"] = general
    x, y = prepared_inputs("float16", ((64, 33), (33,)), 0)
    want = cpu(program, (x, y))
    assert_matches(call((x.copy(), y)), want)
    assert_matches(call([np.asarray(x.tolist(), np.float16), y]), want)  # a list works too
    with pytest.raises(AssertionError, match="general path"):
        call((np.asfortranarray(x), y))


def test_prepared_call_takes_the_general_path_for_other_layouts():
    program = mixed("float32")
    shapes = ((64, 33), (33,))
    call = prepare("cpu")(program, shapes, ("float32", "float32"), (0, None))
    x, y = prepared_inputs("float32", shapes, 1)
    want = cpu(program, (x, y))
    for other in (np.asfortranarray(x), x.astype(">f4"), x.copy()[::-1][::-1]):
        got = call((other, y))  # written into its own arrays: x is not C-contiguous
        assert_matches(got, want)
        assert got[0] is not other or other.flags.c_contiguous
    first = x.copy()
    wide = np.empty((64, 66), np.float32)[:, ::2]
    wide[...] = y  # a strided y of the right shape
    got = call((first, wide[0]))
    assert got[0] is first
    assert_matches(got, want)
    scalar = prepare("cpu")(program, ((), ()), ("float32", "float32"))
    assert_matches(scalar((np.float32(2), np.float32(3))),
                   reference(program, (np.float32(2), np.float32(3))))


def test_prepared_call_refuses_other_shapes_and_dtypes():
    program = relu_bias("float32")
    for which in ("cpu", "reference"):
        call = prepare(which)(program, ((4, 8), (8,)), ("float32", "float32"))
        x, b = np.ones((4, 8), np.float32), np.ones(8, np.float32)
        assert_matches(call((x, b)), reference(program, (x, b)))
        if which == "cpu":
            for bad in ((x, b.astype(np.float64)), (x, np.ones(1, np.float32)), (x,)):
                with pytest.raises(ValueError, match="prepared for"):
                    call(bad)


@pytest.mark.parametrize("shapes, dtypes, over, message", [
    (((3,), (3,)), ("float32",), None, "2 shapes for 1 dtypes"),
    (((3,), (4,)), ("float32", "float32"), None, "broadcast"),
    (((3,), (3,)), ("float32", "int32"), None, "arguments must share one dtype"),
    (((3,), (3,)), ("float32", "float32"), (0, 1), "over has 2 entries"),
    (((3,), (3,)), ("float32", "float32"), (2,), "input's index"),
    (((3,), (3,)), ("float32", "float32"), (True,), "input's index"),
    (((2, 3), (3,)), ("float32", "float32"), (1,), r"input 1 is float32\[3\]"),
])
def test_prepare_refuses_what_it_cannot_run(shapes, dtypes, over, message):
    program = relu_bias("float32")
    for which in ("cpu", "reference"):
        with pytest.raises(ValueError, match=message):
            prepare(which)(program, shapes, dtypes, over)


def test_prepare_refuses_outputs_over_unfit_inputs():
    two = mixed("float32")
    with pytest.raises(ValueError, match="already takes another output"):
        prepare("cpu")(two, ((3,), (3,)), ("float32", "float32"), (0, 0))
    cast = (1, (("cast", "float64", (0,)),), (1,))
    with pytest.raises(ValueError, match="output 0 is float64"):
        prepare("cpu")(cast, ((3,),), ("float32",), (0,))


@pytest.mark.parametrize("over", [None, (None, 0)])
def test_reference_prepared_calls(over):
    program = mixed("float64")
    shapes = ((64, 33), (33,))
    call = prepare("reference")(program, shapes, ("float64", "float64"), over)
    for seed in range(2):
        inputs = prepared_inputs("float64", shapes, seed)
        want = reference(program, inputs)
        got = call(inputs)
        assert_matches(got, want)
        assert (got[1] is inputs[0]) == (over is not None)


# ------------------------------------------------------------ the caches
SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    from gpugrad.backend import kernels
    cpu = kernels.load_module("fused_elementwise", "cpu")
    program = (1, (("const", "float32", (2.5,)), ("multiply", "float32", (0, 1))), (2,))
    x = np.arange(4, dtype=np.float32)
    assert (cpu.fused_elementwise(program, (x,))[0] == 2.5 * x).all()
    module = cpu.generated_module(program, [x.dtype])
    launch = module._launches[1]
    print(module.__file__, len(launch.stats.cache_hits), len(launch.stats.cache_misses))
""")


def test_a_second_process_loads_the_cached_module_and_machine_code(tmp_path):
    env = dict(os.environ, GPUGRAD_CACHE_DIR=str(tmp_path))

    def run():
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        path, hits, misses = done.stdout.split()
        return path, int(hits), int(misses)

    def files():
        return {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}

    path, hits, misses = run()
    assert path.startswith(str(tmp_path / "fused_elementwise"))
    assert (hits, misses) == (0, 1)  # compiled here
    first = files()
    path_again, hits, misses = run()
    assert path_again == path
    assert (hits, misses) == (1, 0)  # loaded from numba's cache: nothing compiled
    assert files() == first  # nothing rewritten either


def test_one_module_per_program_in_a_process():
    module = kernels.load_module(NAME, "cpu")
    program = (1, (("square", "float64", (0,)),), (1,))
    first = module.generated_module(program, ["float64"])
    same = (1, (("square", "float64", (0,)),), (1,))  # equal, another object
    assert module.generated_module(same, ["float64"]) is first
    assert module.generated_module(program, ["float64"], "u") is not first


# ------------------------------------------------------------ GPU twin
@pytest.mark.gpu
@pytest.mark.parametrize("dtype", FLOATS + INTEGERS + ["bool"])
def test_cuda_twin_every_op(dtype):
    cupy, kernel = gpu_kernel(NAME)
    program, inputs = every_op(dtype), data(dtype, LARGE)
    got = kernel(program, [cupy.asarray(a) for a in inputs])
    check([cupy.asnumpy(g) for g in got], program, inputs)  # CUDA's expf, tanhf: a few ulp


@pytest.mark.gpu
@pytest.mark.parametrize("case", BROADCASTS)
def test_cuda_twin_broadcasts(case):
    cupy, kernel = gpu_kernel(NAME)
    rng = np.random.default_rng(2)
    x, y = (rng.normal(size=s).astype(np.float32) for s in BROADCASTS[case])
    program = mixed("float32")
    got = kernel(program, (cupy.asarray(x), cupy.asarray(y)))
    assert_matches([cupy.asnumpy(g) for g in got], reference(program, (x, y)))


@pytest.mark.gpu
def test_cuda_twin_writes_over_a_dying_input():
    cupy, kernel = gpu_kernel(NAME)
    x, y, _ = data("float16", LARGE)
    program = chain("float16")
    gx, gy = cupy.asarray(x), cupy.asarray(y)
    got = kernel(program, (gx, gy), out=(gx, None))
    assert got[0] is gx
    check([cupy.asnumpy(g) for g in got], program, (x, y), CHAIN)


@pytest.mark.gpu
@pytest.mark.parametrize("case", ["bias", "bias-over", "general", "float16-both-over", "empty"])
def test_cuda_twin_prepared_calls(case):
    cupy, _ = gpu_kernel(NAME)
    build, dtype, shapes, over = PREPARED[case]
    program = build(dtype)
    call = prepare("cuda")(program, shapes, [dtype] * len(shapes), over)
    for seed in range(2):
        inputs = prepared_inputs(dtype, shapes, seed)
        on_gpu = [cupy.asarray(a) for a in inputs]
        got = call(on_gpu)
        for k, i in enumerate(over or [None] * len(got)):
            assert (got[k] is on_gpu[i]) if i is not None else got[k].shape == got[0].shape
        check([cupy.asnumpy(g) for g in got], program, inputs)


# ------------------------------------------------------------ nvcc
def test_generated_cuda_compiles_for_every_op_and_dtype(tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not on PATH (CI has it): the generated CUDA is not compiled here")
    cuda = kernels.load_module(NAME, "cuda")
    sources = []
    for dtype in FLOATS + INTEGERS + ["bool"]:
        inputs = (dtype, dtype, "bool")
        sources.append(cuda.source(every_op(dtype), inputs))
        if dtype in FLOATS:
            sources.append(cuda.source(chain(dtype), (dtype, dtype)))
    # one file: the preamble once, then every kernel
    body = "".join(s[len(cuda.PREAMBLE):].replace(cuda.FLOAT16_STANDIN, "") for s in sources[1:])
    path = tmp_path / "generated.cu"
    path.write_text(sources[0] + body)
    done = subprocess.run([nvcc, "-arch=sm_80", "-std=c++17", "-cubin", "-o",
                           str(tmp_path / "generated.cubin"), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "warning" not in done.stderr, done.stderr[-4000:]
