"""kernels/leaky_relu_grad: the numba and CUDA twins against the numpy
reference, and the leaky_relu_grad op on its kernel path against its xp
formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "leaky_relu_grad"
DTYPES = ["float16", "float32", "float64"]
SIZES = [1000, 200_000]  # serial and parallel launches (kernels/_threads.py)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 5.0]
ALPHAS = [0.2, 0.01, 1.5]
# the xp formula rounds (1 - alpha) + alpha, the kernels use dy itself
OP_TOLERANCE = {"float16": 1e-3, "float32": 2e-7, "float64": 1e-15}


def inputs(dtype, size):
    """(x, dy) with every edge value of x meeting a negative, a positive, an
    infinite and a nan dy."""
    rng = np.random.default_rng(size)
    x = rng.normal(size=size)
    dy = rng.normal(size=size)
    n = len(EDGES)
    x[:4 * n] = np.repeat(EDGES, 4)
    dy[:4 * n] = np.tile([-1.5, 2.0, np.inf, np.nan], n)
    return x.astype(dtype).reshape(-1, 8), dy.astype(dtype).reshape(-1, 8)


def reference(*args):
    return twin(NAME, "reference")(*args)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, size, alpha):
    x, dy = inputs(dtype, size)
    got = twin(NAME, "cpu")(x, dy, alpha)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, reference(x, dy, alpha))


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    x, dy = inputs("float32", 1000)
    x, dy = x.T, dy.T
    before = x.copy(), dy.copy()
    got = twin(NAME, "cpu")(x, dy, 0.2)
    np.testing.assert_array_equal(got, reference(x, dy, 0.2))
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(dy, before[1])


@pytest.mark.gpu
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, size, alpha):
    cupy, kernel = gpu_kernel(NAME)
    x, dy = inputs(dtype, size)
    got = kernel(cupy.asarray(x), cupy.asarray(dy), alpha)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(cupy.asnumpy(got), reference(x, dy, alpha))


# ------------------------------------------------------------ the op
def value_and_gradient(monkeypatch, threshold, x, w, alpha):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.leaky_relu(x, alpha)
        loss = tf.reduce_sum(y * w)
    return y.numpy(), tape.gradient(loss, x).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype):
    x, w = (tf.constant(a) for a in inputs(dtype, 1000))
    fused = value_and_gradient(monkeypatch, 0, x, w, 0.2)
    assert kernel_calls == [NAME]
    plain = value_and_gradient(monkeypatch, 10 ** 12, x, w, 0.2)
    assert kernel_calls == [NAME]
    tol = OP_TOLERANCE[dtype]
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=tol, atol=0, equal_nan=True)


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 4)) + 0.05, tf.float64)
    check_gradients(lambda x: tf.nn.leaky_relu(x, 0.3), [x], order=2)
    assert NAME in kernel_calls
