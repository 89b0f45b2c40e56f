"""kernels/bias_add_grad: the numba and CUDA twins against the numpy
reference for bias on the last axis and on axis 1, and the bias_add_grad op
on its kernel path against its xp formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "bias_add_grad"
DTYPES = ["float16", "float32", "float64"]
# (shape, axis): NHWC-like, NCHW-like, many rows of few channels (serial and
# parallel launches), few rows of many, 1-D, and empty ones
CASES = [((256, 1024), 1), ((4, 6, 5, 7), 3), ((4, 6, 5, 7), 1), ((70_000, 3), 1),
         ((3, 70_000), 1), ((2, 3, 40_000), 1), ((7,), 0), ((5, 2, 3), 0), ((0, 4), 1),
         ((3, 0, 2), 2), ((2, 3, 0), 1)]
IDS = [f"{'x'.join(map(str, s))}-axis{a}" for s, a in CASES]
# sums of n terms in the work dtype: within a few ulp of the sum of |g|
ULP = {"float16": 2.0 ** -24, "float32": 2.0 ** -24, "float64": 2.0 ** -53}


def inputs(dtype, shape):
    g = np.random.default_rng(sum(shape)).normal(size=shape)
    if g.size:
        g.reshape(-1)[:3] = [1e3, -1e3, 0.5]  # cancellation
    return g.astype(dtype)


def reference(*args):
    return twin(NAME, "reference")(*args)


def assert_close(got, g, axis, terms_rounded=False):
    """Within sqrt-free worst-case bounds: terms * ulp * sum(|g|), plus the
    final rounding to g's dtype."""
    want = reference(g, axis)
    assert got.dtype == g.dtype and got.shape == want.shape
    others = tuple(i for i in range(g.ndim) if i != axis)
    size = np.abs(g.astype(np.float64)).sum(axis=others)
    terms = max(1, g.size // max(g.shape[axis], 1))
    bound = terms * ULP[g.dtype.name] * size + np.finfo(g.dtype).eps * np.abs(want.astype(np.float64))
    if terms_rounded:  # numpy's float16 sum rounds every partial sum to float16
        bound = bound + terms * np.finfo(g.dtype).eps * size
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert (err <= bound).all(), f"max error {err.max()} > bound {bound[err.argmax()]}"


@pytest.mark.parametrize("shape, axis", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, shape, axis):
    g = inputs(dtype, shape)
    assert_close(twin(NAME, "cpu")(g, axis), g, axis)


def test_numba_twin_is_deterministic_and_reads_any_layout():
    g = inputs("float32", (256, 1024))
    fn = twin(NAME, "cpu")
    first = fn(g, 1)
    for _ in range(3):
        np.testing.assert_array_equal(fn(g, 1), first)
    t = np.ascontiguousarray(g.T).T  # Fortran order
    before = t.copy()
    np.testing.assert_array_equal(fn(t, 1), first)
    np.testing.assert_array_equal(t, before)


@pytest.mark.gpu
@pytest.mark.parametrize("shape, axis", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, shape, axis):
    cupy, kernel = gpu_kernel(NAME)
    g = inputs(dtype, shape)
    got = kernel(cupy.asarray(g), axis)
    assert_close(cupy.asnumpy(got), g, axis)


# ------------------------------------------------------------ the op
def value_and_gradient(monkeypatch, threshold, x, b, w, data_format):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(b)
        y = tf.nn.bias_add(x, b, data_format=data_format)
        loss = tf.reduce_sum(y * w)
    return y.numpy(), tape.gradient(loss, b).numpy()


@pytest.mark.parametrize("data_format", [None, "NCHW"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype,
                                                   data_format):
    shape = (4, 6, 5, 7)
    axis = 1 if data_format else 3
    x, w = (tf.constant(inputs(dtype, shape) + k) for k in (0, 1))
    b = tf.constant(inputs(dtype, (shape[axis],)))
    fused = value_and_gradient(monkeypatch, 0, x, b, w, data_format)
    assert kernel_calls == [NAME]
    plain = value_and_gradient(monkeypatch, 10 ** 12, x, b, w, data_format)
    assert kernel_calls == [NAME]
    np.testing.assert_array_equal(fused[0], plain[0])
    assert_close(fused[1], w.numpy(), axis)
    assert_close(plain[1], w.numpy(), axis, terms_rounded=True)


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(2, 3, 4)), tf.float64)
    b = tf.constant(rng.normal(size=3), tf.float64)
    check_gradients(lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"), [x, b], order=2)
    assert NAME in kernel_calls
