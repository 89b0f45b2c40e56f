"""compile / fit / evaluate / predict, callbacks and the progress bar.

``test_fit_matches_keras`` and ``test_convolutional_fit_matches_keras`` pin
whole training runs to the numbers Keras 3.15.1 on TensorFlow 2.21.0 (CPU)
gave for the same programs with ``import keras`` in place of
``gpugrad.keras``; the literals are copied from its output rounded to 8 (7
for the convolutional run) digits. TensorFlow is not needed to run these
tests.
"""
import numpy as np
import pytest

import gpugrad as tf

keras = tf.keras

# ------------------------------------------------------ a run pinned to Keras
FIT_X = np.array([[0.2, -0.4, 1.0], [1.0, 0.3, -0.5], [-0.7, 0.8, 0.1], [0.5, 0.5, 0.5],
                  [-1.2, 0.1, 0.9], [0.3, -0.9, -0.2], [0.8, 1.1, -1.0]], np.float32)
FIT_Y = np.array([0, 1, 1, 0, 1, 0, 1], np.int32)
FIT_W0 = [
    [[0.1, -0.3, 0.5, 0.2], [0.4, 0.1, -0.2, 0.3], [-0.6, 0.2, 0.1, -0.4]],
    [0.01, 0.0, -0.02, 0.03],
    [1.0, 0.9, 1.1, 1.2], [0.0, 0.1, -0.1, 0.05], [0.0] * 4, [1.0] * 4,
    [[0.3, -0.3], [0.2, 0.5], [-0.4, 0.1], [0.6, -0.2]],
    [0.0, 0.1],
]
FIT_W_AFTER = [
    [[0.33682662, -0.51434988, 0.74592769, 1.24717546],
     [0.23965141, 0.37850007, 0.10315511, 0.42503572],
     [-0.66113698, -0.17343137, -0.96938401, 0.07673848]],
    [-0.14265269, -0.24663156, -0.44102064, 0.75339329],
    [0.73020875, 1.15623927, 1.00810933, 0.86252034],
    [-0.09147274, 0.24083945, 0.00621783, -0.10293631],
    [0.03736405, 0.00673623, 0.03245246, 0.06933205],          # moving mean
    [0.91535658, 0.91498333, 0.91587996, 0.92405874],          # moving variance
    [[-0.30228534, 0.30228522], [-0.32793292, 1.027933], [-0.24333829, -0.05666174],
     [0.06691818, 0.33308175]],
    [-0.30175748, 0.40175745],
]


def pinned_model(run_eagerly=False):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    model.set_weights([np.array(w, np.float32) for w in FIT_W0])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    return model


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["traced", "eager"])
def test_fit_matches_keras(device, run_eagerly):
    # 7 samples, batches of 3 (the last one 1), 3 epochs, no shuffling:
    # Dense -> BatchNormalization -> Dense under SGD with momentum
    model = pinned_model(run_eagerly)
    history = model.fit(FIT_X, FIT_Y, batch_size=3, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [1.05353391, 0.61571586, 0.46513715],
                               rtol=1e-5)
    np.testing.assert_allclose(history.history["accuracy"],
                               [0.42857143, 0.5714286, 0.71428573], rtol=1e-6)
    assert list(history.history) == ["loss", "accuracy"] and history.epoch == [0, 1, 2]
    for got, want in zip(model.get_weights(), FIT_W_AFTER):
        np.testing.assert_allclose(got, np.float32(want), rtol=1e-5, atol=1e-6)
    assert model.weights[0].device == tf.get_device()
    loss, accuracy = model.evaluate(FIT_X, FIT_Y, batch_size=4, verbose=0)
    np.testing.assert_allclose([loss, accuracy], [0.71084118, 0.5714286], rtol=1e-5)


def test_traced_and_eager_fit_give_the_same_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 5)).astype("float32")
    y = (x[:, 0] - x[:, 2] > 0).astype("float32")[:, None]
    results = []
    for eager in (False, True):
        tf.random.set_seed(3)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.BatchNormalization(),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"],
                      run_eagerly=eager)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)   # shuffled
        results.append((model.get_weights(), history.history))
        assert isinstance(model.metrics[1], keras.metrics.BinaryAccuracy)
        assert bool(model._traced) is not eager
    (traced, h1), (eager, h2) = results
    for a, b in zip(traced, eager):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-6)


def test_one_trace_per_batch_size():
    model = pinned_model()
    model.fit(FIT_X, FIT_Y, batch_size=3, epochs=2, verbose=0)
    assert sorted(k for k in model._traced if k[0] == "train") == [("train", 1), ("train", 3)]
    for fn in model._traced.values():
        assert fn.experimental_get_tracing_count() == 1
    model.layers[0].trainable = False                  # the traces are made again
    model.fit(FIT_X, FIT_Y, batch_size=7, epochs=1, verbose=0)
    assert list(model._traced) == [("train", 7)]
    assert not model.layers[0].kernel.trainable


CNN_W_AFTER = [
    [[[[-0.1969138, -0.1016881, 0.0006591], [0.0987273, 0.2008384, -0.1920019]],
      [[-0.1023335, -0.0011722, 0.1041125], [0.1982402, -0.2038779, -0.1000932]],
      [[0.0041371, 0.0978559, 0.2003548], [-0.1992858, -0.0950019, -0.0044282]]],
     [[[0.09868, 0.2245507, -0.1977422], [-0.0952899, 0.0435903, 0.0995786]],
      [[0.2011181, -0.229408, -0.1070759], [0.0040461, 0.0816947, 0.1878729]],
      [[-0.2030522, -0.1072026, 0.0022326], [0.0897582, 0.191397, -0.1937601]]],
     [[[-0.0950219, -0.0232271, 0.0873383], [0.2002562, -0.208627, -0.097581]],
      [[-0.0102418, 0.091397, 0.2062399], [-0.1986537, -0.0962841, 0.0095325]],
      [[0.101565, 0.2166989, -0.1985214], [-0.0947814, 0.0431041, 0.0997193]]]],
    [0.0965729, -0.1856031, 0.0466738],
    [[-0.3930516, -0.3069484], [-0.1916274, -0.1083726], [0.0124451, 0.087555],
     [0.2200389, 0.2799611], [0.4183492, -0.4183492], [-0.2896578, -0.2103422],
     [-0.1005493, 0.0005493], [0.1057475, 0.1942525], [0.3223775, 0.3776225],
     [-0.3917444, -0.3082556], [-0.1788287, -0.1211713], [0.0119186, 0.0880814]],
    [0.0090894, 0.0909106],
]


def test_convolutional_fit_matches_keras(device):
    img = (np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2) % 7 - 3) / 4
    x = img.repeat(3, axis=0) * np.array([1, -1, 0.5, 2, -0.5, 1.5],
                                         np.float32)[:, None, None, None]
    y = np.array([0, 1, 1, 0, 1, 0], np.int32)
    model = keras.Sequential([keras.Input((5, 5, 2)),
                              keras.layers.Conv2D(3, 3, padding="same", activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model.set_weights([((np.arange(54, dtype=np.float32).reshape(3, 3, 2, 3) % 5) - 2) / 10,
                       np.array([0.1, -0.2, 0.05], np.float32),
                       ((np.arange(24, dtype=np.float32).reshape(12, 2) % 9) - 4) / 10,
                       np.array([0.0, 0.1], np.float32)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [0.6933399, 0.6620562], rtol=1e-5)
    for got, want in zip(model.get_weights(), CNN_W_AFTER):
        np.testing.assert_allclose(got, np.float32(want), rtol=1e-5, atol=1e-6)


# -------------------------------------------------------- learning for real
def blobs(n=256, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return (centers[labels] + rng.normal(scale=0.6, size=(n, 2))).astype("float32"), labels


def test_fit_learns_a_classification_problem():
    x, y = blobs()
    tf.random.set_seed(0)
    model = keras.Sequential([
        keras.layers.Dense(16, activation="relu", input_shape=(2,)),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(3),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.02),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.95 and history.history["accuracy"][-1] > 0.9
    assert isinstance(model.metrics[1], keras.metrics.SparseCategoricalAccuracy)
    probs = model.predict(x[:50], batch_size=16, verbose=0)
    assert type(probs).__name__ == "ndarray" and probs.shape == (50, 3)
    assert (probs.argmax(axis=1) == y[:50]).mean() > 0.9


def test_fit_with_one_hot_labels_tensors_and_a_validation_split():
    x, y = blobs(120, seed=2)
    one_hot = keras.utils.to_categorical(y, 3)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(tf.constant(x), tf.constant(one_hot), epochs=2, batch_size=25,
                        validation_split=0.25, verbose=0)
    assert isinstance(model.metrics[1], keras.metrics.CategoricalAccuracy)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["val_loss"]) == 2
    out = model.evaluate(x, one_hot, verbose=0, return_dict=True)
    assert sorted(out) == ["accuracy", "loss"]


def test_regression_with_strings():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3))                        # float64: fed as float32
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss < 1e-3 and mae < 0.03
    assert model.predict(x[:5], verbose=0).shape == (5, 1)
    assert model.predict(x[:5], verbose=0).dtype == np.float32
    bare = keras.Sequential([keras.layers.Dense(1)])
    bare.compile(optimizer="sgd", loss="mse")
    assert isinstance(bare.evaluate(x, y, verbose=0), float)     # the loss alone


# ----------------------------------------------------- validation, callbacks
def test_early_stopping_restores_the_best_weights():
    # validation labels are the training labels flipped: the better the
    # model fits, the worse val_loss gets, so epoch 0 stays the best
    x, y = blobs(96, seed=4)
    y = (y == 0).astype("int32")
    snapshots = []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.model.get_weights())

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy",
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
                                         restore_best_weights=True)
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0,
                        validation_data=(x, 1 - y), callbacks=[Snapshot(), stop])
    val = history.history["val_loss"]
    assert len(val) == 3 and val[0] < val[1] < val[2]
    assert stop.stopped_epoch == 2 and stop.best_epoch == 0 and model.stop_training
    for restored, best in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(restored, best)
    # mode 'auto' on an accuracy maximises
    up = keras.callbacks.EarlyStopping(monitor="val_accuracy")
    up.set_model(model)
    up._set_monitor_op()
    assert up.monitor_op(0.9, 0.8)


def test_callback_hooks_get_float_logs():
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("begin", self.params["epochs"], self.params["steps"]))

        def on_batch_end(self, batch, logs=None):
            seen.append(("batch", batch, sorted(logs), type(logs["loss"])))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", epoch, sorted(logs)))

    model = pinned_model()
    model.fit(FIT_X, FIT_Y, batch_size=4, epochs=1, verbose=0, callbacks=[Recorder()])
    assert seen == [("begin", 1, 2), ("batch", 0, ["accuracy", "loss"], float),
                    ("batch", 1, ["accuracy", "loss"], float),
                    ("epoch", 0, ["accuracy", "loss"])]


def test_progress_bar_and_verbosity(capsys):
    model = pinned_model()
    model.fit(FIT_X, FIT_Y, batch_size=3, epochs=2, verbose=1,
              validation_data=(FIT_X, FIT_Y))
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "3/3" in text
    assert "loss=" in text and "accuracy=" in text and "val_loss=" in text
    model.fit(FIT_X, FIT_Y, batch_size=3, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ") and "loss: " in lines[0]
    model.fit(FIT_X, FIT_Y, epochs=1, verbose=0)
    model.evaluate(FIT_X, FIT_Y, verbose=0)
    model.predict(FIT_X, verbose=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    model.evaluate(FIT_X, FIT_Y)                          # verbose='auto': a bar
    model.predict(FIT_X, verbose=1)
    out = capsys.readouterr()
    assert "Evaluate" in out.out + out.err and "Predict" in out.out + out.err


# ------------------------------------------------------------ the rest of it
def test_custom_train_step():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.tracker = keras.metrics.Mean(name="custom_loss")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data[0], data[1]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(x, training=True) - y))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.tracker.update_state(loss)
            return {"custom_loss": self.tracker.result()}

    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(0.2))
    history = model.fit(x, 3 * x, epochs=10, batch_size=10, verbose=0)
    assert list(history.history) == ["custom_loss"]
    assert history.history["custom_loss"][-1] < history.history["custom_loss"][0] / 10
    assert model.tracker in model.metrics


def test_single_batch_methods_and_errors():
    model = pinned_model()
    loss, accuracy = model.train_on_batch(FIT_X, FIT_Y)
    assert loss > 0 and 0 <= accuracy <= 1
    assert sorted(model.test_on_batch(FIT_X, FIT_Y, return_dict=True)) == ["accuracy", "loss"]
    assert model.predict_on_batch(FIT_X).shape == (7, 2)
    fresh = keras.Sequential([keras.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        fresh.fit(FIT_X, FIT_Y)
    fresh.compile(loss="mse")
    with pytest.raises(ValueError, match="same number of samples"):
        fresh.fit(FIT_X, FIT_Y[:5], verbose=0)
