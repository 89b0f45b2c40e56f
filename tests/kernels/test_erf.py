"""kernels/erf: the numba and CUDA twins against the numpy reference."""
import numpy as np
import pytest

from gpugrad.backend import kernels
from gpugrad.testing.parity import skip_reason

TOLERANCE = {"float16": 1e-3, "float32": 2e-7, "float64": 1e-15}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, 6.0, -6.0]


def inputs(dtype):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 2, 1000), SPECIAL])
    return values.astype(dtype)


def reference(x):
    return kernels.load_module("erf", "reference").erf(x)


def test_the_sources_are_found():
    assert "erf" in kernels.names()
    assert "erf_float32" in kernels.cuda_source("erf")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_numba_twin_matches_the_reference(dtype):
    x = inputs(dtype)
    got = kernels.load_module("erf", "cpu").erf(x)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_allclose(got, reference(x), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype],
                               equal_nan=True)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_cuda_twin_matches_the_reference(dtype):
    reason = skip_reason("gpu")
    if reason:
        pytest.skip(reason)
    import cupy
    from gpugrad import backend
    x = inputs(dtype)
    got = backend.get("gpu:0").kernel("erf")(cupy.asarray(x))
    assert got.dtype == x.dtype
    np.testing.assert_allclose(cupy.asnumpy(got), reference(x), rtol=TOLERANCE[dtype],
                               atol=TOLERANCE[dtype], equal_nan=True)
