"""Behaviour pinned against real TensorFlow.

Every expected value in this file was recorded from TensorFlow 2.21.0
(the ``tensorflow-cpu`` wheel, CPU, eager mode) on 2026-11-22, by running
scratch scripts whose logic is reproduced verbatim in each test below, with
``import tensorflow as tf`` in place of ``import gpugrad as tf``.  The numbers
are literals copied from TensorFlow's output; nothing here computes its own
expected result.  TensorFlow is NOT needed to run these tests and must not be
installed as a dependency of gpugrad.

Conventions:
* float32 results are compared with ``numpy.testing.assert_allclose`` at
  ``rtol=1e-6`` (NaN == NaN and inf == inf, as assert_allclose does), after
  checking the dtype and the shape.
* Where TensorFlow raised ``tf.errors.InvalidArgumentError`` the test expects
  ``tf.errors.InvalidArgumentError``; where it raised a builtin (RuntimeError,
  TypeError, ValueError) the test expects that builtin.  TensorFlow's message
  is quoted in a comment; messages are not asserted.
* Reprs (not asserted, gpugrad's prefix differs):
    repr(tf.constant([1., 2.])) ->
        <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>
    repr(tf.Variable(1.)) ->
        <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>
    repr(tf.constant(1)) -> <tf.Tensor: shape=(), dtype=int32, numpy=1>
    str(tf.constant([1., 2.])) -> tf.Tensor([1. 2.], shape=(2,), dtype=float32)
"""

import numpy as np
import pytest

import gpugrad as tf


def check(actual, expected, dtype=None, rtol=1e-6, atol=0.0):
    """Assert a tensor's dtype, shape and values against TF's recorded output."""
    assert actual is not None, "expected a tensor, got None"
    if dtype is None:
        dtype = tf.float32
    assert actual.dtype == dtype, f"dtype {actual.dtype!r} != {dtype!r}"
    expected = np.asarray(expected)
    assert tuple(actual.shape) == expected.shape, (
        f"shape {tuple(actual.shape)} != {expected.shape}")
    np.testing.assert_allclose(actual.numpy(), expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# Variable assignment and gradients
# ---------------------------------------------------------------------------

def test_assign_before_tape_uses_new_value():
    v = tf.Variable(2.0)
    v.assign(5.0)
    with tf.GradientTape() as t:
        y = v * v
    check(y, 25.0)
    check(t.gradient(y, v), 10.0)


def test_assign_inside_tape_between_reads_sums_both_reads():
    # Each read is recorded with the value it saw: 2*2 + 2*3 = 10.
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y1 = v * v
        v.assign(3.0)
        y2 = v * v
        z = y1 + y2
    check(y1, 4.0)
    check(y2, 9.0)
    check(z, 13.0)
    check(t.gradient(z, v), 10.0)


def test_assign_inside_tape_each_read_keeps_its_own_value():
    v = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        y1 = v * v
        v.assign(3.0)
        y2 = v * v
    check(t.gradient(y1, v), 4.0)
    check(t.gradient(y2, v), 6.0)


def test_assign_inside_tape_breaks_gradient_path():
    # v.assign(v * 3) is not differentiated through: y = v*v is treated as a
    # fresh read of v == 6, so dy/dv = 2*6 = 12 (not d(9v^2)/dv = 36).
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        v.assign(v * 3.0)
        y = v * v
    check(v.read_value(), 6.0)
    check(y, 36.0)
    check(t.gradient(y, v), 12.0)


def test_gradient_to_assigned_value_is_none():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        a = v * 3.0
        v.assign(a)
        y = v * v
    assert t.gradient(y, a) is None


def test_assign_after_tape_gradient_uses_recorded_value():
    # Recorded at v == 2: d(v^3)/dv = 12 (not 300 for v == 10).
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = v * v * v
    v.assign(10.0)
    check(t.gradient(y, v), 12.0)


def test_assign_add_inside_tape():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y1 = v * v
        v.assign_add(1.0)
        y2 = v * v
        z = y1 + y2
    check(v.read_value(), 3.0)
    check(z, 13.0)
    check(t.gradient(z, v), 10.0)


def test_assign_sub_inside_tape():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        v.assign_sub(0.5)
        y = v * v * v
    check(v.read_value(), 1.5)
    check(y, 3.375)
    check(t.gradient(y, v), 6.75)


def test_reads_taken_before_assign_keep_old_value():
    v = tf.Variable(2.0)
    r = v.read_value()
    val = v.value()
    i = tf.identity(v)
    c = tf.convert_to_tensor(v)
    v.assign(7.0)
    check(r, 2.0)
    check(val, 2.0)
    check(i, 2.0)
    check(c, 2.0)
    check(v.read_value(), 7.0)


def test_gradient_wrt_read_tensor_vs_variable():
    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        r = v.read_value()
        y = r * r
        z = v * v  # a separate read, not through r
    check(t.gradient(y, r), 6.0)
    check(t.gradient(y, v), 6.0)
    assert t.gradient(z, r) is None
    check(t.gradient(z, v), 6.0)


def test_gradient_wrt_identity_of_variable():
    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        r = tf.identity(v)
        y = r * r * r
    check(t.gradient(y, r), 27.0)
    check(t.gradient(y, v), 27.0)


# ---------------------------------------------------------------------------
# Watching
# ---------------------------------------------------------------------------

def test_trainable_variable_watched_automatically():
    v = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = v * v
    check(t.gradient(y, v), 6.0)


def test_non_trainable_variable_needs_explicit_watch():
    v = tf.Variable(3.0, trainable=False)
    with tf.GradientTape() as t:
        y = v * v
    assert t.gradient(y, v) is None
    with tf.GradientTape() as t:
        t.watch(v)
        y = v * v
    check(t.gradient(y, v), 6.0)


def test_constant_needs_explicit_watch():
    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        y = x * x
    assert t.gradient(y, x) is None
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    check(t.gradient(y, x), 6.0)


def test_watch_after_use_records_only_later_ops():
    # y = x*x happened before watch, so it is a constant 9 to the tape.
    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        y = x * x
        t.watch(x)
        z = y * x
    check(t.gradient(z, x), 9.0)


def test_watch_accessed_variables_false():
    v = tf.Variable(3.0, name="v")
    w = tf.Variable(4.0, name="w")
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(w)
        y = v * w
    gv, gw = t.gradient(y, [v, w])
    assert gv is None
    check(gw, 3.0)
    assert [x.name for x in t.watched_variables()] == ["w:0"]


def test_watched_variables_ordered_by_creation_and_deduplicated():
    # TF returns a tuple ordered by variable creation, not by access order.
    z = tf.Variable(1.0, name="z")
    a = tf.Variable(2.0, name="a")
    m = tf.Variable(3.0, name="m")
    with tf.GradientTape() as t:
        y = m * a * z
    assert [x.name for x in t.watched_variables()] == ["z:0", "a:0", "m:0"]
    with tf.GradientTape() as t:
        t.watch(m)
        t.watch(z)
        t.watch(m)
    watched = t.watched_variables()
    assert isinstance(watched, tuple)
    assert [x.name for x in watched] == ["z:0", "m:0"]


# ---------------------------------------------------------------------------
# gradient() arguments and results
# ---------------------------------------------------------------------------

def test_unconnected_source_gives_none_or_zeros():
    x = tf.Variable([1.0, 2.0, 3.0])
    u = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    ud = tf.Variable([1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as t:
        y = tf.reduce_sum(x * 2.0)
    assert t.gradient(y, u) is None
    check(t.gradient(y, u, unconnected_gradients=tf.UnconnectedGradients.ZERO),
          [[0.0, 0.0], [0.0, 0.0]])
    check(t.gradient(y, u, unconnected_gradients="zero"),
          [[0.0, 0.0], [0.0, 0.0]])
    check(t.gradient(y, ud, unconnected_gradients=tf.UnconnectedGradients.ZERO),
          [0.0, 0.0], dtype=tf.float64)
    assert tf.UnconnectedGradients.ZERO.value == "zero"
    assert tf.UnconnectedGradients.NONE.value == "none"


def test_non_scalar_target_is_summed():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = x * x
    check(t.gradient(y, x), [2.0, 4.0, 6.0])


def test_list_of_targets_is_summed():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y1 = x * x
        y2 = x * 3.0
        y3 = x * x * x
    check(t.gradient([y1, y2, y3], x), 19.0)


def test_nested_sources_keep_their_structure():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    c = tf.Variable(3.0)
    d = tf.Variable(4.0)
    with tf.GradientTape(persistent=True) as t:
        y = a * b * c + d
    gl = t.gradient(y, [a, b])
    gt = t.gradient(y, (a, b))
    gd = t.gradient(y, {"x": a, "y": [b, c], "z": (d,)})
    assert isinstance(gl, list) and len(gl) == 2
    check(gl[0], 6.0)
    check(gl[1], 3.0)
    assert isinstance(gt, tuple) and len(gt) == 2
    check(gt[0], 6.0)
    check(gt[1], 3.0)
    assert isinstance(gd, dict) and sorted(gd) == ["x", "y", "z"]
    check(gd["x"], 6.0)
    assert isinstance(gd["y"], list)
    check(gd["y"][0], 3.0)
    check(gd["y"][1], 2.0)
    assert isinstance(gd["z"], tuple) and len(gd["z"]) == 1
    check(gd["z"][0], 1.0)


def test_integer_source_gradient_is_none():
    # TF logs (once, at watch time):
    #   WARNING:tensorflow:The dtype of the watched tensor must be floating
    #   (e.g. tf.float32), got tf.int32
    # and gradient() itself logs nothing more.
    x = tf.constant(3)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    check(y, 9, dtype=tf.int32)
    assert t.gradient(y, x) is None


def test_output_gradients_weight_the_target():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = x * x
    g = t.gradient(y, x, output_gradients=tf.constant([1.0, 10.0, 100.0]))
    check(g, [2.0, 40.0, 600.0])


def test_non_persistent_tape_second_gradient_raises():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = x * x
    check(t.gradient(y, x), 6.0)
    # TF: RuntimeError: A non-persistent GradientTape can only be used to
    #     compute one set of gradients (or jacobians)
    with pytest.raises(RuntimeError):
        t.gradient(y, x)


def test_persistent_tape_allows_many_gradients():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        z = x * x * x
    check(t.gradient(y, x), 6.0)
    check(t.gradient(z, x), 27.0)
    check(t.gradient(y, x), 6.0)


def test_tape_reset_discards_earlier_operations():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        t.reset()
        z = x * x * x
    assert t.gradient(y, x) is None
    check(t.gradient(z, x), 27.0)


def test_stop_recording_inside_tape():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = x * x
        with t.stop_recording():
            z = x * x * x
        w = y + z
    check(w, 36.0)
    check(t.gradient(w, x), 6.0)


def test_stop_recording_outside_tape_raises():
    t = tf.GradientTape()
    # TF: RuntimeError: Trying to stop recording a tape which is not recording.
    with pytest.raises(RuntimeError):
        with t.stop_recording():
            pass


# ---------------------------------------------------------------------------
# Nested tapes / higher order
# ---------------------------------------------------------------------------

def test_second_derivative_of_cube():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x ** 3
        g = t1.gradient(y, x)
    check(y, 27.0)
    check(g, 27.0)
    check(t2.gradient(g, x), 18.0)


@pytest.mark.parametrize(
    "name, x0, expected",
    [
        ("sin", 0.5, (0.47942555, 0.87758255, -0.47942555)),
        ("exp", 0.5, (1.6487212, 1.6487212, 1.6487212)),
        ("tanh", 0.5, (0.46211714, 0.78644776, -0.72686195)),
        ("sigmoid", 0.5, (0.62245935, 0.23500371, -0.0575568)),
        ("log", 2.0, (0.6931472, 0.5, -0.25)),
        ("sqrt", 4.0, (2.0, 0.25, -0.03125)),
    ],
)
def test_second_derivative_of_elementary_function(name, x0, expected):
    f = {"sin": tf.sin, "exp": tf.exp, "tanh": tf.tanh, "sigmoid": tf.sigmoid,
         "log": tf.math.log, "sqrt": tf.sqrt}[name]
    x = tf.Variable(x0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = f(x)
        g = t1.gradient(y, x)
    h = t2.gradient(g, x)
    check(y, expected[0])
    check(g, expected[1])
    check(h, expected[2])


def test_third_derivative_of_x_to_the_fourth():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x ** 4
            g1 = t1.gradient(y, x)
        g2 = t2.gradient(g1, x)
    g3 = t3.gradient(g2, x)
    check(y, 16.0)
    check(g1, 32.0)
    check(g2, 48.0)
    check(g3, 48.0)


def test_mixed_partial_derivatives():
    x = tf.Variable(2.0)
    y = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t2:
        with tf.GradientTape() as t1:
            z = x * x * y + y * y * y
        gx, gy = t1.gradient(z, [x, y])
    check(gx, 12.0)
    check(gy, 31.0)
    dxx, dxy = t2.gradient(gx, [x, y])
    dyx, dyy = t2.gradient(gy, [x, y])
    check(dxx, 6.0)
    check(dxy, 4.0)
    check(dyx, 4.0)
    check(dyy, 18.0)


def test_second_derivative_of_product_xy():
    # d/dx (x*y) = y; its gradient wrt x is unconnected (None), wrt y is 1.
    x = tf.Variable(2.0)
    y = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t2:
        with tf.GradientTape() as t1:
            z = x * y
        gx = t1.gradient(z, x)
    check(gx, 3.0)
    dgx_dx, dgx_dy = t2.gradient(gx, [x, y])
    assert dgx_dx is None
    check(dgx_dy, 1.0)


def test_second_derivative_of_linear_function_is_none():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x * 3.0
        g = t1.gradient(y, x)
    check(g, 3.0)
    assert t2.gradient(g, x) is None


# ---------------------------------------------------------------------------
# Gradient of particular ops
# ---------------------------------------------------------------------------

def test_stop_gradient_blocks_one_factor():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = x * tf.stop_gradient(x) + x
    check(y, 12.0)
    check(t.gradient(y, x), 4.0)


def test_cast_float32_to_float64_gradient_has_source_dtype():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = tf.cast(x, tf.float64) ** 2
    check(y, 9.0, dtype=tf.float64)
    check(t.gradient(y, x), 6.0, dtype=tf.float32)


def test_cast_through_integer_blocks_gradient():
    x = tf.Variable(3.7)
    with tf.GradientTape() as t:
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * 2.0
    check(y, 6.0)
    assert t.gradient(y, x) is None


def test_where_routes_gradient_to_selected_branch():
    x = tf.Variable([-2.0, 1.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.where(x > 0, x * x, x * 3.0)
    check(y, [-6.0, 1.0, 9.0])
    check(t.gradient(y, x), [3.0, 2.0, 6.0])


@pytest.mark.parametrize("x0", [0.0, -1.0])
def test_where_sqrt_unselected_branch_gives_zero_not_nan(x0):
    # TF's SqrtGrad returns 0 where the incoming gradient is 0, so the
    # unselected sqrt branch (sqrt(0) = 0 or sqrt(-1) = nan) gives 0, not NaN.
    x = tf.Variable([x0, 4.0])
    with tf.GradientTape() as t:
        y = tf.where(x > 0, tf.sqrt(x), 0.0)
    check(y, [0.0, 2.0])
    check(t.gradient(y, x), [0.0, 0.25])


def test_where_log_unselected_branch_gives_nan():
    # Unlike sqrt, log's gradient is dy * (1/x) = 0 * inf = NaN at x == 0.
    x = tf.Variable([0.0, 2.0])
    with tf.GradientTape() as t:
        y = tf.where(x > 0, tf.math.log(x), tf.zeros_like(x))
    check(y, [0.0, 0.6931472])
    check(t.gradient(y, x), [np.nan, 0.5])


def test_sqrt_gradient_at_zero_is_inf():
    x = tf.Variable([0.0, 4.0])
    with tf.GradientTape() as t:
        y = tf.sqrt(x)
    check(t.gradient(y, x), [np.inf, 0.25])


def test_abs_gradient_at_zero_is_zero():
    x = tf.Variable([-2.0, 0.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.abs(x)
    check(t.gradient(y, x), [-1.0, 0.0, 1.0])


def test_sign_gradient_is_zero():
    x = tf.Variable([-2.0, 0.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.sign(x)
    check(y, [-1.0, 0.0, 1.0])
    check(t.gradient(y, x), [0.0, 0.0, 0.0])


def test_relu_gradient_at_zero_is_zero():
    x = tf.Variable([-1.0, 0.0, 2.0])
    with tf.GradientTape() as t:
        y = tf.nn.relu(x)
    check(t.gradient(y, x), [0.0, 0.0, 1.0])


def test_maximum_minimum_ties_send_gradient_to_first_argument():
    x = tf.Variable([1.0, 2.0, 3.0])
    y = tf.Variable([2.0, 2.0, 1.0])
    with tf.GradientTape(persistent=True) as t:
        m = tf.maximum(x, y)
        n = tf.minimum(x, y)
    check(m, [2.0, 2.0, 3.0])
    gx, gy = t.gradient(m, [x, y])
    check(gx, [0.0, 1.0, 1.0])
    check(gy, [1.0, 0.0, 0.0])
    check(n, [1.0, 2.0, 1.0])
    gx, gy = t.gradient(n, [x, y])
    check(gx, [1.0, 1.0, 0.0])
    check(gy, [0.0, 0.0, 1.0])


def test_maximum_of_tensor_with_itself_gradient_is_one():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        m = tf.maximum(x, x)
    check(t.gradient(m, x), 1.0)


def test_maximum_with_zero_constant_gradient_at_tie_is_one():
    # Unlike relu (0 at x == 0), tf.maximum(x, 0.) gives x the gradient on ties.
    x = tf.Variable([0.0, 1.0, -1.0])
    with tf.GradientTape() as t:
        m = tf.maximum(x, 0.0)
    check(t.gradient(m, x), [1.0, 1.0, 0.0])


def test_clip_by_value_gradient_passes_at_bounds():
    x = tf.Variable([-2.0, -1.0, 0.0, 1.0, 2.0])
    with tf.GradientTape() as t:
        y = tf.clip_by_value(x, -1.0, 1.0)
    check(y, [-1.0, -1.0, 0.0, 1.0, 1.0])
    check(t.gradient(y, x), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_by_value_gradient_wrt_bounds():
    x = tf.Variable([-2.0, 0.0, 2.0])
    lo = tf.Variable(-1.0)
    hi = tf.Variable(1.0)
    with tf.GradientTape() as t:
        y = tf.clip_by_value(x, lo, hi)
    gx, glo, ghi = t.gradient(y, [x, lo, hi])
    check(gx, [0.0, 1.0, 0.0])
    check(glo, 1.0)
    check(ghi, 1.0)


def test_reduce_max_ties_split_gradient_equally():
    x = tf.Variable([1.0, 3.0, 3.0, 2.0])
    with tf.GradientTape() as t:
        y = tf.reduce_max(x)
    check(t.gradient(y, x), [0.0, 0.5, 0.5, 0.0])
    x = tf.Variable([3.0, 3.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.reduce_max(x)
    check(t.gradient(y, x), [0.33333334, 0.33333334, 0.33333334])


def test_reduce_max_along_axis_ties():
    x = tf.Variable([[1.0, 1.0], [2.0, 0.0]])
    with tf.GradientTape() as t:
        y = tf.reduce_max(x, axis=1)
    check(y, [1.0, 2.0])
    check(t.gradient(y, x), [[0.5, 0.5], [1.0, 0.0]])


def test_reduce_logsumexp_value_and_gradient():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.math.reduce_logsumexp(x)
    check(y, 3.407606)
    check(t.gradient(y, x), [0.09003057, 0.24472848, 0.66524094])


def test_reduce_logsumexp_is_stable_for_large_inputs():
    x = tf.Variable([1000.0, 1000.0])
    with tf.GradientTape() as t:
        y = tf.math.reduce_logsumexp(x)
    check(y, 1000.6932)
    check(t.gradient(y, x), [0.5, 0.5])


def test_reduce_prod_gradient_with_a_zero():
    x = tf.Variable([2.0, 0.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.reduce_prod(x)
    check(t.gradient(y, x), [0.0, 6.0, 0.0])


def test_pow_gradients_at_zero_base():
    x = tf.Variable(0.0)
    with tf.GradientTape() as t:
        y = x ** 2.0
    check(t.gradient(y, x), 0.0)
    x = tf.Variable(0.0)
    with tf.GradientTape() as t:
        y = x ** 0.5
    check(t.gradient(y, x), np.inf)
    # Gradient wrt the exponent at base 0 is 0 (TF masks log(0)), not NaN.
    x = tf.Variable(0.0)
    p = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = x ** p
    gx, gp = t.gradient(y, [x, p])
    check(gx, 0.0)
    check(gp, 0.0)


def test_norm_gradient_at_zero_is_nan():
    x = tf.Variable([0.0, 0.0])
    with tf.GradientTape() as t:
        y = tf.norm(x)
    check(y, 0.0)
    check(t.gradient(y, x), [np.nan, np.nan])


# ---------------------------------------------------------------------------
# Broadcasting and matmul
# ---------------------------------------------------------------------------

def test_broadcast_add_gradients_reduce_to_input_shapes():
    x = tf.Variable([[1.0], [2.0], [3.0]])
    y = tf.Variable([[10.0, 20.0, 30.0, 40.0]])
    with tf.GradientTape() as t:
        z = x + y
    assert tuple(z.shape) == (3, 4)
    gx, gy = t.gradient(z, [x, y])
    check(gx, [[4.0], [4.0], [4.0]])
    check(gy, [[3.0, 3.0, 3.0, 3.0]])


def test_broadcast_mul_gradients():
    x = tf.Variable([[1.0], [2.0], [3.0]])
    y = tf.Variable([[1.0, 2.0, 3.0, 4.0]])
    with tf.GradientTape() as t:
        z = x * y
    gx, gy = t.gradient(z, [x, y])
    check(gx, [[10.0], [10.0], [10.0]])
    check(gy, [[6.0, 6.0, 6.0, 6.0]])


def test_broadcast_rank_difference_gradients():
    x = tf.Variable([1.0, 2.0, 3.0])
    y = tf.Variable([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    with tf.GradientTape() as t:
        z = x * y
    gx, gy = t.gradient(z, [x, y])
    check(gx, [3.0, 3.0, 3.0])
    check(gy, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_batched_matmul_transpose_a_and_b_gradients():
    a = tf.Variable(tf.reshape(tf.range(12, dtype=tf.float32), (2, 3, 2)))
    b = tf.Variable(tf.reshape(tf.range(12, dtype=tf.float32) / 4.0, (2, 2, 3)))
    with tf.GradientTape() as t:
        c = tf.matmul(a, b, transpose_a=True, transpose_b=True)
        loss = tf.reduce_sum(c * tf.reshape(tf.range(8, dtype=tf.float32), (2, 2, 2)))
    check(c, [[[2.5, 7.0], [3.25, 10.0]], [[43.0, 61.0], [48.25, 68.5]]])
    check(loss, 1289.5)
    ga, gb = t.gradient(loss, [a, b])
    check(ga, [[[0.75, 2.25], [1.0, 3.5], [1.25, 4.75]],
               [[17.25, 24.75], [19.5, 28.0], [21.75, 31.25]]])
    check(gb, [[[2.0, 6.0, 10.0], [3.0, 11.0, 19.0]],
               [[66.0, 86.0, 106.0], [79.0, 103.0, 127.0]]])


def test_matmul_broadcast_batch_gradient():
    a = tf.Variable(tf.ones((2, 2, 3)))
    b = tf.Variable([[1.0], [2.0], [3.0]])
    with tf.GradientTape() as t:
        c = tf.matmul(a, b)
    check(c, [[[6.0], [6.0]], [[6.0], [6.0]]])
    ga, gb = t.gradient(c, [a, b])
    check(ga, [[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]])
    check(gb, [[4.0], [4.0], [4.0]])


# ---------------------------------------------------------------------------
# Indexing and gather
# ---------------------------------------------------------------------------

def test_getitem_slice_step_and_index_gradients():
    x = tf.Variable([1.0, 2.0, 3.0, 4.0, 5.0])
    with tf.GradientTape(persistent=True) as t:
        a = x[1:3]
        b = x[::2]
        e = x[-1]
    check(a, [2.0, 3.0])
    check(t.gradient(a, x), [0.0, 1.0, 1.0, 0.0, 0.0])
    check(b, [1.0, 3.0, 5.0])
    check(t.gradient(b, x), [1.0, 0.0, 1.0, 0.0, 1.0])
    check(e, 5.0)
    check(t.gradient(e, x), [0.0, 0.0, 0.0, 0.0, 1.0])


def test_getitem_newaxis_gradient():
    x = tf.Variable([1.0, 2.0, 3.0, 4.0, 5.0])
    with tf.GradientTape(persistent=True) as t:
        c = x[None]
        d = x[tf.newaxis, :, tf.newaxis]
    check(c, [[1.0, 2.0, 3.0, 4.0, 5.0]])
    assert tuple(d.shape) == (1, 5, 1)
    check(t.gradient(c, x), [1.0, 1.0, 1.0, 1.0, 1.0])


def test_getitem_ellipsis_gradient():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        y = x[..., 0] * tf.constant([1.0, 10.0, 100.0])
    check(y, [1.0, 30.0, 500.0])
    check(t.gradient(y, x), [[1.0, 0.0], [10.0, 0.0], [100.0, 0.0]])


def test_getitem_index_out_of_range_raises_but_slice_clamps():
    x = tf.constant([1.0, 2.0, 3.0])
    check(x[1:10], [2.0, 3.0])
    # TF: InvalidArgumentError: ... slice index 5 of dimension 0 out of bounds.
    #     [Op:StridedSlice] name: strided_slice/
    with pytest.raises(tf.errors.InvalidArgumentError):
        x[5]


def test_gather_repeated_indices_sum_gradient():
    # TF returns an IndexedSlices here; convert_to_tensor densifies it.
    x = tf.Variable([1.0, 2.0, 3.0, 4.0])
    with tf.GradientTape() as t:
        y = tf.gather(x, [0, 2, 2, 2])
    check(y, [1.0, 3.0, 3.0, 3.0])
    check(tf.convert_to_tensor(t.gradient(y, x)), [1.0, 0.0, 3.0, 0.0])


def test_gather_axis_1_gradient():
    x = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with tf.GradientTape() as t:
        y = tf.gather(x, [2, 0, 2], axis=1)
        loss = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    check(y, [[3.0, 1.0, 3.0], [6.0, 4.0, 6.0]])
    check(tf.convert_to_tensor(t.gradient(loss, x)), [[2.0, 0.0, 4.0], [5.0, 0.0, 10.0]])


def test_gather_nd_gradient():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as t:
        y = tf.gather_nd(x, [[0, 1], [1, 0], [0, 1]])
    check(y, [2.0, 3.0, 2.0])
    check(tf.convert_to_tensor(t.gradient(y, x)), [[0.0, 2.0], [1.0, 0.0]])


# ---------------------------------------------------------------------------
# Jacobians and custom gradients
# ---------------------------------------------------------------------------

def test_jacobian_of_vector_function():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.stack([x[0] * x[1], x[1] * x[2], x[0] * x[0] * x[2]])
    check(t.jacobian(y, x), [[2.0, 1.0, 0.0], [0.0, 3.0, 2.0], [6.0, 0.0, 1.0]])


def test_jacobian_unconnected_none_or_zeros():
    x = tf.Variable([1.0, 2.0])
    u = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        y = x * 2.0
    assert t.jacobian(y, u) is None
    check(t.jacobian(y, u, unconnected_gradients=tf.UnconnectedGradients.ZERO),
          [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_batch_jacobian():
    x = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = tf.constant([[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]])
    with tf.GradientTape() as t:
        y = tf.matmul(x * x, w)
    check(y, [[9.0, 31.0], [66.0, 133.0]])
    check(t.batch_jacobian(y, x),
          [[[2.0, 8.0, 0.0], [0.0, 4.0, 18.0]],
           [[8.0, 20.0, 0.0], [0.0, 10.0, 36.0]]])


def test_custom_gradient_log1pexp_at_100():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))

        return tf.math.log(1 + e), grad

    x = tf.constant(100.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = log1pexp(x)
    check(y, np.inf)
    check(t.gradient(y, x), 1.0)
    x = tf.constant(0.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = log1pexp(x)
    check(y, 0.6931472)
    check(t.gradient(y, x), 0.5)


def test_naive_log1pexp_gradient_at_100_is_nan():
    x = tf.constant(100.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.math.log(1 + tf.exp(x))
    check(y, np.inf)
    check(t.gradient(y, x), np.nan)


def test_custom_gradient_with_two_inputs():
    @tf.custom_gradient
    def f(x, y):
        def grad(dz):
            return dz * 10.0, dz * 100.0

        return x * y, grad

    a = tf.constant(2.0)
    b = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch([a, b])
        z = f(a, b)
    check(z, 6.0)
    ga, gb = t.gradient(z, [a, b])
    check(ga, 10.0)
    check(gb, 100.0)


def test_custom_gradient_is_differentiable_under_outer_tape():
    @tf.custom_gradient
    def f(x):
        y = x * x * x

        def grad(dy):
            return dy * 3.0 * x * x

        return y, grad

    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = f(x)
        g = t1.gradient(y, x)
    check(g, 12.0)
    check(t2.gradient(g, x), 12.0)


# ---------------------------------------------------------------------------
# Dtype rules
# ---------------------------------------------------------------------------

def test_constant_default_dtypes():
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant([1, 2.5]).dtype == tf.float32
    check(tf.constant([1.0, 2.0]) * 2, [2.0, 4.0])
    assert tf.Variable(1).dtype == tf.int32
    assert tf.Variable(1.0).dtype == tf.float32


def test_constant_from_numpy_keeps_numpy_dtype():
    assert tf.constant(np.array([1.0, 2.0])).dtype == tf.float64
    assert tf.constant(np.array([1.0, 2.0], dtype=np.float32)).dtype == tf.float32
    assert tf.constant(np.array([1, 2])).dtype == tf.int64


def test_range_dtypes():
    check(tf.range(5), [0, 1, 2, 3, 4], dtype=tf.int32)
    check(tf.range(0.0, 1.0, 0.25), [0.0, 0.25, 0.5, 0.75])
    check(tf.range(0, 1.0, 0.5), [0.0, 0.5])


def test_float32_plus_float64_raises_invalid_argument():
    a = tf.constant([1.0], dtype=tf.float32)
    b = tf.constant([1.0], dtype=tf.float64)
    # TF: InvalidArgumentError: cannot compute AddV2 as input #1(zero-based)
    #     was expected to be a float tensor but is a double tensor [Op:AddV2] name:
    with pytest.raises(tf.errors.InvalidArgumentError):
        a + b


def test_int32_times_python_float_raises_type_error():
    # TF: TypeError: Cannot convert 2.5 to EagerTensor of dtype int32
    # (same for `*`, `-`, `2.5 * t`, and even `t * 1.0`).
    with pytest.raises(TypeError):
        tf.constant([1, 2]) * 2.5


def test_int32_plus_python_float_raises_invalid_argument():
    # `+` goes through a different conversion path than `*` in TF:
    # TF: InvalidArgumentError: cannot compute AddV2 as input #1(zero-based)
    #     was expected to be a int32 tensor but is a float tensor [Op:AddV2] name:
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant([1, 2]) + 2.5


def test_float32_tensor_plus_numpy_float64_array_stays_float32():
    check(tf.constant([1.0, 2.0]) + np.array([0.5, 0.25]), [1.5, 2.25])
    r = np.array([0.5, 0.25]) + tf.constant([1.0, 2.0])
    check(r, [1.5, 2.25])
    check(tf.constant([1.0, 2.0]) + np.float64(0.5), [1.5, 2.5])


def test_integer_true_division_gives_float64():
    a = tf.constant([7, -7, 7, -7])
    b = tf.constant([2, 2, -2, -2])
    check(a / b, [3.5, -3.5, -3.5, 3.5], dtype=tf.float64)


def test_integer_floordiv_and_mod_use_floor_semantics():
    a = tf.constant([7, -7, 7, -7])
    b = tf.constant([2, 2, -2, -2])
    check(a // b, [3, -4, -4, 3], dtype=tf.int32)
    check(a % b, [1, 1, -1, -1], dtype=tf.int32)


def test_float_floordiv_and_mod_use_floor_semantics():
    fa = tf.constant([7.5, -7.5, 7.5, -7.5])
    fb = tf.constant([2.0, 2.0, -2.0, -2.0])
    check(fa // fb, [3.0, -4.0, -4.0, 3.0])
    check(fa % fb, [1.5, 0.5, -0.5, -1.5])


def test_integer_power():
    check(tf.constant([2, 3, -2]) ** 3, [8, 27, -8], dtype=tf.int32)
    check(tf.constant(2) ** 10, 1024, dtype=tf.int32)


def test_integer_negative_power_raises_invalid_argument():
    # TF: InvalidArgumentError: ... Integers to negative integer powers are not
    #     allowed [Op:Pow] name:
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(2) ** -1


def test_integer_floordiv_by_zero_raises_invalid_argument():
    # TF: InvalidArgumentError: ... Integer division by zero [Op:FloorDiv] name:
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(1) // tf.constant(0)


def test_comparison_results_are_bool():
    check(tf.constant([1.0, 2.0]) > 1.5, [False, True], dtype=tf.bool)
    check(tf.constant([1, 2]) == tf.constant([1, 3]), [True, False], dtype=tf.bool)
    check(tf.constant([1, 2]) == 1, [True, False], dtype=tf.bool)


def test_cast_float_to_int_truncates_toward_zero():
    check(tf.cast(2.7, tf.int32), 2, dtype=tf.int32)
    check(tf.cast(-2.7, tf.int32), -2, dtype=tf.int32)
    check(tf.cast(tf.constant([2.5, -0.5, 3.99]), tf.int32), [2, 0, 3], dtype=tf.int32)


def test_variable_assign_float64_to_float32_raises_value_error():
    v = tf.Variable(1.0)
    # TF: ValueError: Tensor conversion requested dtype float32 for Tensor with
    #     dtype float64: <tf.Tensor: shape=(), dtype=float64, numpy=1.0>
    with pytest.raises(ValueError):
        v.assign(tf.constant(1.0, dtype=tf.float64))


def test_variable_assign_python_int_to_float_variable_converts():
    v = tf.Variable(1.0)
    v.assign(2)
    check(v.read_value(), 2.0)


def test_variable_assign_wrong_shape_raises_value_error():
    v = tf.Variable([1.0, 2.0])
    # TF: ValueError: Cannot assign value to variable ' Variable:0': Shape
    #     mismatch.The variable shape (2,), and the assigned value shape (3,)
    #     are incompatible.
    with pytest.raises(ValueError):
        v.assign([1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------
# tf.nn losses and activations
# ---------------------------------------------------------------------------

def test_sparse_softmax_cross_entropy_value_and_gradient():
    logits = tf.Variable([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    labels = tf.constant([2, 0])
    with tf.GradientTape() as t:
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    check(loss, [0.40760595, 1.0986123])
    check(t.gradient(loss, logits),
          [[0.09003057, 0.24472848, -0.33475906],
           [-0.6666666, 0.33333334, 0.33333334]])


def test_sparse_softmax_cross_entropy_label_out_of_range_raises():
    logits = tf.constant([[1.0, 2.0, 3.0]])
    # TF (CPU): InvalidArgumentError: ... Received a label value of 3 which is
    #     outside the valid range of [0, 3).  Label values: 3
    #     [Op:SparseSoftmaxCrossEntropyWithLogits] name:
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([3]), logits=logits)


def test_softmax_cross_entropy_value_and_gradient():
    logits = tf.Variable([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    labels = tf.constant([[0.0, 0.0, 1.0], [0.5, 0.25, 0.25]])
    with tf.GradientTape() as t:
        loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    check(loss, [0.40760595, 1.0986123])
    check(t.gradient(loss, logits),
          [[0.09003057, 0.24472848, -0.33475906],
           [-0.16666666, 0.08333334, 0.08333334]])


def test_softmax_cross_entropy_gradient_wrt_labels():
    logits = tf.constant([[1.0, 2.0, 3.0]])
    labels = tf.Variable([[0.25, 0.25, 0.5]])
    with tf.GradientTape() as t:
        loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    check(loss, [1.1576059])
    check(t.gradient(loss, labels), [[2.407606, 1.4076059, 0.40760595]])


def test_sigmoid_cross_entropy_value_and_gradient():
    logits = tf.Variable([-2.0, 0.0, 3.0, 100.0])
    labels = tf.constant([0.0, 1.0, 0.5, 0.0])
    with tf.GradientTape() as t:
        loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    check(loss, [0.126928, 0.6931472, 1.5485873, 100.0])
    check(t.gradient(loss, logits), [0.11920291, -0.5, 0.45257413, 1.0])


def test_gelu_default_is_exact_erf_form():
    x = tf.Variable([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.nn.gelu(x)
    check(y, [-0.045500264, -0.15426877, 0.0, 0.34573123, 0.8413447, 2.9959502])
    check(t.gradient(y, x),
          [-0.08523182, 0.13250488, 0.5, 0.8674951, 1.0833155, 1.0119456])


def test_gelu_approximate_tanh_form():
    x = tf.Variable([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.nn.gelu(x, approximate=True)
    # At x = -2, 1 + tanh(.) cancels to 0.045: TensorFlow's float32 tanh (an
    # Eigen approximation) and numpy's differ in the last bits there, 2.6e-6
    # relative after the cancellation, so float32 values get rtol 1e-5.
    check(y, [-0.04540223, -0.154286, 0.0, 0.345714, 0.841192, 2.9963627], rtol=1e-5)
    check(t.gradient(y, x),
          [-0.0860991, 0.1326301, 0.5, 0.86736995, 1.0829641, 1.0115842], rtol=1e-5)


def test_elu_value_and_gradient_at_zero_is_one():
    x = tf.Variable([-2.0, -0.5, 0.0, 0.5, 2.0])
    with tf.GradientTape() as t:
        y = tf.nn.elu(x)
    check(y, [-0.86466473, -0.39346933, 0.0, 0.5, 2.0])
    check(t.gradient(y, x), [0.13533527, 0.60653067, 1.0, 1.0, 1.0])


def test_softplus_value_and_gradient():
    x = tf.Variable([-20.0, -1.0, 0.0, 1.0, 20.0])
    with tf.GradientTape() as t:
        y = tf.nn.softplus(x)
    check(y, [2.0611537e-09, 0.31326169, 0.69314718, 1.3132616, 20.0])
    check(t.gradient(y, x), [2.0611537e-09, 0.26894143, 0.5, 0.7310586, 1.0])


def test_leaky_relu_default_alpha_and_gradient_at_zero_is_alpha():
    x = tf.Variable([-2.0, -0.5, 0.0, 0.5, 2.0])
    with tf.GradientTape() as t:
        y = tf.nn.leaky_relu(x)
    check(y, [-0.4, -0.1, 0.0, 0.5, 2.0])
    check(t.gradient(y, x), [0.2, 0.2, 0.2, 1.0, 1.0])


def test_l2_loss_is_half_sum_of_squares():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as t:
        y = tf.nn.l2_loss(x)
    check(y, 15.0)
    check(t.gradient(y, x), [[1.0, 2.0], [3.0, 4.0]])


# ---------------------------------------------------------------------------
# Optimizer-free training loop
# ---------------------------------------------------------------------------

def test_linear_regression_20_steps_manual_assign_sub():
    x = tf.constant([[1.0], [2.0], [3.0], [4.0]])
    y = 2.0 * x + 1.0
    w = tf.Variable(0.0)
    b = tf.Variable(0.0)
    losses = []
    for step in range(20):
        with tf.GradientTape() as t:
            pred = w * x + b
            loss = tf.reduce_mean(tf.square(pred - y))
        dw, db = t.gradient(loss, [w, b])
        w.assign_sub(0.1 * dw)
        b.assign_sub(0.1 * db)
        losses.append(loss)
    final = tf.reduce_mean(tf.square(w * x + b - y))
    check(losses[0], 41.0)
    check(losses[1], 18.414999, rtol=1e-5)
    check(losses[-1], 0.0043319254, rtol=1e-5)
    check(w.read_value(), 2.0523772, rtol=1e-5)
    check(b.read_value(), 0.8437145, rtol=1e-5)
    check(final, 0.0040714573, rtol=1e-5)
