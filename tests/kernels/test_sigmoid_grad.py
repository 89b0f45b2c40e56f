"""kernels/sigmoid_grad: the numba and CUDA twins against the numpy reference,
and the sigmoid_grad op on its kernel path against its xp formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "sigmoid_grad"
DTYPES = ["float16", "float32", "float64"]
SIZES = [1000, 200_000]  # serial and parallel launches (kernels/_threads.py)
# y in (0, 1) and beyond it (large |x| gives y at 0 and 1)
EDGES = [0.0, 1.0, 0.5, 1e-30, 1 - 2.0 ** -24, 2.0, -1.0, np.nan]
# relative, plus 4 ulp of |dy|: the formula cancels where y nears its ends
TOLERANCE = {"float16": 1e-3, "float32": 3e-7, "float64": 1e-15}


def inputs(dtype, size):
    """(y, dy): y the op's output (from large and small x too), every edge
    value of y meeting a negative, a positive, an infinite and a nan dy."""
    rng = np.random.default_rng(size)
    y = tf.sigmoid(tf.constant(rng.normal(0, 8, size=size))).numpy()
    dy = rng.normal(size=size)
    n = len(EDGES)
    y[:4 * n] = np.repeat(EDGES, 4)
    dy[:4 * n] = np.tile([-1.5, 2.0, np.inf, np.nan], n)
    return y.astype(dtype).reshape(-1, 8), dy.astype(dtype).reshape(-1, 8)


def reference(*args):
    return twin(NAME, "reference")(*args)


def assert_close(got, want, dy):
    """|got - want| <= TOLERANCE |want| + 4 ulp |dy|, nan where want is nan."""
    dtype = np.dtype(want.dtype).name
    got, want, dy = (np.asarray(a, np.float64) for a in (got, want, dy))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    with np.errstate(invalid="ignore"):
        err = np.where(got == want, 0.0, np.abs(got - want))
    bound = TOLERANCE[dtype] * np.abs(want) + 4 * np.finfo(dtype).eps * np.abs(dy)
    bad = ~np.isnan(want) & ~(err <= bound)
    assert not bad.any(), f"{bad.sum()} elements differ, e.g. {got[bad][:3]} vs {want[bad][:3]}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, size):
    y, dy = inputs(dtype, size)
    got = twin(NAME, "cpu")(y, dy)
    assert got.dtype == y.dtype and got.shape == y.shape
    assert_close(got, reference(y, dy), dy)


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    y, dy = inputs("float32", 1000)
    y, dy = y.T, dy.T
    before = y.copy(), dy.copy()
    got = twin(NAME, "cpu")(y, dy)
    assert_close(got, reference(y, dy), dy)
    np.testing.assert_array_equal(y, before[0])
    np.testing.assert_array_equal(dy, before[1])


@pytest.mark.gpu
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, size):
    cupy, kernel = gpu_kernel(NAME)
    y, dy = inputs(dtype, size)
    got = kernel(cupy.asarray(y), cupy.asarray(dy))
    assert got.dtype == y.dtype and got.shape == y.shape
    assert_close(cupy.asnumpy(got), reference(y, dy), dy)


# ------------------------------------------------------------ the op
def value_and_gradient(monkeypatch, threshold, x, w):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sigmoid(x)
        loss = tf.reduce_sum(y * w)
    return y.numpy(), tape.gradient(loss, x).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype):
    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(0, 4, size=(125, 8)).astype(dtype))
    w = tf.constant(rng.normal(size=(125, 8)).astype(dtype))
    fused = value_and_gradient(monkeypatch, 0, x, w)
    assert kernel_calls == [NAME]
    plain = value_and_gradient(monkeypatch, 10 ** 12, x, w)
    assert kernel_calls == [NAME]
    np.testing.assert_array_equal(fused[0], plain[0])  # the forward is the same op
    # the xp formula rounds every step (to float16, too); the kernels once
    assert_close(fused[1], plain[1], w.numpy() * 2)


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 4)), tf.float64)
    check_gradients(tf.sigmoid, [x], order=2)
    assert NAME in kernel_calls
