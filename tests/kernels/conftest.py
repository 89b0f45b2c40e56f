import pytest

from gpugrad.ops import nn_ops


@pytest.fixture
def kernel_calls(monkeypatch):
    """The names of the kernels the ops hand work to during the test."""
    calls, original = [], nn_ops.fused_kernel

    def spy(backend, name, *arrays):
        found = original(backend, name, *arrays)
        if found is not None:
            calls.append(name)
        return found
    monkeypatch.setattr(nn_ops, "fused_kernel", spy)
    return calls
