"""Zero-copy exchange with numpy, CuPy, PyTorch and any DLPack producer."""
from .. import backend as _backends
from ..tensor import Tensor, convert_to_tensor

_KDL_CPU, _KDL_CUDA = 1, 2


def from_dlpack(obj):
    """A tensor sharing memory with ``obj`` (an array with ``__dlpack__``).

    CPU producers give a CPU tensor, CUDA producers a tensor on their GPU."""
    if not hasattr(obj, "__dlpack_device__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__ and __dlpack_device__ "
                        f"(a numpy, CuPy or PyTorch array), got {type(obj).__name__}; pass the "
                        f"array itself rather than a capsule")
    kind, index = obj.__dlpack_device__()[:2]
    if kind == _KDL_CPU:
        backend = _backends.cpu()
    elif kind == _KDL_CUDA:
        backend = _backends.get(f"gpu:{index}")
    else:
        raise ValueError(f"from_dlpack: DLPack device type {kind} is neither CPU nor CUDA")
    return Tensor(backend.from_dlpack(obj), backend)


def to_dlpack(tensor):
    """A DLPack capsule for ``tensor`` (most consumers take the tensor itself)."""
    return convert_to_tensor(tensor).__dlpack__()
