"""kernels/sparse_xent: the numba and CUDA twins against the numpy reference,
rows of extreme logits and out-of-range labels included, and the op
sparse_softmax_cross_entropy_with_logits on its kernel path against its xp
formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "sparse_xent"
DTYPES = ["float16", "float32", "float64"]
LABELS = ["int32", "int64"]
# (rows..., depth): several blocks of 256 per row, a batch of rows, one class,
# and enough work for a parallel launch (kernels/_threads.py)
SHAPES = [(40, 700), (3, 5, 9), (4, 1), (200, 1000)]
IDS = ["x".join(map(str, s)) for s in SHAPES]
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}


def inputs(dtype, shape, label_dtype="int64"):
    """Random logits and labels; where there is room, rows of extremes (only
    -inf, a +inf, a nan, -inf but for the label, huge values, a label on
    -inf) and labels out of range (-1, depth)."""
    rng = np.random.default_rng(sum(shape))
    depth = shape[-1]
    x = rng.normal(0, 4, size=shape).reshape(-1, depth)
    labels = rng.integers(0, depth, size=len(x))
    big = 6e4 if dtype == "float16" else 1e30
    if len(x) > 10 and depth > 1:
        x[1] = -np.inf
        x[2, 0] = np.inf
        x[3, -1] = np.nan
        x[4, :-1], labels[4] = -np.inf, depth - 1
        x[5] = big
        x[6] = np.linspace(-big, big, depth)
        x[7, 0], labels[7] = -np.inf, 0
        labels[8], labels[9] = -1, depth
    return (x.reshape(shape).astype(dtype),
            labels.reshape(shape[:-1]).astype(label_dtype))


def reference(*args):
    return twin(NAME, "reference")(*args)


def assert_close(got, want, dtype):
    assert got.dtype == want.dtype and got.shape == want.shape
    # log(s) - (x - m) cancels where the label's probability nears 1
    np.testing.assert_allclose(got, want, rtol=TOLERANCE[dtype], atol=4 * np.finfo(dtype).eps,
                               equal_nan=True)


@pytest.mark.parametrize("label_dtype", LABELS)
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, shape, label_dtype):
    x, labels = inputs(dtype, shape, label_dtype)
    got = twin(NAME, "cpu")(x, labels)
    assert_close(got, reference(x, labels), dtype)


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    x, labels = inputs("float32", (700, 40))
    x = np.ascontiguousarray(x.T).T  # Fortran order
    before = x.copy(), labels.copy()
    got = twin(NAME, "cpu")(x, labels)
    assert_close(got, reference(x, labels), "float32")
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(labels, before[1])


@pytest.mark.gpu
@pytest.mark.parametrize("label_dtype", LABELS)
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, shape, label_dtype):
    cupy, kernel = gpu_kernel(NAME)
    x, labels = inputs(dtype, shape, label_dtype)
    got = kernel(cupy.asarray(x), cupy.asarray(labels))
    assert_close(cupy.asnumpy(got), reference(x, labels), dtype)


# ------------------------------------------------------------ the op
def loss_and_gradient(monkeypatch, threshold, x, labels):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
        total = tf.reduce_sum(loss * tf.cast(tf.range(1, 1 + loss.shape[0]), x.dtype)[:, None])
    return loss.numpy(), tape.gradient(total, x).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype):
    rng = np.random.default_rng(5)
    x = tf.constant(rng.normal(0, 4, size=(6, 5, 70)).astype(dtype))
    labels = tf.constant(rng.integers(0, 70, size=(6, 5)))
    fused = loss_and_gradient(monkeypatch, 0, x, labels)
    assert kernel_calls == [NAME, "sparse_xent_grad"]
    plain = loss_and_gradient(monkeypatch, 10 ** 12, x, labels)
    assert kernel_calls == [NAME, "sparse_xent_grad"]
    for a, b in zip(fused, plain):
        scale = np.abs(b.astype(np.float64)).max()
        np.testing.assert_allclose(a, b, rtol=4 * TOLERANCE[dtype],
                                   atol=8 * np.finfo(dtype).eps * scale)


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 4)), tf.float64)
    labels = tf.constant([2, 0, 3])
    check_gradients(lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x),
                    [x], order=2)
    assert NAME in kernel_calls and "sparse_xent_grad" in kernel_calls
