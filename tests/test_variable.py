"""Variables: state changed only by assign, checked before it changes."""
import numpy as np
import pytest

import gpugrad as gg


def test_names_dtype_and_trainable():
    v = gg.Variable(1.0, name="w")
    assert v.name == "w:0" and v.dtype == gg.float32 and v.trainable
    assert gg.Variable(1.0).name == "Variable:0"
    assert not gg.Variable(1, trainable=False).trainable


def test_initial_value_may_be_a_callable_and_cast():
    v = gg.Variable(lambda: [1, 2], dtype=gg.float64)
    assert v.dtype == gg.float64 and v.numpy().tolist() == [1.0, 2.0]


def test_rebinding_a_name_does_not_change_the_variable():
    v = gg.Variable(1.0)
    w = v
    v = v + 1.0  # a new tensor, bound to the name v
    assert w.numpy() == 1.0 and isinstance(v, gg.Tensor)


def test_assign_family_and_module_functions():
    v = gg.Variable([1.0, 2.0])
    v.assign([5.0, 6.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub(gg.constant([2.0, 2.0]))
    gg.assign_add(v, [10.0, 10.0])
    assert v.numpy().tolist() == [14.0, 15.0]
    assert gg.assign(v, [0.0, 0.0]) is v


def test_a_read_keeps_its_value_after_assign():
    v = gg.Variable(1.0)
    before = v.read_value()
    v.assign(2.0)
    assert before.numpy() == 1.0 and v.numpy() == 2.0


@pytest.mark.parametrize("value, message", [
    ([1.0, 2.0, 3.0], r"shape mismatch, the variable has shape \[2\] and the value has shape \[3\]"),
    (np.array([1.0, 2.0]), r"dtype mismatch, the variable is float32 and the value is float64"),
])
def test_bad_assign_raises_naming_the_variable_and_changes_nothing(value, message):
    v = gg.Variable([1.0, 2.0], name="weights")
    value = gg.constant(value) if isinstance(value, np.ndarray) else value
    for method in (v.assign, v.assign_add, v.assign_sub):
        with pytest.raises(ValueError, match="'weights:0'.*" + message):
            method(value)
    assert v.numpy().tolist() == [1.0, 2.0]


def test_assign_of_a_float_to_an_int_variable_is_refused():
    v = gg.Variable([1, 2])
    with pytest.raises(TypeError):
        v.assign([1.5, 2.0])
    assert v.numpy().tolist() == [1, 2]


def test_declared_unknown_dimension_accepts_new_lengths():
    v = gg.Variable([1.0], shape=[None])
    v.assign([1.0, 2.0, 3.0])
    assert v.shape.as_list() == [None] and v.numpy().tolist() == [1.0, 2.0, 3.0]


def test_variables_work_wherever_tensors_do():
    v = gg.Variable([[1.0, 2.0]])
    assert (v * 2).numpy().tolist() == [[2.0, 4.0]]
    assert gg.reduce_sum(v).numpy() == 3.0
    assert (v @ gg.transpose(v)).numpy().tolist() == [[5.0]]
    assert v[0, 1].numpy() == 2.0
    assert gg.convert_to_tensor(v).numpy().tolist() == [[1.0, 2.0]]
    assert repr(v).startswith("<gpugrad.Variable 'Variable:0' shape=(1, 2) dtype=float32")
