"""Finding and loading the kernels in kernels/ (``gpugrad._kernels`` once
installed). Modules are loaded by path and cached, so a kernel compiles once
per process (and numba's on-disk cache spares later processes)."""
import functools
import importlib.util
import pathlib
import sys

_PACKAGE = pathlib.Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=None)
def kernel_root():
    """The folder holding one sub-folder per kernel."""
    for candidate in (_PACKAGE / "_kernels", _PACKAGE.parent / "kernels"):
        if (candidate / "README.md").is_file():
            return candidate
    raise FileNotFoundError(
        f"gpugrad's kernel sources are missing: looked in {_PACKAGE / '_kernels'} "
        f"(installed) and {_PACKAGE.parent / 'kernels'} (source checkout); reinstall gpugrad")


def names():
    """Every kernel that has a folder."""
    return sorted(p.name for p in kernel_root().iterdir()
                  if p.is_dir() and (p / "spec.md").is_file())


def path(name, filename):
    found = kernel_root() / name / filename
    if not found.is_file():
        raise FileNotFoundError(f"kernel {name!r} has no {filename} (looked at {found})")
    return found


@functools.lru_cache(maxsize=None)
def load_module(name, which):
    """kernels/<name>/<which>.py as a module ('reference' or 'cpu')."""
    file = path(name, f"{which}.py")
    spec = importlib.util.spec_from_file_location(f"gpugrad._kernels.{name}.{which}", file)
    module = importlib.util.module_from_spec(spec)
    # registered before it runs: numba's on-disk cache finds functions by module
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def cuda_source(name):
    return path(name, "cuda.cu").read_text()
