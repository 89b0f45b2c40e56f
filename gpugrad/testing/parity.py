"""Device parity: run one body on every device and compare with the CPU.

    from gpugrad.testing.parity import parity

    @parity
    def test_softmax(device):
        x = tf.random.normal([4, 5], seed=1)      # created on `device`
        return tf.nn.softmax(x)                   # compared with the CPU run

``parity`` makes the test run once per device ('cpu', 'gpu'); the GPU case
skips, with the reason, where CuPy or a GPU is missing. The body runs inside
``gpugrad.device(device)`` with the random seed reset, so both runs see the
same inputs when inputs are made on the host (``constant`` of Python or numpy
data) or from ``gpugrad.random`` with a seed drawn on the CPU and copied.
Results (any nesting of tensors, variables, numbers) must match the CPU run
in dtype, shape and value within ``TOLERANCES``.
"""
import functools

from .. import backend as _backends
from .. import nest, random
from ..tensor import Tensor

#: per-dtype tolerances between devices: different BLAS and transcendental
#: implementations round differently; integers and booleans must be equal
TOLERANCES = {
    "float16": {"rtol": 2e-3, "atol": 2e-3},
    "float32": {"rtol": 2e-5, "atol": 1e-6},
    "float64": {"rtol": 1e-12, "atol": 1e-14},
}

DEVICES = ("cpu", "gpu")


def skip_reason(device):
    """Why ``device`` cannot run here, or None."""
    if device.startswith("gpu") and not _backends.gpu_available():
        return f"no GPU: {_backends.gpu_unavailable_reason()}"
    return None


def _host(value):
    if isinstance(value, Tensor) or hasattr(value, "_read"):
        return value.numpy(), value.dtype.name
    return value, None


def assert_same(actual, expected, where=""):
    """Nested results equal in structure, dtype, shape and value."""
    flat_a, flat_e = nest.flatten(actual), nest.flatten(expected)
    assert len(flat_a) == len(flat_e), f"{where}: {len(flat_a)} results vs {len(flat_e)} on the CPU"
    for i, (a, e) in enumerate(zip(flat_a, flat_e)):
        (ha, da), (he, de) = _host(a), _host(e)
        label = f"{where} result {i}"
        assert da == de, f"{label}: dtype {da} vs {de} on the CPU"
        if ha is None or he is None:
            assert ha is he, f"{label}: {ha!r} vs {he!r} on the CPU"
            continue
        npt = _backends.cpu().xp.testing  # host arrays: the CPU backend's namespace
        shape_a, shape_e = getattr(ha, "shape", ()), getattr(he, "shape", ())
        assert shape_a == shape_e, f"{label}: shape {shape_a} vs {shape_e} on the CPU"
        tol = TOLERANCES.get(da, {"rtol": 0, "atol": 0})
        npt.assert_allclose(ha, he, err_msg=label, equal_nan=True, **tol)


def run_on(device, body, *args, seed=0, **kwargs):
    random.set_seed(seed)
    with _backends.device(device):
        return body(device, *args, **kwargs)


def parity(body):
    """Decorate a test ``body(device, ...)`` returning results to compare."""
    import pytest

    @pytest.mark.parametrize("device", DEVICES)
    @functools.wraps(body)
    def test(device, *args, **kwargs):
        reason = skip_reason(device)
        if reason:
            pytest.skip(reason)
        result = run_on(device, body, *args, **kwargs)
        if device != "cpu":
            assert_same(result, run_on("cpu", body, *args, **kwargs), where=device)
        else:  # the CPU run checks the results are comparable at all
            assert_same(result, result, where=device)
    return test
