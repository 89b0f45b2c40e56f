"""Tensors know their device; data moves only when asked; DLPack shares memory."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.testing.parity
from gpugrad.backend.numpy_backend import NumpyBackend
from gpugrad.tensor import Tensor


def on_second_device(values):
    """A tensor on a second CPU device ('cpu:1'): enough to exercise the
    mixed-device checks on a machine with one real device."""
    return Tensor(np.asarray(values, dtype=np.float32), OTHER)


OTHER = NumpyBackend(1)


def test_tensor_reports_its_device(device):
    t = gg.constant([1.0, 2.0])
    assert t.device == gg.get_device() == f"{device}:0"


def test_numpy_returns_a_host_copy(device):
    t = gg.constant([1.0, 2.0])
    host = t.numpy()
    assert isinstance(host, np.ndarray)
    host[0] = 99.0
    assert t.numpy()[0] == 1.0  # tensors are immutable


def test_scalar_numpy_is_a_numpy_scalar():
    assert isinstance(gg.constant(2.5).numpy(), np.float32)


def test_mixed_devices_raise_naming_both():
    a = gg.constant([1.0, 2.0])
    b = on_second_device([3.0, 4.0])
    with pytest.raises(gg.errors.InvalidArgumentError) as info:
        a + b
    message = str(info.value)
    assert "cpu:0" in message and "cpu:1" in message and "add" in message


def test_assign_from_another_device_raises_and_changes_nothing():
    v = gg.Variable([1.0, 2.0], name="w")
    with pytest.raises(gg.errors.InvalidArgumentError, match="'w:0'.*cpu:1"):
        v.assign(on_second_device([5.0, 6.0]))
    assert v.numpy().tolist() == [1.0, 2.0]


def test_explicit_copy_round_trip_keeps_values_and_gradients(device):
    x = gg.constant([1.0, 2.0, 3.0])
    with gg.GradientTape() as tape:
        tape.watch(x)
        moved = x.to("cpu")
        y = gg.reduce_sum(moved * moved)
    assert moved.device == "cpu:0"
    g = tape.gradient(y, x)
    assert g.device == x.device
    assert g.numpy().tolist() == [2.0, 4.0, 6.0]


def test_ops_follow_their_inputs_not_the_scope():
    x = gg.constant([1.0])
    with gg.device("cpu"):
        assert (x * 2.0).device == x.device


def test_from_dlpack_shares_memory_with_numpy():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = gg.from_dlpack(host)
    assert t.device == "cpu:0" and t.shape == (2, 3)
    host[0, 0] = 42.0  # zero copy: the tensor sees it
    assert t.numpy()[0, 0] == 42.0


def test_numpy_from_dlpack_of_a_tensor_shares_memory():
    t = gg.constant([1.0, 2.0, 3.0])
    view = np.from_dlpack(t)
    assert np.shares_memory(view, t._data)
    assert view.tolist() == [1.0, 2.0, 3.0]


def test_to_dlpack_gives_a_capsule_numpy_cannot_take_but_from_dlpack_names_the_fix():
    with pytest.raises(TypeError, match="pass the array itself"):
        gg.from_dlpack(gg.to_dlpack(gg.constant([1.0])))


def test_torch_exchange_is_zero_copy():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    source = torch.arange(4, dtype=torch.float32)
    t = gg.from_dlpack(source)
    source[0] = 7.0
    assert t.numpy().tolist() == [7.0, 1.0, 2.0, 3.0]
    back = torch.from_dlpack(gg.constant([1.0, 2.0]))
    assert back.tolist() == [1.0, 2.0]


@pytest.mark.gpu
def test_cupy_exchange_is_zero_copy():
    if gg.testing.parity.skip_reason("gpu"):
        pytest.skip(gg.testing.parity.skip_reason("gpu"))
    import cupy
    source = cupy.arange(4, dtype=cupy.float32)
    t = gg.from_dlpack(source)
    assert t.device == "gpu:0"
    source[0] = 7.0
    assert t.numpy().tolist() == [7.0, 1.0, 2.0, 3.0]
    back = cupy.from_dlpack(t)
    assert back.data.ptr == source.data.ptr


def test_variables_live_on_the_scope_device(device):
    v = gg.Variable([1.0, 2.0])
    assert v.device == f"{device}:0"
    v.assign_add([1.0, 1.0])
    assert v.device == f"{device}:0"
