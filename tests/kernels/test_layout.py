"""Every kernel folder is complete: a spec, a reference and twins that
define the same function."""
import inspect

import pytest

from gpugrad.backend import kernels

FILES = ["spec.md", "reference.py", "cpu.py", "cuda.cu", "cuda.py", "__init__.py"]


@pytest.mark.parametrize("name", kernels.names())
def test_kernel_folder_has_every_file(name):
    missing = [f for f in FILES if not (kernels.kernel_root() / name / f).is_file()]
    assert not missing, f"kernels/{name} lacks {missing}"


@pytest.mark.parametrize("name", kernels.names())
def test_twins_share_the_reference_signature(name):
    reference = getattr(kernels.load_module(name, "reference"), name)
    cpu = getattr(kernels.load_module(name, "cpu"), name)
    assert inspect.signature(cpu) == inspect.signature(reference)


@pytest.mark.cupy
@pytest.mark.parametrize("name", kernels.names())
def test_cuda_twin_imports_and_shares_the_signature(name):
    pytest.importorskip("cupy", reason="CuPy is not installed (CI runs this with it)")
    reference = getattr(kernels.load_module(name, "reference"), name)
    cuda = getattr(kernels.load_module(name, "cuda"), name)
    assert inspect.signature(cuda) == inspect.signature(reference)
