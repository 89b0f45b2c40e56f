"""Gradients through gpugrad.function, cond and while_loop, and whole
training steps traced. Numbers marked TensorFlow 2.21 were produced once by
``tf.function`` / ``tf.cond`` / ``tf.while_loop`` on the CPU."""
import numpy as np
import pytest

import gpugrad as gg

W0 = [[0.5, -1.0], [2.0, 0.25]]
X0 = [[1.0, 2.0], [-0.5, 0.3]]


def cond_loss(w, x):
    y = gg.tanh(gg.matmul(x, w))
    return gg.reduce_sum(gg.cond(gg.reduce_sum(y) > 0, lambda: y * y, lambda: -y))


def test_tape_around_a_call_records_it_as_one_op_with_tensorflows_gradient():
    # TensorFlow 2.21: loss 1.59559095, dloss/dw below
    w = gg.Variable(W0)
    f = gg.function(lambda x: cond_loss(w, x))
    with gg.GradientTape() as tape:
        loss = f(gg.constant(X0))
    np.testing.assert_allclose(loss.numpy(), 1.59559095, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(),
                               [[-0.29732823, -1.10606778], [0.18096296, -1.22620034]],
                               rtol=1e-5)


def test_second_order_gradient_through_a_traced_call():
    # TensorFlow 2.21: d2(x^3)/dx2 at 2 is 12; d2/dw2 of sum(tanh(x w)) likewise by the tape
    cube = gg.function(lambda x: x ** 3)
    x = gg.constant(2.0)
    with gg.GradientTape() as outer:
        outer.watch(x)
        with gg.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        dy = inner.gradient(y, x)
    assert dy.numpy() == 12.0 and outer.gradient(dy, x).numpy() == 12.0

    w = gg.Variable(W0)

    def body(x):
        return gg.reduce_sum(gg.tanh(gg.matmul(x, w)) ** 2)
    results = []
    for fn in (body, gg.function(body)):
        with gg.GradientTape() as outer:
            with gg.GradientTape() as inner:
                loss = fn(gg.constant(X0))
            g = inner.gradient(loss, w)
            total = gg.reduce_sum(g * g)
        results.append(outer.gradient(total, w).numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5)


def test_backward_is_traced_once_and_cached():
    w = gg.Variable(W0)
    f = gg.function(lambda x: gg.reduce_sum(gg.tanh(gg.matmul(x, w))))
    concrete = f.get_concrete_function(gg.constant(X0))
    sizes = []
    for _ in range(3):
        with gg.GradientTape() as tape:
            loss = f(gg.constant(X0))
        tape.gradient(loss, w)
        sizes.append(len(concrete.graph.get_operations()))
    assert sizes[0] == sizes[1] == sizes[2]


def test_gradient_matches_the_untraced_function_for_inputs_and_variables():
    w = gg.Variable(W0)
    x = gg.constant(X0)

    def body(x):
        return gg.reduce_mean(gg.nn.softplus(gg.matmul(x, w)) * x)
    results = []
    for fn in (body, gg.function(body)):
        with gg.GradientTape() as tape:
            tape.watch(x)
            loss = fn(x)
        results.append([g.numpy() for g in tape.gradient(loss, [x, w])])
    for eager, traced in zip(*results):
        np.testing.assert_allclose(traced, eager, rtol=1e-6)


def test_unconnected_source_gets_none():
    a, b = gg.Variable(1.0), gg.Variable(2.0)
    f = gg.function(lambda: a * 3.0)
    with gg.GradientTape() as tape:
        y = f()
    ga, gb = tape.gradient(y, [a, b])
    assert ga.numpy() == 3.0 and gb is None


def test_assign_inside_cuts_the_gradient_path():
    v = gg.Variable(2.0)

    @gg.function
    def f():
        first = v * v                 # reads before the assign: differentiable
        v.assign(10.0)
        return first + v * 1.0        # the assigned value has no gradient path
    with gg.GradientTape() as tape:
        y = f()
    assert y.numpy() == 14.0
    assert tape.gradient(y, v).numpy() == 4.0


def test_tape_inside_the_function():
    # TensorFlow 2.21: d(x^3)/dx at 2 is 12; an unwatched tensor gets None
    @gg.function
    def f(x, z):
        with gg.GradientTape() as tape:
            tape.watch(x)
            y = x ** 3 + z
        gx, gz = tape.gradient(y, [x, z])
        return gx, gz
    gx, gz = f(gg.constant(2.0), gg.constant(1.0))
    assert gx.numpy() == 12.0 and gz is None


def test_while_loop_gradient_through_a_traced_function():
    # TensorFlow 2.21: a = 8.25485325, da/dx = 29.1835899
    x = gg.Variable(1.5)

    @gg.function
    def loop(x):
        _, a = gg.while_loop(lambda i, a: i < 5, lambda i, a: (i + 1, a * x + gg.sin(a)),
                             (0, gg.constant(0.5)))
        return a
    with gg.GradientTape() as tape:
        a = loop(x)
    np.testing.assert_allclose(a.numpy(), 8.25485325, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(a, x).numpy(), 29.1835899, rtol=1e-5)


def test_cond_and_while_loop_eagerly():
    # TensorFlow 2.21 eager: cond gradient 6; while_loop (3, 27) with gradient 27
    x = gg.Variable(3.0)
    with gg.GradientTape() as tape:
        y = gg.cond(x > 2.0, lambda: x * x, lambda: x)
    assert tape.gradient(y, x).numpy() == 6.0
    with gg.GradientTape() as tape:
        i, a = gg.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x),
                             (0, gg.constant(1.0)))
    assert (int(i.numpy()), a.numpy(), tape.gradient(a, x).numpy()) == (3, 27.0, 27.0)


def test_cond_picks_the_branch_per_call():
    f = gg.function(lambda x: gg.cond(x > 2.0, lambda: x * x, lambda: x + 1.0))
    assert f(gg.constant(3.0)).numpy() == 9.0
    assert f(gg.constant(1.0)).numpy() == 2.0
    assert f.experimental_get_tracing_count() == 1


def test_cond_branches_must_agree():
    f = gg.function(lambda x: gg.cond(x > 0, lambda: x, lambda: gg.cast(x, gg.int32)))
    with pytest.raises(TypeError, match="same dtypes"):
        f(gg.constant(1.0))


def test_while_loop_runs_its_effects_each_iteration():
    v = gg.Variable(0.0)

    @gg.function
    def count(n):
        def body(i):
            v.assign_add(1.0)
            return i + 1
        gg.while_loop(lambda i: i < n, body, [gg.constant(0)])
        return v.read_value()
    assert count(gg.constant(4)).numpy() == 4.0
    assert count(gg.constant(2)).numpy() == 6.0


def test_while_loop_shape_change_needs_an_invariant():
    def grow(x):
        return gg.while_loop(lambda x: gg.size(x) < 8, lambda x: gg.concat([x, x], 0), [x])
    with pytest.raises(ValueError, match="shape_invariants"):
        gg.function(grow)(gg.ones([1]))

    @gg.function
    def grow_ok(x):
        return gg.while_loop(lambda x: gg.size(x) < 8, lambda x: gg.concat([x, x], 0), [x],
                             shape_invariants=[gg.TensorShape([None])])
    assert grow_ok(gg.ones([1]))[0].shape.as_list() == [8]


def test_cond_in_a_tensorflow1_graph():
    v1 = gg.compat.v1
    graph = gg.Graph()
    with graph.as_default():
        x = v1.placeholder(gg.float32, [])
        y = gg.cond(x > 0.0, lambda: x * 10.0, lambda: -x)
        (g,) = gg.gradients(y, [x])
        with v1.Session() as sess:
            assert sess.run([y, g], {x: 2.0}) == [20.0, 10.0]
            assert sess.run([y, g], {x: -3.0}) == [3.0, -1.0]


# ----------------------------------------------------------- training step
def _model():
    gg.random.set_seed(7)
    return [gg.Variable(gg.random.normal([8, 16])), gg.Variable(gg.zeros([16])),
            gg.Variable(gg.random.normal([16, 3])), gg.Variable(gg.zeros([3]))]


def _step(variables, optimizer, x, y):
    w1, b1, w2, b2 = variables
    with gg.GradientTape() as tape:
        h = gg.nn.relu(gg.matmul(x, w1) + b1)
        logits = gg.matmul(h, w2) + b2
        loss = gg.reduce_mean(gg.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_traced_training_step_equals_the_eager_one(name):
    rng = np.random.default_rng(0)
    x = gg.constant(rng.normal(size=(32, 8)).astype(np.float32))
    y = gg.constant(rng.integers(0, 3, size=32))
    eager_vars, traced_vars = _model(), _model()
    eager_opt = getattr(gg.optimizers, name)(0.01)
    traced_opt = getattr(gg.optimizers, name)(0.01)
    traced = gg.function(_step)
    for _ in range(10):
        eager_loss = _step(eager_vars, eager_opt, x, y)
        traced_loss = traced(traced_vars, traced_opt, x, y)
    assert traced.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(traced_loss.numpy(), eager_loss.numpy(), rtol=1e-6)
    for a, b in zip(eager_vars, traced_vars):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
    assert int(traced_opt.iterations.numpy()) == 10


def test_minimize_inside_a_traced_function():
    v = gg.Variable(3.0)
    opt = gg.optimizers.SGD(0.1)
    step = gg.function(lambda: opt.minimize(lambda: v * v, [v]))
    for _ in range(3):
        step()
    np.testing.assert_allclose(v.numpy(), 3.0 * 0.8 ** 3, rtol=1e-6)
