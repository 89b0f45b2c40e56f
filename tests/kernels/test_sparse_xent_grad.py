"""kernels/sparse_xent_grad: the numba and CUDA twins against the numpy
reference, rows of extreme logits and out-of-range labels included, and the
op sparse_softmax_cross_entropy_grad on its kernel path against its xp
formula."""
import numpy as np
import pytest

import gpugrad as tf
from gpugrad import extend
from gpugrad.ops import nn_ops
from twins import gpu_kernel, twin
from gpugrad.testing import check_gradients

NAME = "sparse_xent_grad"
OP = "sparse_softmax_cross_entropy_grad"
DTYPES = ["float16", "float32", "float64"]
LABELS = ["int32", "int64"]
SHAPES = [(40, 700), (3, 5, 9), (4, 1), (200, 1000)]
IDS = ["x".join(map(str, s)) for s in SHAPES]
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}


def inputs(dtype, shape, label_dtype="int64"):
    """Random logits, labels and row gradients g; where there is room, rows
    of extremes (only -inf, a +inf, a nan, -inf but for the label, huge
    values, a label on -inf, g = 0 and inf) and labels out of range."""
    rng = np.random.default_rng(sum(shape))
    depth = shape[-1]
    x = rng.normal(0, 4, size=shape).reshape(-1, depth)
    labels = rng.integers(0, depth, size=len(x))
    g = rng.normal(size=len(x))
    big = 6e4 if dtype == "float16" else 1e30
    if len(x) > 12 and depth > 1:
        x[1] = -np.inf
        x[2, 0] = np.inf
        x[3, -1] = np.nan
        x[4, :-1], labels[4] = -np.inf, depth - 1
        x[5] = big
        x[6] = np.linspace(-big, big, depth)
        x[7, 0], labels[7] = -np.inf, 0
        labels[8], labels[9] = -1, depth
        g[10], g[11] = 0.0, np.inf
    return (x.reshape(shape).astype(dtype), labels.reshape(shape[:-1]).astype(label_dtype),
            g.reshape(shape[:-1]).astype(dtype))


def reference(*args):
    return twin(NAME, "reference")(*args)


def assert_close(got, want, g, dtype):
    """Relative, plus a few ulp of |g| (p - 1 cancels where p nears 1)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    got, want = got.astype(np.float64), want.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    scale = np.abs(g.astype(np.float64))[..., None]
    with np.errstate(invalid="ignore"):
        err = np.where(got == want, 0.0, np.abs(got - want))
        bound = TOLERANCE[dtype] * np.abs(want) + 4 * np.finfo(dtype).eps * scale
    bad = ~np.isnan(want) & ~(err <= bound)
    assert not bad.any(), f"{bad.sum()} elements differ: {got[bad][:3]} vs {want[bad][:3]}"


@pytest.mark.parametrize("label_dtype", LABELS)
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_numba_twin_matches_the_reference(dtype, shape, label_dtype):
    x, labels, g = inputs(dtype, shape, label_dtype)
    got = twin(NAME, "cpu")(x, labels, g)
    assert_close(got, reference(x, labels, g), g, dtype)


def test_numba_twin_reads_any_layout_and_leaves_inputs_alone():
    x, labels, g = inputs("float32", (700, 40))
    x = np.ascontiguousarray(x.T).T  # Fortran order
    before = x.copy(), labels.copy(), g.copy()
    got = twin(NAME, "cpu")(x, labels, g)
    assert_close(got, reference(x, labels, g), g, "float32")
    for a, b in zip((x, labels, g), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.gpu
@pytest.mark.parametrize("label_dtype", LABELS)
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_twin_matches_the_reference(dtype, shape, label_dtype):
    cupy, kernel = gpu_kernel(NAME)
    x, labels, g = inputs(dtype, shape, label_dtype)
    got = kernel(cupy.asarray(x), cupy.asarray(labels), cupy.asarray(g))
    assert_close(cupy.asnumpy(got), reference(x, labels, g), g, dtype)


# ------------------------------------------------------------ the op
def grad_op(x, labels, g):
    return extend.bind(extend.get(OP), (x, labels, g), {})


def value_and_gradients(monkeypatch, threshold, x, labels, g, w):
    """The op's value, and the gradients of sum(value * w) for x and g."""
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", threshold)
    with tf.GradientTape() as tape:
        tape.watch([x, g])
        out = grad_op(x, labels, g)
        total = tf.reduce_sum(out * w)
    return [out.numpy()] + [t.numpy() for t in tape.gradient(total, [x, g])]


@pytest.mark.parametrize("dtype", DTYPES)
def test_op_on_the_kernel_path_matches_the_xp_path(device, monkeypatch, kernel_calls, dtype):
    rng = np.random.default_rng(6)
    x = tf.constant(rng.normal(0, 4, size=(6, 5, 70)).astype(dtype))
    w = tf.constant(rng.normal(size=(6, 5, 70)).astype(dtype))
    g = tf.constant(rng.normal(size=(6, 5)).astype(dtype))
    labels = tf.constant(rng.integers(0, 70, size=(6, 5)))
    fused = value_and_gradients(monkeypatch, 0, x, labels, g, w)
    assert NAME in kernel_calls
    del kernel_calls[:]
    plain = value_and_gradients(monkeypatch, 10 ** 12, x, labels, g, w)
    assert kernel_calls == []
    for a, b in zip(fused, plain):  # the second order adds cancellations
        scale = np.abs(b.astype(np.float64)).max()
        np.testing.assert_allclose(a, b, rtol=4 * TOLERANCE[dtype],
                                   atol=16 * np.finfo(dtype).eps * scale)


def test_gradients_on_the_kernel_path(monkeypatch, kernel_calls):
    monkeypatch.setattr(nn_ops, "FUSED_MIN_ELEMENTS", 0)
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(3, 4)), tf.float64)
    g = tf.constant(rng.normal(size=3), tf.float64)
    labels = tf.constant([2, 0, 3])
    check_gradients(lambda x, g: grad_op(x, labels, g), [x, g], order=2)
    assert NAME in kernel_calls
