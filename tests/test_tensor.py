"""Creating tensors, their dtypes (TensorFlow's rules), operators and indexing."""
import numpy as np
import pytest

import gpugrad as gg
from gpugrad.testing.parity import parity


def test_python_values_take_tensorflows_default_dtypes():
    assert gg.constant(1.0).dtype == gg.float32
    assert gg.constant(1).dtype == gg.int32
    assert gg.constant(2 ** 40).dtype == gg.int64
    assert gg.constant(True).dtype == gg.bool
    assert gg.constant([[1, 2], [3, 4]]).dtype == gg.int32


def test_numpy_arrays_keep_their_dtype():
    assert gg.constant(np.zeros(2)).dtype == gg.float64
    assert gg.constant(np.zeros(2, np.int64)).dtype == gg.int64


def test_constant_with_dtype_and_shape_fills():
    t = gg.constant(3.0, shape=[2, 2], dtype=gg.float64)
    assert t.dtype == gg.float64 and t.numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_constant_rejects_a_float_for_an_integer_dtype():
    with pytest.raises(TypeError, match="2.5"):
        gg.constant(2.5, dtype=gg.int32)


def test_constant_rejects_an_impossible_shape():
    with pytest.raises(TypeError, match="3 elements into shape \\[2, 2\\]"):
        gg.constant([1.0, 2.0, 3.0], shape=[2, 2])


def test_creation_functions():
    assert gg.zeros([2, 3]).numpy().tolist() == [[0.0] * 3] * 2
    assert gg.ones([2], gg.int64).dtype == gg.int64
    assert gg.fill([2], 7).numpy().tolist() == [7, 7]
    assert gg.range(5).numpy().tolist() == [0, 1, 2, 3, 4] and gg.range(5).dtype == gg.int32
    assert gg.range(0.0, 1.0, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert gg.zeros_like(gg.constant([1, 2])).dtype == gg.int32
    assert gg.ones_like(gg.constant([1.0, 2.0])).numpy().tolist() == [1.0, 1.0]


def test_python_scalars_take_the_tensor_dtype():
    x = gg.constant([1.0, 2.0], dtype=gg.float16)
    assert (x * 2).dtype == gg.float16
    assert (2.5 - x).dtype == gg.float16


def test_tensors_of_different_dtypes_never_promote():
    with pytest.raises(gg.errors.InvalidArgumentError, match="float32.*float64"):
        gg.constant([1.0]) + gg.constant(np.array([1.0]))


def test_incompatible_shapes_name_the_op_and_shapes():
    with pytest.raises(gg.errors.InvalidArgumentError, match=r"add.*\[2\] float32, \[3\] float32"):
        gg.constant([1.0, 2.0]) + gg.constant([1.0, 2.0, 3.0])


def test_operators_match_python_semantics_for_floor_division():
    a = gg.constant([7, -7])
    assert (a // 2).numpy().tolist() == [3, -4]
    assert (a % 3).numpy().tolist() == [1, 2]
    assert (gg.constant([2.0]) ** 3).numpy().tolist() == [8.0]
    assert (-a).numpy().tolist() == [-7, 7]
    assert abs(a).numpy().tolist() == [7, 7]


def test_comparisons_are_elementwise_and_boolean():
    a = gg.constant([1.0, 2.0, 3.0])
    assert (a > 1.5).dtype == gg.bool
    assert (a == 2.0).numpy().tolist() == [False, True, False]
    assert (a == None) is False  # noqa: E711 (TensorFlow's answer)


def test_tensors_are_unhashable_but_have_refs():
    a = gg.constant(1.0)
    with pytest.raises(TypeError):
        {a}
    assert a.ref() in {a.ref()} and a.ref().deref() is a


def test_matmul_operator():
    a = gg.constant([[1.0, 2.0]])
    b = gg.constant([[3.0], [4.0]])
    assert (a @ b).numpy().tolist() == [[11.0]]


def test_getitem_basic_indexing():
    x = gg.reshape(gg.range(24), [2, 3, 4])
    assert x[1, 2, 3].numpy() == 23
    assert x[..., 0].shape == (2, 3)
    assert x[:, gg.newaxis, 1].shape == (2, 1, 4)
    assert x[0, ::2, -1].numpy().tolist() == [3, 11]
    assert x[gg.constant(1)].shape == (3, 4)


def test_shape_dtype_ndim_and_repr():
    t = gg.constant([[1.0, 2.0]])
    assert t.shape == (1, 2) and t.shape.as_list() == [1, 2] and t.ndim == 2
    assert repr(t.shape) == "TensorShape([1, 2])"
    assert repr(t) == ("<gpugrad.Tensor: shape=(1, 2), dtype=float32, device=cpu:0, "
                       "numpy=array([[1., 2.]], dtype=float32)>")
    assert np.asarray(t).tolist() == [[1.0, 2.0]]


def test_cast_truncates_toward_zero():
    assert gg.cast(gg.constant([2.7, -2.7]), gg.int32).numpy().tolist() == [2, -2]


@parity
def test_forward_values_agree_across_devices(device):
    x = gg.constant(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4))
    return [gg.exp(x), gg.nn.softmax(x), gg.reduce_logsumexp(x, axis=1), x @ gg.transpose(x),
            gg.nn.gelu(x), gg.gather(x, [2, 0]), gg.argmax(x, axis=1), gg.cumsum(x, axis=1)]
