"""gpugrad.function: when a call traces, what runs on every call, and how
variables are seen. Expected trace counts and values were checked once
against TensorFlow 2.21 (``tf.function``, CPU) and are written down here;
TensorFlow is not needed to run these tests."""
import io
import warnings

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.errors import InvalidArgumentError, OperatorNotAllowedInGraphError
from gpugrad.function import RetracingWarning
from gpugrad.testing.parity import skip_reason


def counted(fn_body):
    """A traced function and the list its Python appends to per trace."""
    traces = []

    @gg.function
    def f(*args):
        traces.append(args)
        return fn_body(*args)
    return f, traces


# ------------------------------------------------------------ signatures
def test_same_signature_traces_once():
    f, traces = counted(lambda x: x * 2.0)
    for value in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
        out = f(gg.constant(value))
    np.testing.assert_array_equal(out.numpy(), [10.0, 12.0])
    assert len(traces) == 1 and f.experimental_get_tracing_count() == 1


def test_new_shape_or_dtype_retraces():
    f, traces = counted(lambda x: x + x)
    f(gg.constant([1.0])), f(gg.constant([1.0, 2.0])), f(gg.constant([1, 2]))
    f(gg.constant([3.0]))                        # the first signature again
    assert len(traces) == 3


def test_python_argument_values_are_part_of_the_signature():
    # TensorFlow 2.21: g(x, 1), g(x, 2), g(x, 1) trace twice
    f, traces = counted(lambda x, n: x * n)
    assert f(gg.constant(1.0), 1).numpy() == 1.0
    assert f(gg.constant(1.0), 2).numpy() == 2.0
    assert f(gg.constant(1.0), 1).numpy() == 1.0
    assert len(traces) == 2


def test_keyword_and_positional_calls_share_a_trace():
    traces = []

    @gg.function
    def f(x, scale=2.0):
        traces.append(1)
        return x * scale
    f(gg.constant(1.0)), f(x=gg.constant(2.0)), f(gg.constant(3.0), scale=2.0)
    assert len(traces) == 1


def test_numpy_arrays_are_traced_as_tensors():
    f, traces = counted(lambda x: x * 2.0)
    f(np.ones(3, np.float32)), f(np.zeros(3, np.float32))
    assert len(traces) == 1


def test_input_signature_with_unknown_dimension_traces_once():
    # TensorFlow 2.21: sums 3.0 and 5.0 with one trace; a rank-2 call is a TypeError
    traces = []

    @gg.function(input_signature=[gg.TensorSpec([None], gg.float32)])
    def total(x):
        traces.append(1)
        return gg.reduce_sum(x)
    assert total(gg.ones([3])).numpy() == 3.0
    assert total(gg.ones([5])).numpy() == 5.0
    assert len(traces) == 1
    with pytest.raises(TypeError, match="input_signature"):
        total(gg.ones([2, 2]))


def test_reduce_retracing_makes_differing_dimensions_unknown():
    # TensorFlow 2.21: shapes [1],[2],[3],[4] trace 2 times; [1,2],[3,2],[5,2],[5,3] 3 times
    f, traces = counted(lambda x: x * 2.0)
    f = gg.function(f.python_function, reduce_retracing=True)
    for n in (1, 2, 3, 4):
        np.testing.assert_array_equal(f(gg.ones([n])).numpy(), np.full(n, 2.0))
    assert f.experimental_get_tracing_count() == 2
    g = gg.function(lambda x: x * 2.0, reduce_retracing=True)
    for shape in ([1, 2], [3, 2], [5, 2], [5, 3]):
        g(gg.ones(shape))
    assert g.experimental_get_tracing_count() == 3
    assert g.get_concrete_function(gg.ones([5, 2])).inputs[0].shape.as_list() == [None, 2]


def test_get_concrete_function_from_specs():
    f = gg.function(lambda x: x * 3.0)
    concrete = f.get_concrete_function(gg.TensorSpec([None, 2], gg.float32))
    assert concrete.inputs[0].shape.as_list() == [None, 2]
    np.testing.assert_array_equal(concrete(gg.ones([4, 2])).numpy(), np.full((4, 2), 3.0))
    with pytest.raises(InvalidArgumentError, match="expects float32"):
        concrete(gg.ones([4, 3]))


def test_repeated_retracing_warns_and_names_the_argument():
    f = gg.function(lambda x: x * 2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 7):
            f(gg.ones([n]))
    messages = [str(w.message) for w in caught if issubclass(w.category, RetracingWarning)]
    assert len(messages) == 2                     # the 5th and 6th traces
    assert "argument 0 ('x') changed from a float32 tensor of shape [4]" in messages[0]
    assert "to a float32 tensor of shape [5]" in messages[0]
    assert "reduce_retracing=True" in messages[0]


def test_methods_trace_per_instance():
    class Scale:
        def __init__(self, k):
            self.k = k

        @gg.function
        def __call__(self, x):
            return x * self.k
    a, b = Scale(2.0), Scale(3.0)
    assert a(gg.constant(1.0)).numpy() == 2.0 and b(gg.constant(1.0)).numpy() == 3.0


# ---------------------------------------------------------- side effects
def test_python_side_effects_run_only_while_tracing_and_print_runs_every_call():
    stream, counter = io.StringIO(), []

    @gg.function
    def f(x):
        counter.append(1)
        gg.print("x =", x, output_stream=stream)
        return x + 1.0
    for value in (1.0, 2.0, 3.0):
        f(gg.constant(value))
    assert counter == [1]
    assert stream.getvalue() == "x = 1\nx = 2\nx = 3\n"


def test_print_eagerly_prints_at_once(capsys):
    gg.print("values", gg.constant([1, 2, 3]), gg.constant(0.5))
    assert capsys.readouterr().err == "values [1 2 3] 0.5\n"


def test_return_values_become_tensors():
    v = gg.Variable(2.0)
    out = gg.function(lambda: (v, 3, None))()
    assert type(out[0]) is gg.Tensor and out[0].numpy() == 2.0
    assert type(out[1]) is gg.Tensor and out[1].numpy() == 3
    assert out[2] is None


# ------------------------------------------------------------- variables
def test_variables_are_captured_by_reference_not_copied():
    v = gg.Variable(1.0)
    f = gg.function(lambda x: x * v)
    assert f(gg.constant(2.0)).numpy() == 2.0
    v.assign(5.0)                                 # changed outside the function
    assert f(gg.constant(2.0)).numpy() == 10.0
    assert f.experimental_get_tracing_count() == 1


def test_assign_inside_runs_on_every_call_and_later_reads_see_it():
    # TensorFlow 2.21: v=1, f(2) returns 6 and leaves v=3
    v = gg.Variable(1.0)

    @gg.function
    def f(x):
        before = v.read_value()
        v.assign_add(x)
        return before, v * 2.0
    before, after = f(gg.constant(2.0))
    assert (before.numpy(), after.numpy(), v.numpy()) == (1.0, 6.0, 3.0)
    before, after = f(gg.constant(2.0))
    assert (before.numpy(), after.numpy(), v.numpy()) == (3.0, 10.0, 5.0)


def test_assign_with_a_bad_shape_raises_while_tracing_and_changes_nothing():
    v = gg.Variable([1.0, 2.0])
    f = gg.function(lambda x: v.assign(x))
    with pytest.raises(InvalidArgumentError, match="shape mismatch"):
        f(gg.ones([3]))
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_created_on_the_first_trace_only():
    # TensorFlow 2.21 raises this ValueError when a second trace creates one
    created = []

    @gg.function
    def f(x):
        if not created:
            created.append(gg.Variable(10.0))
        return created[0] * x
    assert f(gg.constant(2.0)).numpy() == 20.0
    assert f(gg.constant(3.0)).numpy() == 30.0        # same trace: the same variable
    assert isinstance(created[0], gg.Variable) and created[0].numpy() == 10.0

    @gg.function
    def g(x):
        return gg.Variable(1.0) * x
    g(gg.constant(1.0))
    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call"):
        g(gg.constant([1.0, 2.0]))


def test_python_if_on_a_tensor_says_to_use_cond():
    @gg.function
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(OperatorNotAllowedInGraphError, match="gpugrad.cond"):
        f(gg.constant(1.0))


def test_a_traced_function_runs_on_its_arguments_device(device):
    v = gg.Variable([1.0, 1.0])
    f = gg.function(lambda x: gg.exp(x) * 2.0 + v)
    out = f(gg.constant([0.0, 1.0]))
    assert out.device == gg.get_device()
    np.testing.assert_allclose(out.numpy(), [3.0, 2 * np.e + 1], rtol=1e-6)


def test_arguments_on_two_devices_are_refused():
    reason = skip_reason("gpu")
    if reason:
        pytest.skip(reason)
    f = gg.function(lambda x, y: x + y)
    with gg.device("gpu"):
        on_gpu = gg.constant([1.0])
    with pytest.raises(InvalidArgumentError, match="different devices"):
        f(gg.constant([1.0]), on_gpu)


def test_an_error_at_run_time_names_the_op_and_where_it_was_traced():
    @gg.function
    def pick(x, i):
        return gg.gather(x, i)
    with pytest.raises(InvalidArgumentError, match=r"gather op .*test_tracing.py:\d+"):
        pick(gg.constant([1.0, 2.0]), gg.constant(5))


def test_a_traced_function_called_while_tracing_joins_the_outer_graph():
    inner = gg.function(lambda x: x * 2.0)
    outer = gg.function(lambda x: inner(x) + 1.0)
    assert outer(gg.constant(3.0)).numpy() == 7.0
    assert inner.experimental_get_tracing_count() == 0        # inlined, not traced apart
    v1 = gg.compat.v1
    with gg.Graph().as_default():
        x = v1.placeholder(gg.float32, [])
        y = inner(x)
        with v1.Session() as sess:
            assert sess.run(y, {x: 4.0}) == 8.0
