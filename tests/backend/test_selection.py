"""Which device gpugrad picks, and what it says when a GPU is asked for but
cannot be had. Runs with and without CuPy installed (CI does both)."""
import os
import subprocess
import sys

import pytest

import gpugrad as gg
from gpugrad import backend
from gpugrad.backend import cupy_backend


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter (device choice happens at import)."""
    full_env = dict(os.environ, **env)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=120)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def test_parse_accepts_gpugrad_and_tensorflow_spellings():
    assert backend.parse("cpu") == ("cpu", 0)
    assert backend.parse("gpu:1") == ("gpu", 1)
    assert backend.parse("/GPU:0") == ("gpu", 0)
    assert backend.parse("/device:CPU:0") == ("cpu", 0)
    assert backend.parse("cuda:2") == ("gpu", 2)


def test_unknown_device_string_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="'tpu:0'"):
        gg.device("tpu:0")


def test_cpu_is_always_listed_first():
    assert gg.list_devices()[0] == "cpu:0"
    assert gg.config.list_physical_devices("CPU")[0].name == "/physical_device:CPU:0"


def test_device_scope_places_new_tensors_and_restores():
    before = gg.get_device()
    with gg.device("cpu"):
        assert gg.constant(1.0).device == "cpu:0"
        assert gg.get_device() == "cpu:0"
    assert gg.get_device() == before


@pytest.mark.skipif(backend.gpu_available(), reason="this machine has a GPU")
def test_asking_for_a_missing_gpu_says_why():
    with pytest.raises(backend.DeviceError) as info:
        gg.device("gpu:0")
    message = str(info.value)
    assert "gpu:0" in message
    assert any(why in message for why in ("CuPy is not installed", "driver", "no CUDA device"))


@pytest.mark.skipif(backend.gpu_available(), reason="this machine has a GPU")
def test_auto_falls_back_to_the_cpu_silently():
    code, out, err = run_python("import gpugrad; print(gpugrad.get_device())",
                                GPUGRAD_DEVICE="auto")
    assert (code, out) == (0, "cpu:0"), err
    assert "Warning" not in err and "Error" not in err


def test_env_cpu_forces_the_cpu():
    code, out, err = run_python("import gpugrad; print(gpugrad.get_device())", GPUGRAD_DEVICE="cpu")
    assert (code, out) == (0, "cpu:0"), err


@pytest.mark.skipif(backend.gpu_available(), reason="this machine has a GPU")
def test_env_gpu_without_a_gpu_fails_on_first_use_with_the_reason():
    code, out, err = run_python("import gpugrad; gpugrad.constant(1.0)", GPUGRAD_DEVICE="gpu")
    assert code != 0
    assert "GPUGRAD_DEVICE=gpu" in err and "not available" in err


def test_without_cupy_everything_runs_on_the_cpu():
    # a machine without CuPy: make its import fail in a fresh interpreter
    code, out, err = run_python(
        "import sys; sys.modules['cupy'] = None\n"
        "import gpugrad as gg\n"
        "from gpugrad import backend\n"
        "x = gg.Variable(2.0)\n"
        "with gg.GradientTape() as t: y = x * x\n"
        "print(gg.get_device(), float(t.gradient(y, x)), backend.gpu_unavailable_reason())")
    assert code == 0, err
    assert out.startswith("cpu:0 4.0 CuPy is not installed")


def test_probe_reports_each_reason(monkeypatch):
    monkeypatch.setattr(cupy_backend, "cupy", None)
    monkeypatch.setattr(cupy_backend, "_IMPORT_ERROR", ImportError("No module named 'cupy'"))
    count, reason = cupy_backend.probe()
    assert count == 0 and reason.startswith("CuPy is not installed (No module named 'cupy')")

    class Runtime:
        def __init__(self, answer):
            self.answer = answer

        def getDeviceCount(self):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    class FakeCupy:
        class cuda:
            runtime = None

    fake = FakeCupy()
    monkeypatch.setattr(cupy_backend, "cupy", fake)
    fake.cuda.runtime = Runtime(RuntimeError("cudaErrorInsufficientDriver"))
    count, reason = cupy_backend.probe()
    assert count == 0 and "driver is not usable: cudaErrorInsufficientDriver" in reason
    fake.cuda.runtime = Runtime(0)
    assert cupy_backend.probe() == (0, "CuPy and the CUDA driver are present but no CUDA device was found")
    fake.cuda.runtime = Runtime(2)
    assert cupy_backend.probe() == (2, None)


def test_with_cupy_installed_but_no_gpu_the_cpu_is_chosen():
    pytest.importorskip("cupy", reason="CuPy is not installed (CI runs this with it)")
    if backend.gpu_available():
        pytest.skip("this machine has a GPU")
    code, out, err = run_python(
        "import cupy, gpugrad, gpugrad.backend as b\n"
        "print(gpugrad.get_device(), b.gpu_unavailable_reason())")
    assert code == 0, err
    device, reason = out.split(" ", 1)
    assert device == "cpu:0"
    assert "driver" in reason or "no CUDA device" in reason
