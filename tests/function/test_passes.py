"""The graph passes of traced functions: each keeps results equal to the
unoptimised graph's, and each can be switched off."""
import numpy as np
import pytest

import gpugrad as gg
from gpugrad.function import passes

ALL_OFF = {"disable_meta_optimizer": True}
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}


@pytest.fixture(autouse=True)
def _restore_options():
    saved = gg.config.optimizer.get_experimental_options()
    yield
    gg.config.optimizer._options = saved
    gg.config.optimizer.version += 1


def run_with(options, fn, *args):
    gg.config.optimizer._options = {}
    gg.config.optimizer.set_experimental_options(options)
    out = gg.function(fn)(*args)
    return [o.numpy() for o in gg.nest.flatten(out)], dict(passes.stats.__dict__)


def test_constant_subexpressions_are_folded_once():
    def f(x):
        scale = gg.exp(gg.constant(0.5)) * 2.0 + 1.0      # constants only
        return x * scale
    x = gg.constant([1.0, 2.0])
    (on,), stats = run_with({}, f, x)
    (off,), off_stats = run_with(ALL_OFF, f, x)
    assert stats["folded"] == 3 and off_stats["folded"] == 0
    np.testing.assert_array_equal(on, off)
    np.testing.assert_allclose(on, np.array([1.0, 2.0]) * (np.exp(0.5) * 2 + 1), rtol=1e-6)


def test_folding_can_be_switched_off_alone():
    def f(x):
        return x + gg.constant(1.0) * 2.0
    _, stats = run_with({"constant_folding": False}, f, gg.constant(1.0))
    assert stats["folded"] == 0


def test_common_subexpressions_are_computed_once():
    def f(x):
        a = gg.tanh(x) * 3.0
        b = gg.tanh(x) * 3.0                  # the same ops on the same input
        return a + b
    x = gg.constant(np.linspace(-1, 1, 5, dtype=np.float32))
    (on,), stats = run_with({"elementwise_fusion": False}, f, x)
    (off,), _ = run_with(ALL_OFF, f, x)
    assert stats["merged"] == 2
    np.testing.assert_array_equal(on, off)


def test_random_ops_are_never_merged_or_folded():
    def f():
        return gg.random.uniform([3]), gg.random.uniform([3])
    (a, b), stats = run_with({}, f)
    assert not np.array_equal(a, b)
    assert stats["merged"] == 0 and stats["folded"] == 0


def test_merging_respects_assignments_between_reads():
    v = gg.Variable(1.0)

    def f():
        first = v * 2.0
        v.assign(5.0)
        second = v * 2.0                      # same op, but v changed in between
        return first, second
    (first, second), _ = run_with({}, f)
    assert (first, second) == (2.0, 10.0)


def test_unused_results_are_not_computed_but_effects_run():
    v = gg.Variable(0.0)

    def f(x):
        gg.exp(x) * 100.0                     # nothing uses it
        v.assign_add(1.0)                     # an effect: runs though nothing uses it
        return x
    run_with({}, f, gg.constant(1.0))
    assert v.numpy() == 1.0
    concrete = list(gg.function(f).get_concrete_function(gg.constant(1.0)).graph._ops)
    assert any(op.type == "exp" for op in concrete)   # still in the graph, not in the plan


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rows", [6, 20000])          # ops one by one, and fused kernels
def test_random_graphs_give_the_same_results_with_and_without_passes(dtype, seed, rows):
    rng = np.random.default_rng(seed)
    x = gg.constant(rng.standard_normal((rows, 5)).astype(dtype))
    b = gg.constant(rng.standard_normal(5).astype(dtype))
    unary = [gg.tanh, gg.sigmoid, gg.nn.relu, gg.abs, gg.square, gg.negative,
             lambda t: gg.exp(gg.minimum(t, 3.0)), lambda t: gg.log1p(gg.abs(t))]
    binary = [gg.add, gg.subtract, gg.multiply, gg.maximum, gg.minimum]
    program = [(rng.integers(2), int(rng.integers(8)), int(rng.integers(5)), int(rng.integers(9)))
               for _ in range(12)]

    def f(x, b):
        values = [x, b, x * 0.5 + 1.0]
        for kind, u, bi, pick in program:
            a = values[pick % len(values)]
            if kind == 0:
                values.append(unary[u](a))
            else:
                values.append(binary[bi](a, values[(pick + 1) % len(values)]))
        return values[-1], values[-2] + values[-3], gg.reduce_sum(values[-4])
    on, stats = run_with({}, f, x, b)
    off, _ = run_with(ALL_OFF, f, x, b)
    # a fused kernel rounds once per chain, op by op rounds after each op:
    # float16 chains of up to 12 ops drift by a few of its ulps
    tolerance = 1e-2 if dtype == "float16" else TOLERANCE[dtype]
    for a, e in zip(on[:2], off[:2]):
        np.testing.assert_allclose(a, e, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(on[2], off[2], rtol=tolerance * 10, atol=tolerance * rows)


def test_gradients_are_unchanged_by_the_passes():
    w = gg.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))

    def f(x):
        with gg.GradientTape() as tape:
            y = gg.reduce_sum(gg.tanh(gg.matmul(x, w) * 2.0 + 1.0) ** 2)
        return tape.gradient(y, w)
    x = gg.constant(np.ones((2, 3), np.float32))
    (on,), _ = run_with({}, f, x)
    (off,), _ = run_with(ALL_OFF, f, x)
    np.testing.assert_allclose(on, off, rtol=2e-6, atol=1e-7)


def test_unknown_option_is_refused():
    with pytest.raises(ValueError, match="unknown graph optimizer option"):
        gg.config.optimizer.set_experimental_options({"loop_unrolling": True})


# ----------------------------------------------------------------- fusion
BIG = 1 << 15           # times 2 or more ops: at least fusion.FUSED_MIN_WORK, the kernel runs


def ten_op_chain(x, b):
    y = x * b
    y = y + 0.5
    y = gg.tanh(y)
    y = y * y
    y = gg.maximum(y, 0.1)
    y = y - x
    y = gg.exp(y * -0.5)
    y = y * b
    y = gg.minimum(y, 2.0)
    return y + x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows", [3, 1])
def test_an_elementwise_chain_with_a_broadcast_bias_becomes_one_kernel(dtype, rows):
    rng = np.random.default_rng(rows)
    x = gg.constant(rng.standard_normal((rows, BIG)).astype(dtype))
    b = gg.constant(rng.standard_normal(BIG).astype(dtype))       # a row, broadcast
    (fused,), stats = run_with({}, ten_op_chain, x, b)
    (plain,), _ = run_with(ALL_OFF, ten_op_chain, x, b)
    assert stats["fused_kernels"] == 1 and stats["fused_ops"] == 11    # 10 ops and y*-0.5
    np.testing.assert_allclose(fused, plain, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_small_groups_stay_as_they_are():
    x = gg.constant(np.linspace(-2, 2, 30, dtype=np.float32))
    (fused,), stats = run_with({}, ten_op_chain, x, x)
    (plain,), _ = run_with(ALL_OFF, ten_op_chain, x, x)
    assert stats["fused_kernels"] == 0          # 30 elements x 11 ops: not worth a kernel
    np.testing.assert_array_equal(fused, plain)


def test_with_unknown_shapes_each_call_decides_by_its_size():
    spec = gg.TensorSpec([None], gg.float32)
    gg.config.optimizer._options = {}
    gg.config.optimizer.version += 1
    traced = gg.function(ten_op_chain, input_signature=[spec, spec])
    for n in (30, BIG):                          # ops one by one, then the fused kernel
        x = gg.constant(np.linspace(-2, 2, n, dtype=np.float32))
        np.testing.assert_allclose(traced(x, x).numpy(), ten_op_chain(x, x).numpy(),
                                   rtol=2e-6, atol=2e-6)
    assert passes.stats.fused_kernels == 1 and traced.experimental_get_tracing_count() == 1


def test_a_value_read_outside_the_group_is_kept():
    x = gg.constant(np.linspace(-2, 2, BIG, dtype=np.float32))

    def f(x):
        h = gg.tanh(x * 2.0)
        return h + 1.0, gg.reduce_sum(h)       # h feeds the group and a reduction
    (y, total), stats = run_with({}, f, x)
    expected = np.tanh(x.numpy() * 2.0)
    np.testing.assert_allclose(y, expected + 1.0, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(total, expected.sum(dtype=np.float64), rtol=1e-4, atol=1e-3)


def test_fusion_never_moves_a_read_past_an_in_place_update():
    w = gg.Variable(np.ones(BIG, np.float32))
    opt = gg.optimizers.SGD(0.5)

    def f(g):
        doubled = w * 2.0                      # reads w before the update
        opt.apply_gradients([(g, w)])          # updates w's buffer in place
        return doubled + 1.0
    (out,), _ = run_with({}, f, gg.constant(np.ones(BIG, np.float32)))
    np.testing.assert_array_equal(out, np.full(BIG, 3.0, np.float32))
    np.testing.assert_array_equal(w.numpy(), np.full(BIG, 0.5, np.float32))


def test_fusion_can_be_switched_off():
    x = gg.constant(np.ones(BIG, np.float32))
    _, stats = run_with({"remapping": False}, ten_op_chain, x, x)      # TensorFlow's name
    assert stats["fused_kernels"] == 0
