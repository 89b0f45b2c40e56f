"""What every kernels/<name>/cuda.py shares: compiling its cuda.cu once per
device through CuPy's RawModule, and grid sizes."""
import pathlib

import cupy

_modules = {}


ROOT = pathlib.Path(__file__).resolve().parent


def module(kernel_file):
    """The RawModule for the cuda.cu beside ``kernel_file``, on the current
    device; shared headers (multi_tensor.cuh) come from the kernels folder."""
    source = pathlib.Path(kernel_file).with_name("cuda.cu")
    key = (str(source), cupy.cuda.Device().id)
    found = _modules.get(key)
    if found is None:
        options = ("-std=c++17", f"-I{ROOT}")
        found = _modules[key] = cupy.RawModule(code=source.read_text(), options=options)
    return found


def function(kernel_file, name):
    return module(kernel_file).get_function(name)


def grid(n, threads=256, max_blocks=65535):
    """(blocks, threads) for a grid-stride loop over n elements."""
    return (max(1, min((n + threads - 1) // threads, max_blocks)),), (threads,)
