"""The optimizer kernels: numba (and CUDA) twins against the numpy reference
on random data, several tensors per launch, every dtype, at step 1 and at
step 1000 (where bias corrections have all but vanished)."""
import importlib

import numpy as np
import pytest

from gpugrad.backend import kernels
from gpugrad.testing.parity import skip_reason

SHAPES = [(3, 4), (70_000,), (1,), (5, 1, 2)]  # one spans two chunks
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}

# name -> (slot lists: True for a slot, None for an absent optional one),
#         hyperparameters after the slots (the step is filled in)
CASES = {
    "adam": ([True, True, None], dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.0)),
    "adam-amsgrad-decay": ([True, True, True], dict(lr=0.01, beta_1=0.8, beta_2=0.95,
                                                    epsilon=1e-3, decay=0.004)),
    "sgd": ([None], dict(lr=0.05, momentum=0.0, nesterov=False, decay=0.0)),
    "sgd-momentum": ([True], dict(lr=0.05, momentum=0.9, nesterov=False, decay=0.001)),
    "sgd-nesterov": ([True], dict(lr=0.05, momentum=0.9, nesterov=True, decay=0.0)),
    "rmsprop": ([True, None, None], dict(lr=0.01, rho=0.9, momentum=0.0, epsilon=1e-7, decay=0.0)),
    "rmsprop-momentum-centered": ([True, True, True], dict(lr=0.01, rho=0.9, momentum=0.9,
                                                           epsilon=1e-7, decay=0.002)),
    "adagrad": ([True], dict(lr=0.1, epsilon=1e-7, decay=0.0)),
    "adadelta": ([True, True], dict(lr=1.0, rho=0.95, epsilon=1e-7, decay=0.0)),
    "nadam": ([True, True], dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                                 u_product=0.5, decay=0.0)),
}
STEPS = {"adam": True, "nadam": True}  # kernels that take the step


def make(case, dtype, seed):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    grads = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    # slots start positive (they hold squares for most optimizers)
    slots = [None if present is None else
             [np.abs(rng.normal(size=s)).astype(dtype) for s in SHAPES] for present in case[0]]
    return params, grads, slots


def run(fn, name, data, hyper, step):
    params, grads, slots = data
    args = dict(hyper)
    if name in STEPS:
        args["step"] = step
    fn(params, grads, *slots, **args)


def copy(data):
    params, grads, slots = data
    return ([p.copy() for p in params], grads,
            [None if s is None else [a.copy() for a in s] for s in slots])


def check(kernel, case_name, dtype, step, fn):
    name = case_name.split("-")[0]
    case = CASES[case_name]
    reference = getattr(kernels.load_module(name, "reference"), name)
    data = make(case, dtype, seed=step)
    expected = copy(data)
    run(reference, name, expected, case[1], step)
    got = copy(data)
    run(fn, name, got, case[1], step)
    tol = TOLERANCE[dtype]
    to_host = kernel  # how to read a result back (identity: the twins write host arrays)
    for role, (a_list, b_list) in enumerate(zip([got[0]] + got[2], [expected[0]] + expected[2])):
        if a_list is None:
            continue
        for a, b in zip(a_list, b_list):
            a = to_host(a)
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"{case_name} role {role}")
    if dtype != "float16":  # a float16 update can round away
        changed = [not np.array_equal(to_host(a), b) for a, b in zip(got[0], data[0])]
        assert all(changed), "the kernel must update every parameter"


@pytest.fixture(params=["serial", "parallel"])
def numba_path(request, monkeypatch):
    """Small launches run serially; force each compilation in turn."""
    kernels.load_module("adam", "cpu")  # makes gpugrad._kernels importable
    threads = importlib.import_module("gpugrad._kernels._threads")
    monkeypatch.setattr(threads, "SERIAL_BELOW", 1 << 40 if request.param == "serial" else 0)
    return request.param


@pytest.mark.parametrize("step", [1, 1000])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("case_name", list(CASES))
def test_numba_twin_matches_the_reference(case_name, dtype, step, numba_path):
    name = case_name.split("-")[0]
    check(lambda a: a, case_name, dtype, step, getattr(kernels.load_module(name, "cpu"), name))


@pytest.mark.gpu
@pytest.mark.parametrize("step", [1, 1000])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("case_name", list(CASES))
def test_cuda_twin_matches_the_reference(case_name, dtype, step):
    reason = skip_reason("gpu")
    if reason:
        pytest.skip(reason)
    import cupy
    name = case_name.split("-")[0]
    cuda = getattr(kernels.load_module(name, "cuda"), name)

    def on_gpu(params, grads, *slots, **hyper):
        device = [[cupy.asarray(a) for a in lst] if lst is not None else None
                  for lst in (params, grads) + slots]
        cuda(*device, **hyper)
        for host, dev in zip((params,) + slots, [device[0]] + device[2:]):
            if host is not None:
                for h, d in zip(host, dev):
                    h[...] = cupy.asnumpy(d)
    check(lambda a: a, case_name, dtype, step, on_gpu)
