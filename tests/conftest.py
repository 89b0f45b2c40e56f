import pytest

import gpugrad
from gpugrad.testing.parity import skip_reason


@pytest.fixture(params=["cpu", "gpu"])
def device(request):
    """Run a test on each device; the GPU case skips with the reason."""
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with gpugrad.device(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _seeded():
    gpugrad.random.set_seed(1234)
    yield
