"""kernels/softmax: the numba and CUDA twins against the numpy reference,
rows with extreme values included, and the softmax op on its kernel path
against its xp formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.backend import kernels
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "softmax"
DTYPES = ["float16", "float32", "float64"]
# (rows..., depth): several blocks of 256 per row, one short row, a batch of
# rows, and enough work for a parallel launch (kernels/_threads.py)
SHAPES = [(40, 700), (3, 5, 9), (1, 1), (200, 1000)]
IDS = ["x".join(map(str, s)) for s in SHAPES]
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}


def inputs(dtype, shape):
    """Random rows, and rows of extremes where there is room: only -inf, one
    +inf, one nan, -inf but for the last element, huge and spread-out values."""
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(0, 4, size=shape).reshape(-1, shape[-1])
    big = 6e4 if dtype == "float16" else 1e30
    extremes = [np.full(shape[-1], -np.inf), np.r_[np.inf, x[0, 1:]], np.r_[x[0, :-1], np.nan],
                np.r_[np.full(shape[-1] - 1, -np.inf), 2.0], np.full(shape[-1], big),
                np.linspace(-big, big, shape[-1]), np.r_[x[0, :-1], -np.inf]]
    if len(x) > len(extremes) and shape[-1] > 1:
        x[1:1 + len(extremes)] = extremes
    return x.reshape(shape).astype(dtype)


def reference(*args):
    return twin(NAME, "reference")(*args)


def assert_close(got, want, dtype):
    assert got.dtype == want.dtype and got.shape == want.shape
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 1e-6, equal_nan=True)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, shape):
    x = inputs(dtype, shape)
    assert_close(twin(NAME, "cpu")(x), reference(x), dtype)


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    x = inputs("float32", (40, 700)).T  # rows of 40, not contiguous
    before = x.copy()
    assert_close(twin(NAME, "cpu")(x), reference(x), "float32")
    np.testing.assert_array_equal(x, before)


@pytest.mark.gpu
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, shape):
    cupy, kernel = gpu_kernel(NAME)
    x = inputs(dtype, shape)
    got = kernel(cupy.asarray(x))
    assert_close(cupy.asnumpy(got), reference(x), dtype)


# ------------------------------------------------------------ the op
def value_and_gradient(monkeypatch, threshold, x, w, axis):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.softmax(x, axis=axis)
        loss = tf.reduce_sum(y * w)
    return y.numpy(), tape.gradient(loss, x).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype):
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(0, 4, size=(6, 5, 70)).astype(dtype))
    w = tf.constant(rng.normal(size=(6, 5, 70)).astype(dtype))
    fused = value_and_gradient(monkeypatch, 0, x, w, -1)
    assert kernel_calls == [NAME]
    plain = value_and_gradient(monkeypatch, 10 ** 12, x, w, -1)
    assert kernel_calls == [NAME]
    # the xp formula rounds every step (in float16, too), and the gradient's
    # g - sum(g * y) cancels: a few ulp of the largest magnitude, absolute
    for a, b in zip(fused, plain):
        scale = np.abs(b.astype(np.float64)).max()
        np.testing.assert_allclose(a, b, rtol=TOLERANCE[dtype],
                                   atol=8 * np.finfo(dtype).eps * scale)


def test_op_keeps_the_xp_formula_off_the_last_axis(monkeypatch, kernel_calls):
    x = tf.constant(np.random.default_rng(4).normal(size=(6, 7)))
    value_and_gradient(monkeypatch, 0, x, x, 0)
    assert kernel_calls == []


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 4)), tf.float64)
    check_gradients(tf.nn.softmax, [x], order=2)
    assert NAME in kernel_calls


# ------------------------------------- kernels/_vmath.py, which numba uses
def vmath_apply(name):
    """_vmath's scalar function ``name`` mapped over a 1-D array, compiled."""
    import importlib

    import numba
    kernels.load_module(NAME, "cpu")  # registers the gpugrad._kernels package
    fn = getattr(importlib.import_module("gpugrad._kernels._vmath"), name)

    @numba.njit(error_model="numpy")
    def apply(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = fn(x[i])
        return out
    return apply


def ulp_error(got, want, dtype):
    want_rounded = want.astype(dtype)
    ulp = np.spacing(np.abs(want_rounded)).astype(np.longdouble)
    return np.abs(got.astype(np.longdouble) - want) / ulp


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vectorised_exp_is_within_2_ulp_with_the_c_librarys_special_values(dtype):
    top = 88.7 if dtype == "float32" else 709.7
    low = -103.0 if dtype == "float32" else -744.0
    x = np.linspace(low, top, 400_001).astype(dtype)
    got = vmath_apply("exp")(x)
    want = np.exp(x.astype(np.longdouble))
    normal = want > np.finfo(dtype).tiny
    assert ulp_error(got[normal], want[normal], dtype).max() <= 2
    assert np.abs(got[~normal].astype(np.float64) - want[~normal].astype(np.float64)).max() <= \
        float(np.finfo(dtype).smallest_subnormal)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1000.0, -1000.0], dtype)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(vmath_apply("exp")(special), np.exp(special))


def test_vectorised_float32_erf_is_within_8_ulp():
    import math
    x = np.r_[np.linspace(-6, 6, 200_001), np.geomspace(1e-30, 1e-3, 1001), np.inf, -np.inf,
              0.0].astype(np.float32)
    got = vmath_apply("erf")(x)
    want = np.array([math.erf(v) for v in x.astype(np.float64)], np.longdouble)
    assert ulp_error(got, want, np.float32).max() <= 8
    assert np.isnan(vmath_apply("erf")(np.array([np.nan], np.float32))[0])
