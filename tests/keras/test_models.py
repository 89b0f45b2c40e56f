"""Layer tracking, Sequential and subclassed models, summaries, weights."""
import numpy as np
import pytest

import gpugrad as tf

keras = tf.keras


class Scale(keras.layers.Layer):
    """A custom layer: an add_weight variable, a non-trainable counter and a
    variable assigned directly."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.offset = tf.Variable(0.5, name="offset")

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="calls")

    def call(self, inputs, training=None):
        self.seen_training = training
        self.calls.assign_add(1.0)
        return inputs * self.scale + self.offset


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = [keras.layers.Dense(4, activation="relu"), keras.layers.Dense(4)]
        self.heads = {"main": keras.layers.Dense(2), "aux": keras.layers.Dense(1)}
        self.scale = Scale()
        self.dropout = keras.layers.Dropout(0.5)

    def call(self, x, training=False):
        for layer in self.hidden:
            x = layer(x)
        x = self.dropout(self.scale(x))
        return self.heads["main"](x), self.heads["aux"](x)


def test_subclassed_model_tracks_layers_in_lists_and_dicts():
    keras.backend.clear_session()
    net = Net()
    assert net.name == "net" and [v.name for v in net.weights] == ["offset:0"]
    main, aux = net(tf.ones([3, 5]))
    assert main.shape == (3, 2) and aux.shape == (3, 1)
    assert [type(l).__name__ for l in net.layers] == ["Dense", "Dense", "Dense", "Dense",
                                                      "Scale", "Dropout"]
    assert len(net.weights) == 11
    names = [v.name for v in net.trainable_weights]
    assert names == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0",
                     "dense_2/kernel:0", "dense_2/bias:0", "dense_3/kernel:0", "dense_3/bias:0",
                     "offset:0", "scale/scale:0"]
    assert [v.name for v in net.non_trainable_weights] == ["scale/calls:0"]
    children = net._trackable_children()
    assert list(children) == ["hidden_0", "hidden_1", "heads_main", "heads_aux", "scale",
                              "dropout"]
    assert list(children["scale"]._trackable_children()) == ["offset", "scale", "calls"]
    assert children["hidden_1"] is net.hidden[1]
    assert list(net.hidden[0]._trackable_children()) == ["kernel", "bias"]


def test_layers_appended_later_are_tracked():
    class Stack(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    stack = Stack()
    stack.blocks.append(keras.layers.Dense(3))
    stack.blocks.append(keras.layers.Dense(3))
    stack(tf.ones([1, 2]))
    assert len(stack.weights) == 4 and list(stack._trackable_children()) == ["blocks_0",
                                                                             "blocks_1"]


def test_trainable_false_moves_weights_to_non_trainable():
    net = Net()
    net(tf.ones([2, 5]))
    net.hidden[0].trainable = False
    assert len(net.trainable_weights) == 8 and len(net.non_trainable_weights) == 3
    assert not net.hidden[0].kernel.trainable
    with tf.GradientTape() as tape:                     # the tape no longer watches it
        out = tf.reduce_sum(net(tf.ones([2, 5]))[0])
    assert tape.gradient(out, net.hidden[0].kernel) is None
    net.trainable = False
    assert net.trainable_weights == [] and len(net.non_trainable_weights) == 11
    net.trainable = True
    assert len(net.trainable_weights) == 10
    assert not net.scale.calls.trainable               # made non-trainable: stays so


def test_training_flag_propagates_to_inner_layers():
    net = Net()
    x = tf.ones([50, 5])
    net(x, training=True)
    assert net.scale.seen_training is True
    net(x)
    assert net.scale.seen_training is False            # Net.call's default, passed on
    inner = Scale()
    inner(x[:, :2])
    assert inner.seen_training is None                 # nothing given anywhere


def test_sequential_builds_from_input_shape_and_summarises(capsys):
    keras.backend.clear_session()
    model = keras.Sequential([
        keras.layers.Dense(16, activation="relu", input_shape=(4,)),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(2),
    ])
    assert model.built and len(model.weights) == 8 and model.count_params() == 178
    model.summary()
    text = capsys.readouterr().out
    # Keras 3.15's table for the same model, line for line
    assert text.splitlines() == [
        'Model: "sequential"',
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
        "│ dense (Dense)                   │ (None, 16)             │            80 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        "│ batch_normalization             │ (None, 16)             │            64 │",
        "│ (BatchNormalization)            │                        │               │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        "│ dense_1 (Dense)                 │ (None, 2)              │            34 │",
        "└─────────────────────────────────┴────────────────────────┴───────────────┘",
        " Total params: 178 (712.00 B)",
        " Trainable params: 146 (584.00 B)",
        " Non-trainable params: 32 (128.00 B)",
    ]
    assert list(model._trackable_children()) == ["layer_0", "layer_1", "layer_2"]


def test_sequential_with_input_add_and_pop():
    model = keras.Sequential()
    model.add(keras.Input(shape=(3,)))
    model.add(keras.layers.Dense(5))
    assert model.built and len(model.weights) == 2
    model.add(keras.layers.Dense(1))
    assert len(model.weights) == 4 and model.layers[-1].output_shape == (None, 1)
    popped = model.pop()
    assert isinstance(popped, keras.layers.Dense) and len(model.layers) == 1
    lazy = keras.Sequential([keras.layers.Dense(2)])
    assert not lazy.built and lazy.weights == []
    assert lazy(np.ones((3, 7), np.float32)).shape == (3, 2) and lazy.built


def test_sequential_config_round_trip():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(1)])
    again = keras.Sequential.from_config(model.get_config())
    assert [type(l).__name__ for l in again.layers] == ["Dense", "Dropout", "Dense"]
    assert again.built and [list(v.shape) for v in again.weights] == \
        [list(v.shape) for v in model.weights]


def test_get_and_set_weights():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 2), (2,)]
    model.set_weights([np.ones((3, 2)), np.array([1.0, 2.0])])
    np.testing.assert_array_equal(model(np.ones((1, 3), np.float32)).numpy(), [[4.0, 5.0]])
    with pytest.raises(ValueError, match="expected 2 arrays"):
        model.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match="has shape"):
        model.set_weights([np.ones((2, 3)), np.ones(2)])
    np.testing.assert_array_equal(model.layers[0].bias.numpy(), [1.0, 2.0])   # unchanged


def test_model_build_with_a_shape():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    tiny = Tiny()
    tiny.build((None, 6))
    assert tiny.built and [list(v.shape) for v in tiny.weights] == [[6, 3], [3]]
    with pytest.raises(NotImplementedError, match="functional API"):
        keras.Model(keras.Input((2,)), None)


def test_save_and_load_weights(tmp_path):
    if not hasattr(tf.train, "Checkpoint"):
        pytest.skip("gpugrad.train.Checkpoint is missing")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    path = model.save_weights(tmp_path / "weights")
    again = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    again.load_weights(path)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_layer_that_refers_to_its_parent_makes_no_loop():
    outer = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    outer.layers[0].owner = outer
    assert len(outer.weights) == 2 and len(outer.layers[0].weights) == 2
    outer.trainable = False
    assert outer.layers[0].trainable is False and outer.trainable_weights == []
