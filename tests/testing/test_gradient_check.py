"""check_gradients itself: it passes correct gradients and catches wrong ones
(first order, second order, shapes), with messages that say where."""
import ast
import pathlib

import pytest

import gpugrad as tf
from gpugrad.testing import check_gradients, DEFAULT_TOLERANCES


def _x(values=(0.3, -1.2, 2.0)):
    return tf.constant(list(values), tf.float64)


def test_correct_gradients_pass_to_third_order():
    check_gradients(lambda x, y: tf.sin(x) * tf.exp(y), [_x(), _x((1.0, 0.5, -0.5))], order=3)


def test_inputs_are_cast_to_float64():
    seen = []

    def fn(x):
        seen.append(x.dtype)
        return tf.square(x)
    check_gradients(fn, [tf.constant([1.0, 2.0])], order=1)  # float32 in
    assert seen and all(d == tf.float64 for d in seen)


def test_integer_inputs_pass_through_undifferentiated():
    indices = tf.constant([2, 0, 2])
    check_gradients(lambda p, i: tf.gather(p, i) * 2.0, [_x(), indices])


def test_several_outputs_and_a_single_tensor_input():
    check_gradients(lambda x: (tf.sin(x), [tf.reduce_sum(x), tf.cast(x > 0, tf.int32)]), _x())


def _wrong_sin(scale):
    @tf.custom_gradient
    def wrong_sin(x):
        return tf.sin(x), lambda g: g * tf.cos(x) * scale
    return wrong_sin


def test_catches_a_wrong_first_order_gradient():
    with pytest.raises(AssertionError) as info:
        check_gradients(_wrong_sin(-1.0), [_x()])
    message = str(info.value)
    assert "'wrong_sin'" in message and "input 0" in message
    assert "tape" in message and "central differences" in message


def test_catches_a_one_percent_error():
    with pytest.raises(AssertionError):
        check_gradients(_wrong_sin(1.01), [_x()], order=1)


def test_names_the_wrong_input():
    wrong = _wrong_sin(2.0)

    def two_inputs(x, y):
        return tf.sin(x) * 3.0 + wrong(y)
    with pytest.raises(AssertionError, match=r"'two_inputs' failed for input 1 \(shape \[3\]"):
        check_gradients(two_inputs, [_x(), _x((0.1, 0.2, 0.3))], order=1)


def test_message_gives_both_numbers():
    with pytest.raises(AssertionError) as info:
        check_gradients(_wrong_sin(0.0), [_x()], order=1)
    message = str(info.value)
    # the tape's side is exactly 0.0 here; the numeric side is not
    assert "VJP = 0.0," in message
    numeric = float(message.split("central differences = ")[1].split(" ")[0])
    assert abs(numeric) > 1e-3


def test_catches_a_wrong_second_order_gradient():
    # first order is right: d(x^3) = 3 x^2; the gradient of 3 x^2 claims 3 x
    @tf.custom_gradient
    def three_x_squared(x):
        return 3.0 * x * x, lambda g: g * 3.0 * x

    @tf.custom_gradient
    def cube(x):
        return x * x * x, lambda g: g * three_x_squared(x)

    check_gradients(cube, [_x()], order=1)
    with pytest.raises(AssertionError, match=r"'cube' at order 2 .* input 0"):
        check_gradients(cube, [_x()], order=2)


def test_catches_a_gradient_of_the_wrong_shape():
    @tf.custom_gradient
    def bad_broadcast(x):  # forgets to sum over the broadcast axis
        return x + tf.zeros([2, 3], tf.float64), lambda g: g

    with pytest.raises(AssertionError, match=r"gradient has shape \[2, 3\]"):
        check_gradients(bad_broadcast, [_x()], order=1)


def test_catches_a_non_finite_gradient():
    @tf.custom_gradient
    def nan_grad(x):
        return x * 2.0, lambda g: g / tf.zeros_like(g) * 0.0

    with pytest.raises(AssertionError, match="nan"):
        check_gradients(nan_grad, [_x()], order=1)


def test_float32_outputs_get_float32_tolerances():
    # a float32 cast inside loses ~1e-7 relative: hopeless at float64's eps
    fn = lambda x: tf.sin(tf.cast(x, tf.float32))  # noqa: E731
    check_gradients(fn, [_x()])
    with pytest.raises(AssertionError):
        check_gradients(fn, [_x()], order=1, eps=1e-9, rtol=1e-9, atol=1e-12)
    assert DEFAULT_TOLERANCES["float32"][1] > DEFAULT_TOLERANCES["float64"][1]


def test_explicit_tolerances_override():
    check_gradients(_wrong_sin(1.01), [_x()], order=1, rtol=0.05)


def test_rejects_inputs_with_nothing_to_differentiate():
    with pytest.raises(ValueError):
        check_gradients(lambda i: tf.cast(i, tf.float64), [tf.constant([1, 2])])
    with pytest.raises(ValueError):
        check_gradients(lambda x: x, [_x()], order=0)


def test_gpugrad_testing_imports_no_array_library():
    root = pathlib.Path(tf.__file__).parent / "testing"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("numpy", "cupy"), f"{path} imports {name}"
