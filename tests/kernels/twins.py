"""What the kernel tests share: fetching a kernel's twins."""
import pytest

from gpugrad.backend import kernels
from gpugrad.testing.parity import skip_reason


def twin(name, which):
    """kernels/<name>/<which>.py's function: 'reference', 'cpu' or 'cuda'."""
    return getattr(kernels.load_module(name, which), name)


def gpu_kernel(name):
    """(cupy, the GPU backend's kernel ``name``); skips, saying why, without a GPU."""
    reason = skip_reason("gpu")
    if reason:
        pytest.skip(reason)
    import cupy
    from gpugrad import backend
    return cupy, backend.get("gpu:0").kernel(name)
