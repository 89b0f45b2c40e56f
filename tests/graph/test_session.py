"""Graphs and sessions: deferred execution, feeds, fetches, plans, errors."""
import collections
import tracemalloc

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.errors import FailedPreconditionError, InvalidArgumentError


@pytest.fixture
def graph():
    g = gg.Graph()
    with g.as_default():
        yield g


# ------------------------------------------------------- deferred assignment
def test_an_assign_op_changes_nothing_until_it_runs(graph):
    v = gg.Variable(1.0)
    bump = v.assign_add(10.0)
    with gg.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(v) == 1.0      # built, not run
        assert sess.run(bump) == 11.0
        assert sess.run(v) == 11.0


def test_reading_before_the_initializer_names_the_variable(graph):
    gg.Variable([1.0, 2.0], name="weights")
    with gg.Session() as sess:
        with pytest.raises(FailedPreconditionError, match="'weights'.*uninitialized"):
            sess.run(graph.get_tensor_by_name("weights:0"))


def test_two_sessions_hold_separate_values(graph):
    v = gg.Variable(0.0)
    inc = v.assign_add(1.0)
    first, second = gg.Session(), gg.Session()
    for s in (first, second):
        s.run(gg.global_variables_initializer())
    first.run(inc)
    first.run(inc)
    second.run(inc)
    assert (first.run(v), second.run(v)) == (2.0, 1.0)


def test_assign_checks_dtype_and_shape_when_built(graph):
    v = gg.Variable([1.0, 2.0], name="v")
    with pytest.raises(InvalidArgumentError, match="'v'.*shape"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="'v'.*dtype"):
        v.assign(gg.constant([1, 2]))


def test_each_op_runs_once_per_run(graph):
    v = gg.Variable(0.0)
    inc = v.assign_add(1.0)
    noise = gg.random.normal([3])
    with gg.Session() as sess:
        sess.run(v.initializer)
        a, b, n1, n2 = sess.run([inc, inc, noise, noise])
        assert (a, b, sess.run(v)) == (1.0, 1.0, 1.0)
        np.testing.assert_array_equal(n1, n2)
        assert not np.array_equal(sess.run(noise), n1)   # a new draw on each run


def test_group_tuple_and_no_op(graph):
    a, b = gg.Variable(0.0), gg.Variable(0.0)
    both = gg.group(a.assign(1.0), b.assign(2.0))
    gated = gg.tuple([a + 0.0, b + 0.0], control_inputs=[both])
    with gg.Session() as sess:
        sess.run(gg.global_variables_initializer())
        assert sess.run(gg.no_op()) is None
        assert sess.run(gated) == [1.0, 2.0]


# ------------------------------------------------------------ feeds, fetches
def test_fetches_keep_their_structure(graph):
    Pair = collections.namedtuple("Pair", "left right")
    x = gg.placeholder(gg.float32, [None])
    out = gg.Session().run({"sum": gg.reduce_sum(x), "pair": Pair(x * 2.0, [x + 1.0])},
                           {x: [1.0, 2.0]})
    assert out["sum"] == 3.0
    assert isinstance(out["pair"], Pair)
    np.testing.assert_array_equal(out["pair"].left, [2.0, 4.0])
    np.testing.assert_array_equal(out["pair"].right[0], [2.0, 3.0])


def test_an_unfed_placeholder_is_named(graph):
    x = gg.placeholder(gg.float32, [None, 3], name="images")
    with pytest.raises(InvalidArgumentError, match="placeholder tensor 'images'"):
        gg.Session().run(x * 2.0)


def test_a_feed_of_the_wrong_shape_or_dtype_is_named(graph):
    x = gg.placeholder(gg.float32, [None, 3], name="images")
    labels = gg.placeholder(gg.int32, [None], name="labels")
    sess = gg.Session()
    with pytest.raises(ValueError, match=r"shape \(1, 2\).*images:0.*\(None, 3\)"):
        sess.run(x, {x: [[1.0, 2.0]]})
    with pytest.raises(TypeError, match="labels:0"):
        sess.run(labels, {labels: [0.5, 1.5]})
    assert sess.run(labels, {labels: [1, 2]}).dtype == np.int32


def test_any_tensor_can_be_fed_and_cuts_the_graph(graph):
    x = gg.placeholder(gg.float32, [])
    y = x * 3.0
    z = y + 1.0
    assert gg.Session().run(z, {y: 10.0}) == 11.0     # x need not be fed


def test_fetches_are_copies_of_the_state(graph):
    v = gg.Variable([1.0, 2.0])
    with gg.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(v)
        got[0] = 100.0
        assert sess.run(v)[0] == 1.0


# ------------------------------------------------------------------- plans
def test_plans_are_cached_per_fetch_and_feed_set(graph, monkeypatch):
    x = gg.placeholder(gg.float32, [None])
    y = gg.reduce_sum(x * x)
    sess = gg.Session()
    planned = []
    original = sess._plan
    monkeypatch.setattr(sess, "_plan", lambda *a: planned.append(1) or original(*a))
    for k in range(5):
        assert sess.run(y, {x: np.arange(k + 1, dtype=np.float32)}) == sum(i * i for i in range(k + 1))
    sess.run([y, x * 2.0], {x: [1.0]})
    assert len(planned) == 2


def test_dead_intermediates_are_released(graph):
    """A chain of 20 ops over 8 MB arrays peaks at a few arrays, not 20."""
    x = gg.placeholder(gg.float32, [2_000_000])
    y = x
    for _ in range(20):
        y = y + 1.0
    total = gg.reduce_sum(y)
    sess = gg.Session(device="cpu")
    data = np.zeros(2_000_000, np.float32)
    sess.run(total, {x: data})
    tracemalloc.start()
    try:
        assert sess.run(total, {x: data}) == 40_000_000.0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * data.nbytes, f"peak {peak / 1e6:.0f} MB for 8 MB arrays"


# ------------------------------------------------------------------ errors
def test_a_run_time_error_names_the_op_its_inputs_and_where_it_was_made(graph):
    x = gg.placeholder(gg.float32, [None, None])
    w = gg.ones([3, 2])
    y = gg.matmul(x, w)  # the line the error points at
    with pytest.raises(InvalidArgumentError) as info:
        gg.Session().run(y, {x: np.ones((2, 4), np.float32)})
    text = str(info.value)
    assert "matmul" in text and "[2, 4]" in text and "[3, 2]" in text
    assert f"{__file__}:" in text and info.value.op is y.op


def test_a_finalized_graph_takes_no_new_ops(graph):
    x = gg.constant(1.0)
    graph.finalize()
    with pytest.raises(RuntimeError, match="finalized"):
        x + 1.0


def test_a_closed_session_refuses_to_run(graph):
    sess = gg.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(gg.constant(1.0))


def test_symbolic_tensors_have_no_value_outside_a_session(graph):
    x = gg.placeholder(gg.float32, [2])
    with pytest.raises(TypeError, match="symbolic"):
        x.numpy()
    with pytest.raises(TypeError, match="bool"):
        bool(x)


# ----------------------------------------------------------- eval and run
def test_eval_and_run_use_the_default_session(graph):
    v = gg.Variable(5.0)
    with gg.Session().as_default():
        v.initializer.run()
        assert (v * 2.0).eval() == 10.0
        assert v.eval() == 5.0


def test_eval_without_a_session_says_what_to_do(graph):
    with pytest.raises(ValueError, match="no session"):
        gg.constant(1.0).eval()


# ------------------------------------------------------------ unknown shapes
@pytest.mark.parametrize("batch", [1, 2, 5])
def test_shape_dependent_wrappers_follow_the_fed_batch(graph, batch):
    x = gg.placeholder(gg.float32, [None, 4])
    parts = gg.split(gg.expand_dims(x, 1), 2, axis=2)
    rows = gg.unstack(gg.squeeze(parts[0], axis=1), num=None, axis=1)
    mean = gg.reduce_mean(x)
    data = np.arange(batch * 4, dtype=np.float32).reshape(batch, 4)
    got_rows, got_mean, got_shape = gg.Session().run([rows, mean, gg.shape(x)], {x: data})
    np.testing.assert_array_equal(got_rows[1], data[:, 1])
    assert got_mean == pytest.approx(data.mean())
    assert got_shape.tolist() == [batch, 4]


def test_dropout_draws_its_mask_at_the_fed_shape(graph):
    x = gg.placeholder(gg.float32, [None, 100])
    y = gg.nn.dropout(x, 0.5)
    out = gg.Session().run(y, {x: np.ones((7, 100), np.float32)})
    assert out.shape == (7, 100)
    assert set(np.unique(out)) <= {0.0, 2.0} and 0.3 < (out == 0).mean() < 0.7


# ------------------------------------------------------------------ TF1 mode
def test_disable_eager_execution_sends_ops_to_the_default_graph():
    gg.reset_default_graph()
    gg.disable_eager_execution()
    try:
        assert not gg.executing_eagerly()
        x = gg.placeholder(gg.float32, [], name="x")
        assert x.graph is gg.get_default_graph()
        with gg.Session() as sess:
            assert sess.run(x * 2.0, {"x:0": 21.0}) == 42.0
    finally:
        gg.enable_eager_execution()
        gg.reset_default_graph()
    assert gg.executing_eagerly()


def test_placeholder_in_eager_mode_raises_like_tensorflow():
    with pytest.raises(RuntimeError, match="not compatible with eager execution"):
        gg.placeholder(gg.float32)


def test_compat_v1_exposes_the_tensorflow_1_names():
    v1 = gg.compat.v1
    for name in ["Session", "placeholder", "global_variables_initializer", "assign",
                 "assign_add", "Variable", "get_default_graph", "gradients",
                 "random_normal", "truncated_normal", "disable_eager_execution"]:
        assert hasattr(v1, name), name
    assert v1.train.AdamOptimizer is gg.train.AdamOptimizer


# -------------------------------------------------------------- optimizers
@pytest.mark.parametrize("make", [
    lambda: gg.optimizers.Adam(0.1),
    lambda: gg.optimizers.AdamW(0.1, weight_decay=0.05, clipnorm=0.5),
    lambda: gg.optimizers.SGD(0.1, momentum=0.9, global_clipnorm=0.3),
    lambda: gg.optimizers.RMSprop(0.01, centered=True, clipvalue=0.01),
], ids=["adam", "adamw-clipnorm", "momentum-global-clipnorm", "rmsprop-clipvalue"])
def test_minimize_in_a_graph_matches_the_eager_step(graph, make):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((16, 5)).astype(np.float32)
    labels = rng.integers(0, 3, 16).astype(np.int32)
    start = rng.standard_normal((5, 3)).astype(np.float32)

    def loss_of(w, x, y):
        return gg.reduce_mean(gg.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=gg.matmul(x, w)))

    x = gg.placeholder(gg.float32, [None, 5])
    y = gg.placeholder(gg.int32, [None])
    w = gg.Variable(start)
    train = make().minimize(loss_of(w, x, y))
    with gg.Session() as sess:
        sess.run(gg.global_variables_initializer())
        for _ in range(5):
            sess.run(train, {x: data, y: labels})
        in_graph = sess.run(w)
    with gg.context.eager_scope():      # the same steps, eagerly
        we = gg.Variable(start)
        opt = make()
        for _ in range(5):
            opt.minimize(lambda: loss_of(we, gg.constant(data), gg.constant(labels)), [we])
        eager = we.numpy()
    np.testing.assert_allclose(in_graph, eager, rtol=1e-6, atol=1e-7)


def test_optimizer_state_is_in_the_global_variables(graph):
    w = gg.Variable([1.0, 2.0], name="w")
    opt = gg.optimizers.Adam(0.1)
    train = opt.minimize(gg.reduce_sum(w * w))
    names = {v.name for v in gg.global_variables()}
    assert {"w:0", "w/adam/momentum:0", "w/adam/velocity:0"} <= names
    with gg.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(FailedPreconditionError, match="uninitialized"):
            sess.run(train)
        assert sess.run(w).tolist() == [1.0, 2.0]   # nothing changed
        sess.run(gg.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.9, 1.9], rtol=1e-5)


def test_apply_gradients_rejects_a_gradient_of_the_wrong_shape(graph):
    w = gg.Variable([1.0, 2.0], name="w")
    with pytest.raises(InvalidArgumentError, match="'w:0'"):
        gg.optimizers.SGD(0.1).apply_gradients([(gg.constant([1.0, 2.0, 3.0]), w)])


def test_gradient_with_respect_to_a_variable_sums_its_reads(graph):
    w = gg.Variable(3.0)
    loss = w * w + w          # three reads
    (grad,) = gg.gradients(loss, [w])
    with gg.Session() as sess:
        sess.run(w.initializer)
        assert sess.run(grad) == 7.0


# ------------------------------------------------------------------ devices
def test_one_graph_runs_on_every_device(device):
    with gg.Graph().as_default():
        x = gg.placeholder(gg.float32, [None, 2])
        w = gg.Variable([[1.0], [-1.0]])
        loss = gg.reduce_mean(gg.square(gg.matmul(x, w)))
        (grad,) = gg.gradients(loss, [w])
        with gg.Session(device=device) as sess:
            assert sess.device.startswith(device)
            sess.run(w.initializer)
            value, g = sess.run([loss, grad], {x: [[1.0, 2.0], [3.0, 1.0]]})
    assert value == pytest.approx(2.5)
    np.testing.assert_allclose(g, [[5.0], [0.0]])


# ------------------------------------------------- edge cases, TensorFlow's way
def test_stop_gradients_block_at_the_stopped_tensor_only(graph):
    """TensorFlow's documented example: both gradients are 1."""
    a = gg.constant(0.0)
    b = 2.0 * a
    grads = gg.gradients(a + b, [a, b], stop_gradients=[a, b])
    assert gg.Session().run(grads) == [1.0, 1.0]
    t = gg.placeholder(gg.float32, [])
    a2 = t * 2.0
    g_t, g_a2 = gg.gradients(a2 * 3.0, [t, a2], stop_gradients=[a2])
    assert g_t is None and gg.Session().run(g_a2, {t: 1.0}) == 3.0


def test_a_fed_output_of_a_multi_output_op_keeps_the_fed_value(graph):
    x = gg.placeholder(gg.float32, [4])
    left, right = gg.split(x, 2)
    out = gg.Session().run(left + right, {x: [1.0] * 4, left: [100.0, 100.0]})
    assert out.tolist() == [101.0, 101.0]


def test_reshape_with_an_unknown_batch_keeps_it_unknown(graph):
    r = gg.reshape(gg.placeholder(gg.float32, [None, 3]), [-1, 6])
    assert tuple(r.shape) == (None, 6)


def test_random_draws_shaped_like_a_fed_tensor(graph):
    x = gg.placeholder(gg.float32, [None, 3])
    noisy = x + gg.random.normal(gg.shape(x))
    assert tuple(noisy.shape) == (None, 3)
    assert gg.Session().run(noisy, {x: np.zeros((4, 3), np.float32)}).shape == (4, 3)


def test_an_axis_on_an_input_of_unknown_rank_says_so(graph):
    with pytest.raises(InvalidArgumentError, match="rank.*not known"):
        gg.reduce_sum(gg.placeholder(gg.float32), axis=0)


def test_a_variable_assigned_from_a_feed_does_not_share_the_callers_array(graph):
    v = gg.Variable([0.0, 0.0])
    p = gg.placeholder(gg.float32, [2])
    set_v = v.assign(p)
    c = gg.constant([1.0, 2.0])
    with gg.Session(device="cpu") as sess:
        sess.run(v.initializer)
        data = np.array([1.0, 2.0], np.float32)
        sess.run(set_v, {p: data})
        data[0] = 100.0
        assert sess.run(v).tolist() == [1.0, 2.0]
        got = sess.run(c)
        got[0] = 100.0
        assert sess.run(c).tolist() == [1.0, 2.0]


# ------------------------------------------------------------- buffer reuse
def test_gradient_nodes_keep_only_the_values_their_rule_needs(graph):
    """Backward through 20 ops over 8 MB arrays holds a handful of them (the
    feed's copy, the forward's last value, the gradients in flight), not the
    20 forward values: ``h * 2 + 1`` needs none of them for its gradient."""
    x = gg.placeholder(gg.float32, [2_000_000])
    h = x
    for _ in range(10):
        h = h * 2.0 + 1.0
    (grad,) = gg.gradients(gg.reduce_sum(h), [x])
    data = np.zeros(2_000_000, np.float32)
    sess = gg.Session(device="cpu")
    sess.run(grad, {x: data})
    tracemalloc.start()
    try:
        out = sess.run(grad, {x: data})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out[0] == 2.0 ** 10
    assert peak < 8 * data.nbytes, f"peak {peak / 1e6:.0f} MB for 8 MB arrays"


def test_in_place_reuse_never_touches_feeds_or_fetched_values(graph):
    x = gg.placeholder(gg.float32, [3])
    w = gg.Variable([[1.0, 2.0, 3.0]])
    z = gg.matmul(gg.reshape(x, [1, 3]), w, transpose_b=True)   # a fresh array
    a = z + 1.0          # may write into z: z dies here unless fetched
    r = gg.nn.relu(a - 10.0)
    data = np.array([1.0, 2.0, 3.0], np.float32)
    with gg.Session() as sess:
        sess.run(w.initializer)
        z_value, a_value, r_value = sess.run([z, a, r], {x: data})
        assert (z_value.item(), a_value.item(), r_value.item()) == (14.0, 15.0, 5.0)
        assert sess.run(r, {x: data}).item() == 5.0
    assert data.tolist() == [1.0, 2.0, 3.0]


def test_the_tensorflow_1_softmax_tutorial_runs_unchanged():
    """TensorFlow 1's MNIST-for-beginners code, on separable synthetic data."""
    import gpugrad as tf
    tf.reset_default_graph()
    tf.compat.v1.disable_eager_execution()
    sess = None
    try:
        x = tf.placeholder(tf.float32, [None, 784])
        W = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))
        y = tf.nn.softmax(tf.matmul(x, W) + b)
        y_ = tf.placeholder(tf.float32, [None, 10])
        cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))
        train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
        sess = tf.InteractiveSession()
        tf.global_variables_initializer().run()
        rng = np.random.default_rng(0)
        centers = rng.standard_normal((10, 784)).astype(np.float32)

        def batch():
            labels = rng.integers(0, 10, 100)
            return (centers[labels] + 0.5 * rng.standard_normal((100, 784)).astype(np.float32),
                    np.eye(10, dtype=np.float32)[labels])
        for _ in range(20):
            xs, ys = batch()
            sess.run(train_step, feed_dict={x: xs, y_: ys})
        correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        xs, ys = batch()
        assert accuracy.eval(feed_dict={x: xs, y_: ys}) > 0.95
    finally:
        if sess is not None:
            sess.close()
        tf.enable_eager_execution()
        tf.reset_default_graph()
    assert gg.get_default_session() is None


def test_the_graph_being_built_is_per_thread():
    """A thread computing eagerly (or running a session) is not pulled into
    another thread's graph, as with TensorFlow's thread-local default graph."""
    import threading
    from gpugrad.graph import GraphTensor
    results = []
    other = gg.Graph()
    with other.as_default():
        y = gg.placeholder(gg.float32, []) * 2.0
    sess = gg.Session(graph=other)

    def work():
        results.append(float((gg.constant(2.0) * 3.0).numpy()))
        results.append(float(sess.run(y, {y.op.inputs[0]: 5.0})))

    with gg.Graph().as_default():
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert isinstance(gg.constant(1.0) * 2.0, GraphTensor)
    assert results == [6.0, 10.0]
