"""gpugrad.keras layers, activations and initializers against Keras 3.

Expected values were recorded from TensorFlow 2.21.0 with Keras 3.15.1 (CPU,
eager) by running each test's program with ``import keras`` in place of
``gpugrad.keras`` and printing ``numpy().tolist()`` rounded to 8 digits (7 for
the convolution cases); the literals below are copied from that output.
TensorFlow is not needed to run these tests.
"""
import numpy as np
import pytest

import gpugrad as tf

keras = tf.keras
TOL = {"rtol": 1e-5, "atol": 1e-6}

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected, np.float32), **TOL)


# ------------------------------------------------------------------- Dense
def test_dense_forward_and_gradients(device):
    dense = keras.layers.Dense(2, activation="tanh")
    dense.build((None, 3))
    dense.set_weights([np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], np.float32),
                       np.array([0.05, -0.1], np.float32)])
    with tf.GradientTape() as tape:
        y = dense(X)
        s = tf.reduce_sum(y * y)
    g_kernel, g_bias = tape.gradient(s, dense.trainable_weights)
    assert y.device == tf.get_device() and y.dtype == tf.float32
    close(y, [[-0.8336547, 0.53704959], [0.57167, -0.635149]])
    close(g_kernel, [[0.90025234, -0.75461], [0.70098472, -0.95376551],
                     [-1.5943917, 2.09699154]])
    close(g_bias, [0.26112658, 0.00646341])


def test_dense_builds_on_first_call_and_names_its_weights():
    keras.backend.clear_session()
    first, second = keras.layers.Dense(4), keras.layers.Dense(2, use_bias=False)
    assert (first.name, second.name) == ("dense", "dense_1")
    assert not first.built and first.weights == []
    out = second(first(tf.ones([5, 3])))
    assert first.built and out.shape == (5, 2)
    assert [v.name for v in first.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert [list(v.shape) for v in second.weights] == [[4, 2]]
    assert first.count_params() == 16
    # a 3-d input multiplies the last axis, as Keras does
    assert first(tf.ones([2, 7, 3])).shape == (2, 7, 4)


def test_float64_inputs_are_cast_to_the_layer_dtype():
    dense = keras.layers.Dense(1)
    out = dense(np.ones((2, 3)))               # numpy float64
    assert out.dtype == tf.float32
    assert dense.kernel.dtype == tf.float32


def test_build_called_directly_is_not_repeated():
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    assert dense.built
    dense(tf.ones([1, 3]))
    assert len(dense.weights) == 2


def test_dense_get_config_round_trips():
    dense = keras.layers.Dense(3, activation="relu", use_bias=False,
                               kernel_initializer=keras.initializers.HeNormal(seed=1))
    config = dense.get_config()
    assert config["activation"] == "relu" and config["units"] == 3
    assert config["kernel_initializer"] == {"class_name": "HeNormal", "config": {"seed": 1}}
    again = keras.layers.Dense.from_config(config)
    assert again.units == 3 and again.activation is keras.activations.relu
    assert isinstance(again.kernel_initializer, keras.initializers.HeNormal)


# ------------------------------------------------------ LayerNormalization
def test_layer_normalization_forward_and_gradients(device):
    ln = keras.layers.LayerNormalization()
    ln.build((None, 3))
    ln.set_weights([np.array([1.5, 0.5, -1.0], np.float32), np.array([0.1, 0.2, 0.3], np.float32)])
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ln(x)
        s = tf.reduce_sum(y * tf.constant([[1., 2., 3.], [-1., 0.5, 2.]]))
    gx, g_gamma, g_beta = tape.gradient(s, [x] + ln.trainable_weights)
    close(y, [[0.10000002, -0.41216838, -0.92433679], [2.0001297, 0.15475881, 1.47627079]])
    close(gx, [[1.36037421, -0.67909932, -0.68127489], [-0.64946043, 1.46179283, -0.81233215]])
    close(g_gamma, [-1.26675308, -2.4939146, 1.3204689])
    close(g_beta, [0.0, 2.5, 5.0])


def test_layer_normalization_over_two_axes_without_scale():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) ** 1.5
    ln = keras.layers.LayerNormalization(axis=[1, 2], scale=False)
    y = ln(x).numpy()
    assert [list(v.shape) for v in ln.weights] == [[3, 4]]
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, rtol=1e-3)


# ------------------------------------------------------ BatchNormalization
BN_BATCHES = [
    [[1., 2., 3.], [4., 5., 6.], [0., -1., 2.], [2., 2., 2.]],
    [[0.5, 1., -3.], [2., 0., 1.], [1., 1., 1.], [-2., 4., 0.]],
    [[3., 3., 3.], [1., -1., 0.], [0., 2., 5.], [1., 0., -1.]],
]


def test_batch_normalization_moving_averages_match_keras(device):
    bn = keras.layers.BatchNormalization()
    bn.build((None, 3))
    bn.set_weights([np.array([1.0, 2.0, 0.5], np.float32), np.array([0.0, -1.0, 1.0], np.float32),
                    np.zeros(3, np.float32), np.ones(3, np.float32)])
    outputs = [bn(np.array(b, np.float32), training=True) for b in BN_BATCHES]
    close(outputs[0], [[-0.50697666, -1.0, 0.92376488], [1.52093017, 1.82811284, 1.83858609],
                       [-1.18294561, -3.82811308, 0.61882448], [0.16899228, -1.0, 0.61882448]])
    # moving = moving * 0.99 + batch statistic * 0.01, the variance biased
    close(bn.moving_mean, [0.03336425, 0.044452, 0.04687825])
    close(bn.moving_variance, [1.02511537, 1.06167853, 1.08012044])
    close(bn(np.array(BN_BATCHES[0], np.float32), training=False),
          [[0.9542557, 2.79400158, 2.42008495], [3.91583347, 8.61436653, 3.86271238],
           [-0.03293694, -3.02636433, 1.9392091], [1.94144833, 2.79400158, 1.9392091]])


def test_batch_normalization_weights_and_frozen_layer():
    bn = keras.layers.BatchNormalization(momentum=0.5)
    x = np.array(BN_BATCHES[0], np.float32)
    bn(x)
    assert [v.name.split("/")[1] for v in bn.weights] == \
        ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert not bn.moving_mean.trainable
    bn(x)                                   # training defaults to False: no update
    close(bn.moving_mean, [0, 0, 0])
    bn(x, training=True)
    close(bn.moving_mean, np.mean(BN_BATCHES[0], axis=0) * 0.5)
    bn.trainable = False                    # frozen: inference mode even when training
    before = bn.moving_mean.numpy()
    bn(x, training=True)
    close(bn.moving_mean, before)
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    bn.trainable = True
    assert len(bn.trainable_weights) == 2 and not bn.moving_variance.trainable


def test_batch_normalization_on_channels_of_images():
    bn = keras.layers.BatchNormalization(axis=-1)
    x = tf.random.normal([4, 3, 3, 2], seed=1)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    assert list(bn.moving_mean.shape) == [2]


# ----------------------------------------------------------------- Dropout
def test_dropout_training_and_inference():
    layer = keras.layers.Dropout(0.5)
    x = tf.ones([200, 50])
    assert layer(x) is x or np.array_equal(layer(x).numpy(), x.numpy())   # inference: identity
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}              # kept values scaled by 1 / (1 - rate)
    assert 0.45 < (y == 0).mean() < 0.55
    assert np.array_equal(keras.layers.Dropout(0.0)(x, training=True).numpy(), x.numpy())


def test_dropout_gradient_follows_the_mask():
    layer = keras.layers.Dropout(0.25)
    x = tf.Variable(tf.ones([10, 10]))
    with tf.GradientTape() as tape:
        y = layer(x, training=True)
    g = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(g, y.numpy())         # both 0 or 1 / 0.75


# --------------------------------------------------- Embedding and reshapes
def test_embedding_and_its_gradient(device):
    emb = keras.layers.Embedding(4, 2)
    emb.build()
    emb.set_weights([np.arange(8, dtype=np.float32).reshape(4, 2) / 10])
    ids = np.array([[3, 0], [1, 1]])
    close(emb(ids), [[[0.60000002, 0.69999999], [0.0, 0.1]], [[0.2, 0.30000001],
                                                              [0.2, 0.30000001]]])
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(emb(ids))
    close(tape.gradient(out, emb.embeddings), [[1, 1], [2, 2], [0, 0], [1, 1]])
    assert emb(np.array([2.0, 1.0], np.float32)).shape == (2, 2)     # float ids are cast


def test_flatten_reshape_activation():
    x = tf.reshape(tf.range(24, dtype=tf.float32), [2, 3, 4])
    assert keras.layers.Flatten()(x).shape == (2, 12)
    assert keras.layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert keras.layers.Reshape((-1,))(x).shape == (2, 12)
    np.testing.assert_array_equal(keras.layers.Activation("relu")(x - 10.0).numpy(),
                                  np.maximum(x.numpy() - 10, 0))


# ------------------------------------------------------------- activations
Z = np.array([-3., -1., -0.2, 0., 0.4, 2.5, 7.], np.float32)
ACTIVATIONS = {
    "relu": [0.0, 0.0, 0.0, 0.0, 0.40000001, 2.5, 7.0],
    "sigmoid": [0.04742587, 0.26894143, 0.45016599, 0.5, 0.59868771, 0.92414182, 0.99908894],
    "tanh": [-0.99505472, -0.76159418, -0.19737533, 0.0, 0.37994897, 0.98661435, 0.99999833],
    "gelu": [-0.0040497, -0.15865526, -0.08414806, 0.0, 0.26216871, 2.48447585, 7.0],
    "elu": [-0.95021296, -0.63212055, -0.18126923, 0.0, 0.40000001, 2.5, 7.0],
    "selu": [-1.6705687, -1.11133075, -0.31868932, 0.0, 0.42028043, 2.62675261, 7.35490704],
    "softplus": [0.04858735, 0.31326169, 0.59813887, 0.69314718, 0.91301525, 2.57888985,
                 7.00091171],
    "softsign": [-0.75, -0.5, -0.16666666, 0.0, 0.2857143, 0.71428573, 0.875],
    "swish": [-0.14227763, -0.26894143, -0.0900332, 0.0, 0.23947509, 2.31035447, 6.99362278],
    "hard_sigmoid": [0.0, 0.33333334, 0.46666667, 0.5, 0.56666666, 0.91666669, 1.0],
    "leaky_relu": [-0.60000002, -0.2, -0.04, 0.0, 0.40000001, 2.5, 7.0],
    "relu6": [0.0, 0.0, 0.0, 0.0, 0.40000001, 2.5, 6.0],
    "mish": [-0.14564747, -0.3034015, -0.10714479, 0.0, 0.28903055, 2.47139239, 6.99998903],
    "exponential": [0.04978707, 0.36787945, 0.81873077, 1.0, 1.49182475, 12.18249416,
                    1096.63317871],
    "linear": [-3.0, -1.0, -0.2, 0.0, 0.40000001, 2.5, 7.0],
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_by_name(name):
    close(keras.activations.get(name)(tf.constant(Z)), ACTIVATIONS[name])


def test_softmax_and_relu_options():
    close(keras.activations.softmax(tf.constant(Z.reshape(1, -1))),
          [[4.475e-05, 0.00033067, 0.00073591, 0.00089884, 0.00134091, 0.01095012, 0.98569876]])
    close(keras.activations.relu(tf.constant(Z), negative_slope=0.1, max_value=2.0, threshold=0.3),
          [-0.33000001, -0.13, -0.05, -0.03, 0.40000001, 2.0, 2.0])
    assert keras.activations.get(None) is keras.activations.linear
    with pytest.raises(ValueError, match="unknown activation"):
        keras.activations.get("relu7")


# ------------------------------------------------------------ initializers
@pytest.mark.parametrize("name, shape, check", [
    # Keras's formulas: glorot limit sqrt(6 / (fan_in + fan_out)); he_normal
    # stddev sqrt(2 / fan_in) / 0.8796 truncated at 2 stddev (so the sample
    # stddev is sqrt(2 / fan_in)); a conv kernel's fans include the window
    ("glorot_uniform", (300, 200), ("uniform", (6 / 500) ** 0.5)),
    ("he_uniform", (400, 100), ("uniform", (6 / 400) ** 0.5)),
    ("lecun_uniform", (3, 3, 20, 30), ("uniform", (3 / 180) ** 0.5)),
    ("glorot_normal", (300, 200), ("normal", (2 / 500) ** 0.5)),
    ("he_normal", (3, 3, 20, 30), ("normal", (2 / 180) ** 0.5)),
    ("lecun_normal", (400, 100), ("normal", (1 / 400) ** 0.5)),
])
def test_variance_scaling_initializers(name, shape, check):
    values = keras.initializers.get(name)(shape).numpy()
    assert values.shape == shape and values.dtype == np.float32
    kind, scale = check
    if kind == "uniform":
        assert np.abs(values).max() <= scale
        assert np.abs(values).max() > 0.98 * scale
    else:
        stddev = scale / 0.87962566103423978
        assert np.abs(values).max() <= 2 * stddev * (1 + 1e-6)
        assert abs(values.std() / scale - 1) < 0.03
    assert abs(values.mean()) < 0.05 * scale


def test_simple_initializers():
    I = keras.initializers
    np.testing.assert_array_equal(I.Zeros()((2, 2)).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(I.get("ones")((3,)).numpy(), np.ones(3))
    np.testing.assert_array_equal(I.Constant(2.5)((2,)).numpy(), [2.5, 2.5])
    np.testing.assert_array_equal(I.Identity(2.0)((2, 3)).numpy(), 2 * np.eye(2, 3))
    normal = I.RandomNormal(mean=1.0, stddev=0.5)((20000,)).numpy()
    assert abs(normal.mean() - 1.0) < 0.02 and abs(normal.std() - 0.5) < 0.02
    uniform = I.get("random_uniform")((20000,)).numpy()       # Keras default: [-0.05, 0.05)
    assert -0.05 <= uniform.min() and uniform.max() < 0.05
    truncated = I.TruncatedNormal(stddev=0.1)((20000,)).numpy()  # no correction here
    assert np.abs(truncated).max() <= 0.2 and 0.08 < truncated.std() < 0.09
    assert I.get(I.serialize(I.VarianceScaling(2.0, "fan_out", "uniform"))).mode == "fan_out"


def test_seeded_initializers_repeat_after_set_seed():
    tf.random.set_seed(7)
    a = keras.initializers.GlorotUniform(seed=3)((4, 4)).numpy()
    tf.random.set_seed(7)
    b = keras.initializers.GlorotUniform(seed=3)((4, 4)).numpy()
    np.testing.assert_array_equal(a, b)


# -------------------------------------------------------------- conv layers
IMG = (np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2) % 7 - 3) / 4
KER = ((np.arange(3 * 3 * 2 * 3, dtype=np.float32).reshape(3, 3, 2, 3) % 5) - 2) / 10
BIAS = np.array([0.1, -0.2, 0.05], np.float32)

CONV_OUT = [[[[0.0, 0.0, 0.0], [0.075, 0.0, 0.2], [0.075, 0.0, 0.0]],
             [[0.2, 0.0, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 0.0]],
             [[0.225, 0.0, 0.275], [0.0, 0.0, 0.025], [0.35, 0.0, 0.0]]],
            [[[0.075, 0.05, 0.0], [0.075, 0.0, 0.35], [0.0, 0.0, 0.25]],
             [[0.15, 0.05, 0.125], [0.0, 0.0, 0.325], [0.2, 0.0, 0.0]],
             [[0.225, 0.0, 0.0], [0.0, 0.0, 0.0], [0.05, 0.0, 0.0]]]]
CONV_GRAD_X_SUMMED = [[0.02, -0.115, 0.17, -0.3, 0.08], [0.02, -0.21, 0.2, -0.085, 0.11],
                      [0.155, -0.175, 0.145, -0.17, 0.08], [-0.0, -0.045, 0.05, -0.095, -0.0],
                      [0.235, -0.205, 0.005, -0.01, 0.16]]     # over batch and channels
CONV_GRAD_KERNEL = [[[[-0.175, 0.0, 0.5000001], [0.225, 0.0, -0.4625001]],
                     [[-0.1124999, 0.025, -0.3625], [0.6875001, 0.05, -0.075]],
                     [[0.6625, 0.075, 0.3], [0.6374999, -0.075, 0.2375]]],
                    [[[0.4, 0.0, -0.6750001], [-0.05, 0.0, -0.1]],
                     [[0.85, -0.125, 0.5625], [-0.9125, -0.075, 1.3375001]],
                     [[-0.6375, -0.025, -0.1999999], [-0.2875, 0.025, -1.3875002]]],
                    [[[0.15, 0.0, 1.0500001], [0.2, 0.0, 0.3875001]],
                     [[0.1875, 0.025, -0.8875], [0.0125, 0.075, -0.2625]],
                     [[0.125, 0.125, -0.1375], [0.2500001, 0.0, 0.3625]]]]
CONV_GRAD_BIAS = [3.8000002, 0.2, 3.1000001]
CONV_VALID = [[[[0.2, -0.1], [0.15, 0.3], [-0.25, 0.175]], [[0.3, 0.15], [-0.1, 0.2], [0.2, -0.1]],
               [[-0.475, -0.475], [0.175, -0.25], [0.3, 0.15]],
               [[0.15, 0.3], [-0.25, 0.175], [-0.475, -0.475]]],
              [[[0.175, -0.25], [0.3, 0.15], [-0.1, 0.2]],
               [[-0.25, 0.175], [-0.475, -0.475], [0.175, -0.25]],
               [[0.2, -0.1], [0.15, 0.3], [-0.25, 0.175]],
               [[0.3, 0.15], [-0.1, 0.2], [0.2, -0.1]]]]
POOL_OUT = [[[[0.5, 0.75], [0.75, 0.5]], [[0.75, 0.5], [0.75, 0.75]]],
            [[[0.75, 0.5], [0.5, 0.75]], [[0.5, 0.75], [0.75, 0.5]]]]
POOL_GRAD_SUMMED = [[[0.0, 0.0, 1.0, 1.5, 0.0], [0.0, 2.5, 0.0, 0.0, 0.0],
                     [1.5, 0.0, 0.0, 1.5, 0.0], [0.0, 1.0, 1.5, 0.0, 0.0],
                     [0.0, 0.0, 0.0, 0.0, 0.0]],
                    [[0.0, 0.0, 2.5, 0.0, 0.0], [1.0, 1.5, 0.0, 0.0, 0.0],
                     [0.0, 0.0, 1.0, 1.5, 0.0], [0.0, 2.5, 0.0, 0.0, 0.0],
                     [0.0, 0.0, 0.0, 0.0, 0.0]]]     # over channels
POOL_SAME_STRIDE_1 = [[0.5, 0.5, 0.75, 0.75, 0.75], [0.75, 0.75, 0.75, 0.75, 0.75],
                      [0.75, 0.75, 0.75, 0.75, 0.5], [0.75, 0.75, 0.75, 0.75, 0.75],
                      [0.5, 0.75, 0.75, 0.75, 0.75]]
AVG_SAME = [[-0.0625, 0.0625, 0.375], [0.125, -0.1875, 0.125], [-0.5, 0.5, -0.5]]


def test_conv2d_forward_and_gradients(device):
    conv = keras.layers.Conv2D(3, 3, padding="same", strides=2, activation="relu")
    conv.build((None, 5, 5, 2))
    conv.set_weights([KER, BIAS])
    x = tf.constant(IMG)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = conv(x)
        s = tf.reduce_sum(y * y)
    gx, g_kernel, g_bias = tape.gradient(s, [x] + conv.trainable_weights)
    assert [list(v.shape) for v in conv.weights] == [[3, 3, 2, 3], [3]]
    close(y, CONV_OUT)
    close(tf.reduce_sum(gx, axis=[0, 3]), CONV_GRAD_X_SUMMED)
    close(g_kernel, CONV_GRAD_KERNEL)
    close(g_bias, CONV_GRAD_BIAS)


def test_conv2d_valid_rectangular_kernel_without_bias():
    conv = keras.layers.Conv2D(2, (2, 3), use_bias=False)
    conv.build((None, 5, 5, 2))
    conv.set_weights([KER[:2, :, :, :2]])
    y = conv(IMG)
    assert y.shape == (2, 4, 3, 2) and len(conv.weights) == 1
    close(y, CONV_VALID)
    assert keras.layers.Conv2D.from_config(conv.get_config()).kernel_size == (2, 3)


def test_pooling_layers(device):
    x = tf.constant(IMG)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = keras.layers.MaxPooling2D(2)(x)            # strides default to the window
        s = tf.reduce_sum(y * y)
    close(y, POOL_OUT)
    close(tf.reduce_sum(tape.gradient(s, x), axis=3), POOL_GRAD_SUMMED)
    close(keras.layers.MaxPooling2D(3, strides=1, padding="same")(IMG)[0, :, :, 0],
          POOL_SAME_STRIDE_1)
    close(keras.layers.AveragePooling2D(2, padding="same")(IMG)[1, :, :, 1], AVG_SAME)
