"""kernels/gelu_grad: the numba and CUDA twins against the numpy reference
(both forms), and the gelu op, whose gradient is the gelu_grad op, on its
kernel path against its xp formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "gelu_grad"
DTYPES = ["float16", "float32", "float64"]
SIZES = [1000, 200_000]  # serial and parallel launches (kernels/_threads.py)
FORMS = [False, True]
# large |x| (the tails, where 1 + tanh cancels), gelu' crossing zero near
# -0.75, the infinities (nan, as inf * 0 in the xp formula) and nan
EDGES = [0.0, -0.0, 1e-30, -0.7517916, 3.0, -3.0, 9.0, -9.0, 30.0, -30.0, 1e4, -1e4,
         np.inf, -np.inf, np.nan]
# relative, plus 8 ulp of |dy| (1 + |x|): Phi(x) + x phi(x) cancels for x < 0
TOLERANCE = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-14}


def inputs(dtype, size):
    rng = np.random.default_rng(size)
    x = rng.normal(0, 3, size=size)
    dy = rng.normal(size=size)
    x[:len(EDGES)] = EDGES
    return x.astype(dtype).reshape(-1, 8), dy.astype(dtype).reshape(-1, 8)


def reference(*args):
    return twin(NAME, "reference")(*args)


def assert_close(got, want, x, dy):
    dtype = np.dtype(want.dtype).name
    got, want, x, dy = (np.asarray(a, np.float64) for a in (got, want, x, dy))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    with np.errstate(invalid="ignore"):
        err = np.where(got == want, 0.0, np.abs(got - want))
        bound = TOLERANCE[dtype] * np.abs(want) + 8 * np.finfo(dtype).eps * np.abs(dy) * (1 + np.abs(x))
    bad = ~np.isnan(want) & ~(err <= bound)
    assert not bad.any(), f"{bad.sum()} elements differ, e.g. x={x[bad][:3]}: {got[bad][:3]} vs {want[bad][:3]}"


@pytest.mark.parametrize("approximate", FORMS, ids=["erf", "tanh"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, size, approximate):
    x, dy = inputs(dtype, size)
    got = twin(NAME, "cpu")(x, dy, approximate)
    assert got.dtype == x.dtype and got.shape == x.shape
    assert_close(got, reference(x, dy, approximate), x, dy)


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    x, dy = inputs("float32", 1000)
    x, dy = x.T, dy.T
    before = x.copy(), dy.copy()
    got = twin(NAME, "cpu")(x, dy, True)
    assert_close(got, reference(x, dy, True), x, dy)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(dy, before[1])


@pytest.mark.gpu
@pytest.mark.parametrize("approximate", FORMS, ids=["erf", "tanh"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, size, approximate):
    cupy, kernel = gpu_kernel(NAME)
    x, dy = inputs(dtype, size)
    got = kernel(cupy.asarray(x), cupy.asarray(dy), approximate)
    assert got.dtype == x.dtype and got.shape == x.shape
    assert_close(cupy.asnumpy(got), reference(x, dy, approximate), x, dy)


# ------------------------------------------------------------ the op
def value_and_gradient(monkeypatch, threshold, x, w, approximate):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.gelu(x, approximate=approximate)
        loss = tf.reduce_sum(y * w)
    return y.numpy(), tape.gradient(loss, x).numpy()


@pytest.mark.parametrize("approximate", FORMS, ids=["erf", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype,
                                                   approximate):
    x, w = (tf.constant(a) for a in inputs(dtype, 1000))
    fused = value_and_gradient(monkeypatch, 0, x, w, approximate)
    assert kernel_calls == [NAME]
    plain = value_and_gradient(monkeypatch, 10 ** 12, x, w, approximate)
    assert kernel_calls == [NAME]
    np.testing.assert_array_equal(fused[0], plain[0])  # the forward has no kernel
    # the xp formula rounds every step (to float16, too); the kernels once
    assert_close(fused[1], plain[1], x.numpy(), w.numpy() * 4)


@pytest.mark.parametrize("approximate", FORMS, ids=["erf", "tanh"])
def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls, approximate):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    x = tf.constant(np.random.default_rng(1).normal(0, 2, size=(3, 4)), tf.float64)
    check_gradients(lambda x: tf.nn.gelu(x, approximate=approximate), [x], order=3)
    assert NAME in kernel_calls


@pytest.mark.parametrize("approximate", FORMS, ids=["erf", "tanh"])
def test_gelu_is_one_op_and_its_gradient_one_op(approximate):
    from gpugrad import extend
    counts = {}
    originals = {n: extend.get(n).forward for n in ("gelu", "gelu_grad")}
    try:
        for n, f in originals.items():
            extend.get(n).forward = lambda *a, n=n, f=f, **k: (counts.__setitem__(n, counts.get(n, 0) + 1), f(*a, **k))[1]
        x = tf.constant([-1.0, 0.5, 2.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.gelu(x, approximate=approximate)
        tape.gradient(y, x)
    finally:
        for n, f in originals.items():
            extend.get(n).forward = f
    assert counts == {"gelu": 1, "gelu_grad": 1}
