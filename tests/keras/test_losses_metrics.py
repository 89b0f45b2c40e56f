"""gpugrad.keras losses and metrics against Keras 3.

Expected values were recorded from TensorFlow 2.21.0 with Keras 3.15.1 (CPU,
eager) by running each call below with ``import keras`` in place of
``gpugrad.keras`` and printing the result rounded to 8 digits; the literals
are copied from that output. TensorFlow is not needed to run these tests.
"""
import numpy as np
import pytest

import gpugrad as tf

keras = tf.keras
L, M = keras.losses, keras.metrics

YT = np.array([[0., 1., 0.5], [1., 0., 1.]], np.float32)
YP = np.array([[0.1, 0.8, 0.4], [0.9, 0.3, 1.0]], np.float32)     # 1.0: clipped to 1 - 1e-7
LOGITS = np.array([[-2.0, 1.5, 0.3], [3.0, -0.5, 20.0]], np.float32)
SW = np.array([0.3, 1.7], np.float32)
ONE_HOT = np.array([[0., 1., 0.], [0.2, 0.3, 0.5]], np.float32)
PROBS = np.array([[0.2, 0.7, 0.1], [0.0, 0.25, 0.5]], np.float32)  # row 2 unnormalised, a 0
SPARSE = np.array([1, 2], np.int32)

LOSSES = [
    ("mse", lambda: L.MeanSquaredError()(YT, YP), 0.02666667),
    ("mse weighted", lambda: L.MeanSquaredError()(YT, YP, sample_weight=SW), 0.03133333),
    ("mse sum", lambda: L.MeanSquaredError(reduction="sum")(YT, YP), 0.05333333),
    ("mse none", lambda: L.MeanSquaredError(reduction=None)(YT, YP), [0.02, 0.03333334]),
    ("mse rank 1 labels", lambda: L.MeanSquaredError()(np.array([1., 2., 3.]),
                                                       np.array([[1.5], [2.], [2.]], np.float32)),
     0.41666666),
    ("bce", lambda: L.BinaryCrossentropy()(YT, YP), 0.25068298),
    ("bce logits", lambda: L.BinaryCrossentropy(from_logits=True)(YT, LOGITS), 0.2592268),
    ("bce smoothing", lambda: L.BinaryCrossentropy(label_smoothing=0.2)(YT, YP), 0.62685663),
    ("bce weighted", lambda: L.BinaryCrossentropy()(YT, YP, sample_weight=SW), 0.18301322),
    ("cce", lambda: L.CategoricalCrossentropy()(ONE_HOT, PROBS), 2.05630517),
    ("cce logits", lambda: L.CategoricalCrossentropy(from_logits=True)(ONE_HOT, LOGITS),
     4.91811228),
    ("cce smoothing", lambda: L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(
        ONE_HOT, LOGITS), 5.14394569),
    ("scce", lambda: L.SparseCategoricalCrossentropy()(SPARSE, PROBS), 0.38107014),
    ("scce logits", lambda: L.SparseCategoricalCrossentropy(from_logits=True)(SPARSE, LOGITS),
     0.14311235),
    ("scce logits, labels (n, 1)", lambda: L.SparseCategoricalCrossentropy(from_logits=True)(
        SPARSE[:, None], LOGITS), 0.14311235),
    ("scce weighted", lambda: L.SparseCategoricalCrossentropy(from_logits=True)(
        SPARSE, LOGITS, sample_weight=SW), 0.04293371),
    ("scce none", lambda: L.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(
        SPARSE, LOGITS), [0.28622469, 0.0]),
    # keras.losses.get of a function's name is the function: per sample
    ("function by name", lambda: L.get("binary_crossentropy")(YT, YP), [0.34735408, 0.15401188]),
]


@pytest.mark.parametrize("case", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_matches_keras(case, device):
    _, compute, expected = case
    value = compute()
    assert value.dtype == tf.float32 and value.device == tf.get_device()
    np.testing.assert_allclose(value.numpy(), np.float32(expected), rtol=2e-6, atol=1e-7)


def test_loss_gradient_with_respect_to_logits():
    # d/dlogits of mean sparse cross-entropy: (softmax - one_hot) / batch
    logits = tf.Variable(LOGITS)
    with tf.GradientTape() as tape:
        loss = L.SparseCategoricalCrossentropy(from_logits=True)(SPARSE, logits)
    e = np.exp(LOGITS - LOGITS.max(axis=1, keepdims=True))
    expected = (e / e.sum(axis=1, keepdims=True) - np.eye(3)[SPARSE]) / 2
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), expected, atol=1e-7)


def test_loss_lookup():
    assert isinstance(L.get("BinaryCrossentropy"), L.BinaryCrossentropy)
    assert L.get("mse") is L.mean_squared_error
    wrapped = L.as_loss("sparse_categorical_crossentropy")
    assert isinstance(wrapped, L.Loss) and wrapped.name == "sparse_categorical_crossentropy"
    config = L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).get_config()
    again = L.BinaryCrossentropy.from_config(config)
    assert again.from_logits and again._fn_kwargs["label_smoothing"] == 0.1
    with pytest.raises(ValueError, match="unknown loss"):
        L.get("hinge_of_doom")


# ----------------------------------------------------------------- metrics
def test_sparse_categorical_accuracy_weighted():
    m = M.SparseCategoricalAccuracy()
    m.update_state([1, 2, 0], [[0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.9, 0.05, 0.05]])
    m.update_state([[2]], [[0.1, 0.2, 0.7]], sample_weight=[3.0])
    np.testing.assert_allclose(m.result().numpy(), 0.83333331, rtol=1e-6)
    assert all(not v.trainable for v in m.variables) and len(m.variables) == 2
    m.reset_state()
    assert float(m.result()) == 0.0


@pytest.mark.parametrize("make, y_true, y_pred, weights, expected", [
    (lambda: M.BinaryAccuracy(), [[1], [0], [1], [0]], [[0.7], [0.6], [0.5], [0.1]], None, 0.5),
    (lambda: M.BinaryAccuracy(threshold=0.3), [1, 0, 1, 0], [0.7, 0.6, 0.5, 0.1], None, 0.75),
    (lambda: M.Accuracy(), [1, 2, 3, 4], [1, 2, 0, 4], [1, 1, 2, 0.5], 0.55555558),
    (lambda: M.CategoricalAccuracy(), [[0, 1, 0], [1, 0, 0]],
     [[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]], None, 0.5),
])
def test_accuracy_metrics(make, y_true, y_pred, weights, expected):
    m = make()
    m.update_state(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-6)


def test_mean_metric():
    m = M.Mean()
    m.update_state([1., 3., 5., 7.], sample_weight=[1., 1., 0., 0.])
    m.update_state(10.0)
    np.testing.assert_allclose(m.result().numpy(), 4.66666651, rtol=1e-6)
    m = M.Mean()
    m.update_state([[1., 2.], [3., 5.]])                        # per-sample means first
    np.testing.assert_allclose(m.result().numpy(), 2.75)
    m = M.Mean()
    m.update_state([[1., 2.], [3., 5.]], sample_weight=[2., 1.])
    np.testing.assert_allclose(m.result().numpy(), 2.33333325, rtol=1e-6)
    assert float(M.Mean()([2.0, 4.0])) == 3.0                   # calling updates and returns


def test_metric_updates_inside_a_traced_function():
    m = M.SparseCategoricalAccuracy()
    step = tf.function(lambda y, p: m.update_state(y, p))
    step(tf.constant([0, 1]), tf.constant([[0.9, 0.1], [0.8, 0.2]]))
    step(tf.constant([1, 1]), tf.constant([[0.1, 0.9], [0.3, 0.7]]))
    assert float(m.result()) == 0.75 and step.experimental_get_tracing_count() == 1


def test_accuracy_resolves_from_shapes_as_keras_does():
    one = tf.zeros([4, 1])
    many = tf.zeros([4, 3])
    sparse = tf.zeros([4], tf.int32)
    assert isinstance(M.as_metric("accuracy", one, one), M.BinaryAccuracy)
    assert isinstance(M.as_metric("accuracy", sparse, many), M.SparseCategoricalAccuracy)
    assert isinstance(M.as_metric("acc", tf.zeros([4, 1]), many), M.SparseCategoricalAccuracy)
    made = M.as_metric("accuracy", many, many)
    assert isinstance(made, M.CategoricalAccuracy) and made.name == "accuracy"
    assert M.get("accuracy") is M.accuracy
    assert isinstance(M.as_metric("mse"), M.MeanSquaredError)
    assert M.as_metric(lambda y, p: y).__class__ is M.MeanMetricWrapper
