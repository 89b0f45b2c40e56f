"""GradientTape behaviour beyond tests/test_tf_reference.py: memory, structure,
errors, custom gradients with variables, higher order."""
import gc
import weakref

import pytest

import gpugrad as gg


def test_non_persistent_tape_releases_intermediates_after_gradient():
    x = gg.Variable([1.0, 2.0, 3.0])
    with gg.GradientTape() as tape:
        h = gg.exp(x)           # exp's gradient keeps its output alive
        y = gg.reduce_sum(h * h)
    h_ref = weakref.ref(h)
    del h
    gc.collect()
    assert h_ref() is not None, "the tape must hold what the gradient needs"
    tape.gradient(y, x)
    del y
    gc.collect()
    assert h_ref() is None, "after gradient() a non-persistent tape holds nothing"


def test_persistent_tape_keeps_records_until_deleted():
    x = gg.Variable(2.0)
    with gg.GradientTape(persistent=True) as tape:
        h = x * x
        y = h * x
    h_ref = weakref.ref(h)
    del h
    assert float(tape.gradient(y, x)) == 12.0
    assert float(tape.gradient(y, x)) == 12.0
    gc.collect()
    assert h_ref() is not None
    del tape
    gc.collect()
    assert h_ref() is None


def test_tape_records_only_what_gradients_need():
    # add's gradient needs no values: nothing of a or b is kept
    x = gg.Variable([1.0, 2.0])
    a = gg.constant([3.0, 4.0])
    with gg.GradientTape() as tape:
        b = a + 1.0
        y = gg.reduce_sum(x + b)
    b_ref = weakref.ref(b)
    del b
    gc.collect()
    assert b_ref() is None
    assert tape.gradient(y, x).numpy().tolist() == [1.0, 1.0]


def test_sources_keep_their_structure():
    a, b, c = gg.Variable(1.0), gg.Variable(2.0), gg.Variable(3.0)
    with gg.GradientTape() as tape:
        y = a * b * c
    grads = tape.gradient(y, {"first": a, "rest": (b, [c])})
    assert float(grads["first"]) == 6.0
    assert float(grads["rest"][0]) == 3.0 and float(grads["rest"][1][0]) == 2.0


def test_target_that_is_not_a_tensor_is_a_type_error():
    x = gg.Variable(1.0)
    with gg.GradientTape() as tape:
        x * 2.0
    with pytest.raises(TypeError, match="target must be a Tensor or Variable, got float"):
        tape.gradient(3.0, x)


def test_source_that_is_not_a_tensor_is_a_type_error():
    x = gg.Variable(1.0)
    with gg.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(TypeError, match="source must be a Tensor or Variable, got str"):
        tape.gradient(y, "x")


def test_watch_rejects_non_tensors():
    with gg.GradientTape() as tape:
        with pytest.raises(ValueError, match="got int"):
            tape.watch(3)


def test_reentering_a_used_tape_is_an_error():
    x = gg.Variable(1.0)
    with gg.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="already used"):
        with tape:
            pass


def test_fourth_derivative_through_nested_tapes():
    x = gg.Variable(1.5)
    with gg.GradientTape() as t4:
        with gg.GradientTape() as t3:
            with gg.GradientTape() as t2:
                with gg.GradientTape() as t1:
                    y = x ** 5
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        d3 = t3.gradient(d2, x)
    d4 = t4.gradient(d3, x)
    assert float(d4) == pytest.approx(120 * 1.5)


def test_custom_gradient_with_variables():
    w = gg.Variable(3.0)

    @gg.custom_gradient
    def scaled(x):
        y = x * w

        def grad(dy, variables=None):
            return dy * 100.0, [dy * 1000.0]  # deliberately not the true gradient
        return y, grad

    x = gg.constant(2.0)
    with gg.GradientTape() as tape:
        tape.watch(x)
        y = scaled(x)
    dx, dw = tape.gradient(y, [x, w])
    assert float(dx) == 100.0 and float(dw) == 1000.0


def test_custom_gradient_reading_variables_needs_a_variables_argument():
    w = gg.Variable(3.0)

    @gg.custom_gradient
    def scaled(x):
        return x * w, lambda dy: dy

    with gg.GradientTape():
        with pytest.raises(TypeError, match="'variables' argument"):
            scaled(gg.constant(1.0))


def test_jacobian_of_a_matrix_function_has_target_then_source_shape():
    x = gg.Variable([[1.0, 2.0], [3.0, 4.0]])
    with gg.GradientTape() as tape:
        y = gg.matmul(x, x)
    j = tape.jacobian(y, x)
    assert j.shape == (2, 2, 2, 2)
    # d(x@x)[0,0]/dx[0,1] = x[1,0]
    assert float(j[0, 0, 0, 1]) == 3.0


def test_gradient_inside_a_persistent_tape_is_recorded_on_it():
    # TensorFlow's behaviour (with a warning about speed)
    x = gg.Variable(2.0)
    with gg.GradientTape(persistent=True) as tape:
        y = x * x
        g = tape.gradient(y, x)
    assert float(g) == 4.0
    assert float(tape.gradient(g, x)) == 2.0


def test_gradient_inside_a_non_persistent_tape_stops_its_recording():
    x = gg.Variable(2.0)
    with gg.GradientTape() as tape:
        y = x * x
        assert float(tape.gradient(y, x)) == 4.0
        z = x * 3.0  # no longer recorded
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(z, x)
