"""Graph mode against TensorFlow 1's numbers.

Every expected value here was produced once by TensorFlow 2.21.0
(``tf.compat.v1`` graphs and sessions, CPU) and is written down as a fixed
number; TensorFlow is not needed to run these tests.
"""
import numpy as np
import pytest

import gpugrad as tf

v1 = tf.compat.v1

# the data of the training runs: 8 rows, trained on alternating halves
X = (np.arange(24, dtype=np.float32).reshape(8, 3) % 5 - 2) / 2
Y = (X @ np.array([[1.], [-2.], [0.5]], np.float32) + 0.3).astype(np.float32)

# TensorFlow 2.21: W, b and the full-batch loss after 20 steps, global_step
TF1_TRAINING = {
    "gd": ([0.5704970359802246, -1.6319400072097778, 0.2969905138015747],
           0.17813067138195038, 0.10368508845567703),
    "momentum": ([1.5026463270187378, -2.4245338439941406, 0.4473085105419159],
                 0.46112507581710815, 0.16463801264762878),
    "nesterov": ([1.34335196018219, -2.300549030303955, 0.5220985412597656],
                 0.40541914105415344, 0.07139691710472107),
    "adam": ([0.39857375621795654, -0.8739579319953918, 0.5451453924179077],
             0.10504753142595291, 0.5900861620903015),
}
OPTIMIZERS = {
    "gd": lambda: v1.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: v1.train.MomentumOptimizer(0.05, 0.9),
    "nesterov": lambda: v1.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
    "adam": lambda: v1.train.AdamOptimizer(0.05),
}


@pytest.mark.parametrize("name", sorted(TF1_TRAINING))
def test_tf1_training_loop_matches_tensorflow(name):
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3])
        y = v1.placeholder(tf.float32, [None, 1])
        W = tf.Variable(tf.zeros([3, 1]))
        b = tf.Variable(0.0)
        loss = tf.reduce_mean(tf.square(tf.matmul(x, W) + b - y))
        step = v1.train.get_or_create_global_step()
        train = OPTIMIZERS[name]().minimize(loss, global_step=step)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for i in range(20):
                half = slice(i % 2 * 4, (i % 2 + 1) * 4)
                sess.run(train, {x: X[half], y: Y[half]})
            w_value, b_value, loss_value, steps = sess.run([W, b, loss, step], {x: X, y: Y})
    want_w, want_b, want_loss = TF1_TRAINING[name]
    np.testing.assert_allclose(w_value.ravel(), want_w, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(b_value, want_b, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(loss_value, want_loss, rtol=5e-5)
    assert steps == 20


def test_control_dependency_orders_assignments():
    """TensorFlow's example: 7 and 4, then 8 when the first assign runs again."""
    with tf.Graph().as_default():
        a = tf.Variable(2.0, name="a")
        b = tf.Variable(3.0, name="b")
        a_op = v1.assign(a, a * 2)
        with tf.control_dependencies([a_op]):
            b_op = v1.assign(b, a + b)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(b_op) == 7.0
            assert sess.run(a) == 4.0
            assert sess.run(a_op) == 8.0


# --------------------------------------------------------------- gradients
FEED = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.7]]
# TensorFlow 2.21, rounded to 6 decimals
TF_GRADIENTS = {
    "gx": [[0.017491, -0.034982], [0.14498, -0.20012], [-0.044734, 0.172525]],
    "gW": [[0.061904, -0.250221], [0.03224, 0.0448]],
    "d1": [[0.75, 3.0], [12.0, 0.1875], [0.27, 1.47]],
    "d2": [[3.0, -6.0], [12.0, 1.5], [-1.8, 4.2]],
    "stopped": [[3.0, -6.0], [12.0, 1.5], [-1.8, 4.2]],
    "grad_ys": [[1.946816, 1.106368], [-0.250486, 0.778289], [1.744988, 1.497544]],
}


@pytest.fixture(scope="module")
def gradient_values():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 2])
        W = tf.Variable([[1.0, -1.0], [0.5, 2.0]])
        h = tf.tanh(tf.matmul(x, W))
        loss = tf.reduce_mean(tf.reduce_sum(h * h, axis=1))
        gx, gW = tf.gradients(loss, [x, W])
        d1 = tf.gradients(x ** 3, x)[0]
        d2 = tf.gradients(d1, x)[0]
        stopped = tf.gradients(tf.reduce_sum(h) + tf.reduce_sum(x * x * 3.0), x,
                               stop_gradients=[h])[0]
        with_grad_ys = tf.gradients(h, x, grad_ys=tf.ones_like(h) * 2.0)[0]
        with tf.Session() as sess:
            sess.run(W.initializer)
            return sess.run({"gx": gx, "gW": gW, "d1": d1, "d2": d2, "stopped": stopped,
                             "grad_ys": with_grad_ys}, {x: FEED})


@pytest.mark.parametrize("name", sorted(TF_GRADIENTS))
def test_symbolic_gradients_match_tensorflow(gradient_values, name):
    np.testing.assert_allclose(gradient_values[name], TF_GRADIENTS[name], rtol=1e-5, atol=2e-6)


def test_gradient_of_an_unconnected_source_is_none_or_zero():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None])
        other = tf.Variable(1.0)
        loss = tf.reduce_sum(x * 2.0)
        assert tf.gradients(loss, [x, other])[1] is None
        zero = tf.gradients(loss, [x, other], unconnected_gradients="zero")[1]
        with tf.Session() as sess:
            sess.run(other.initializer)
            assert sess.run(zero) == 0.0


def test_gradients_in_eager_mode_raise_like_tensorflow():
    with pytest.raises(RuntimeError, match="not supported when eager execution is enabled"):
        tf.gradients(tf.constant(1.0), tf.constant(1.0))


# ------------------------------------------------------------ static shapes
def test_static_shapes_with_an_unknown_batch_match_tensorflow():
    """TensorFlow 2.21's static shapes for a [None, 2, 3] placeholder."""
    with tf.Graph().as_default():
        p = v1.placeholder(tf.float32, [None, 2, 3])
        got = [tf.reshape(p, [-1, 6]).shape, tf.reduce_sum(p, axis=1).shape,
               tf.transpose(p).shape, tf.concat([p, p], 0).shape, tf.concat([p, p], 2).shape,
               tf.expand_dims(p, 1).shape, tf.matmul(tf.reshape(p, [-1, 6]), tf.ones([6, 4])).shape,
               p[:, 0].shape, tf.argmax(p, axis=2).shape, tf.nn.softmax(p).shape]
    assert [tuple(s) for s in got] == [
        (None, 6), (None, 3), (3, 2, None), (None, 2, 3), (None, 2, 6), (None, 1, 2, 3),
        (None, 4), (None, 3), (None, 2), (None, 2, 3)]


def test_broadcasting_an_unknown_dimension_against_a_known_one():
    with tf.Graph().as_default():
        assert tuple((v1.placeholder(tf.float32, [None]) + tf.ones([3])).shape) == (3,)
        assert (v1.placeholder(tf.float32) * 2).shape.rank is None


def test_names_follow_tensorflow():
    with tf.Graph().as_default() as g:
        a = tf.Variable(2.0, name="a")
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        with tf.name_scope("layer"):
            z = tf.add(x, 1.0, name="add")
            z2 = tf.add(x, 1.0, name="add")
        assert (a.name, a.initializer.name, x.name) == ("a:0", "a/Assign", "x:0")
        assert (z.name, z2.name) == ("layer/add:0", "layer/add_1:0")
        assert g.get_tensor_by_name("layer/add:0") is z
