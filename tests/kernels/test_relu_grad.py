"""kernels/relu_grad: the numba and CUDA twins against the numpy reference,
and the relu_grad op on its kernel path against its xp formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "relu_grad"
DTYPES = ["float16", "float32", "float64"]
SIZES = [1000, 200_000]  # serial and parallel launches (kernels/_threads.py)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 5.0]


def inputs(dtype, size):
    """(y, dy) with every edge value of y meeting a negative, a positive, an
    infinite and a nan dy."""
    rng = np.random.default_rng(size)
    y = rng.normal(size=size)
    dy = rng.normal(size=size)
    n = len(EDGES)
    y[:4 * n] = np.repeat(EDGES, 4)
    dy[:4 * n] = np.tile([-1.5, 2.0, np.inf, np.nan], n)
    return y.astype(dtype).reshape(-1, 8), dy.astype(dtype).reshape(-1, 8)


def reference(*args):
    return twin(NAME, "reference")(*args)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, size):
    y, dy = inputs(dtype, size)
    got = twin(NAME, "cpu")(y, dy)
    assert got.dtype == y.dtype and got.shape == y.shape
    np.testing.assert_array_equal(got, reference(y, dy))  # exact in every dtype


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    y, dy = inputs("float32", 1000)
    y, dy = y.T, dy.T  # not contiguous
    before = y.copy(), dy.copy()
    got = twin(NAME, "cpu")(y, dy)
    np.testing.assert_array_equal(got, reference(y, dy))
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
    np.testing.assert_array_equal(cupy.asnumpy(got), reference(y, dy))


# ------------------------------------------------------------ the op
def value_and_gradient(monkeypatch, threshold, x, w):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.relu(x)
        loss = tf.reduce_sum(y * w)
    return y.numpy(), tape.gradient(loss, x).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype):
    x, w = (tf.constant(a) for a in inputs(dtype, 1000))
    fused = value_and_gradient(monkeypatch, 0, x, w)
    assert kernel_calls == [NAME]
    plain = value_and_gradient(monkeypatch, 10 ** 12, x, w)
    assert kernel_calls == [NAME]
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(a, b)


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 4)) + 0.05, tf.float64)
    check_gradients(tf.nn.relu, [x], order=2)
    assert NAME in kernel_calls
