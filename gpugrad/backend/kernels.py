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


def _package_name():
    """The import name kernel modules get: gpugrad._kernels, mapped to the
    folder found above (the installed package or the checkout's kernels/)."""
    name = "gpugrad._kernels"
    if name not in sys.modules:
        root = kernel_root()
        spec = importlib.util.spec_from_file_location(
            name, root / "__init__.py", submodule_search_locations=[str(root)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    return name


@functools.lru_cache(maxsize=None)
def load_module(name, which):
    """kernels/<name>/<which>.py as a module: 'reference', 'cpu' or 'cuda'.

    ``cpu`` and ``cuda`` are twins: each defines a function called ``name``
    with the same signature. Modules are imported under gpugrad._kernels, so
    numba's on-disk cache can find them again in later processes."""
    path(name, f"{which}.py")  # a clear error when the file is missing
    return importlib.import_module(f"{_package_name()}.{name}.{which}")


def cuda_source(name):
    return path(name, "cuda.cu").read_text()
