"""Devices: which backends exist, which one new tensors go to.

``GPUGRAD_DEVICE=cpu|gpu|gpu:N|auto`` picks the default device when gpugrad
is imported (``auto``, the default, takes the first GPU when CuPy imports and
a CUDA device answers, else the CPU, silently). ``gpugrad.device(...)``
changes it for a block.
"""
import os
import re
import threading

from .base import Backend
from .numpy_backend import NumpyBackend

__all__ = ["Backend", "get", "current", "device", "list_devices",
           "gpu_available", "gpu_unavailable_reason", "DeviceError"]


class DeviceError(RuntimeError):
    """A device was asked for that this machine cannot provide."""


_CPU = NumpyBackend(0)
_gpus = None           # list of CupyBackend, built on first need
_gpu_reason = None     # why there are none
_state = threading.local()


def _probe_gpus():
    global _gpus, _gpu_reason
    if _gpus is None:
        from . import cupy_backend
        count, _gpu_reason = cupy_backend.probe()
        _gpus = [cupy_backend.CupyBackend(i, scoped=count > 1) for i in range(count)]
    return _gpus


def gpu_available():
    return bool(_probe_gpus())


def gpu_unavailable_reason():
    """Why no GPU can be used here, or None when one can."""
    _probe_gpus()
    return _gpu_reason


_DEVICE_RE = re.compile(r"^/?(?:(?:physical_)?device:)?(cpu|gpu|cuda)(?::(\d+))?$", re.I)


def parse(spec):
    """('cpu'|'gpu', index) from 'cpu', 'gpu:0', '/GPU:1', '/device:CPU:0', 'cuda'."""
    match = _DEVICE_RE.match(str(spec).strip())
    if match is None:
        raise ValueError(
            f"unknown device {spec!r}: expected 'cpu', 'gpu' or 'gpu:N' "
            f"(TensorFlow spellings such as '/GPU:0' work too)")
    kind = match.group(1).lower()
    return ("cpu" if kind == "cpu" else "gpu"), int(match.group(2) or 0)


def get(spec):
    """The backend for a device string, or a Backend passed through."""
    if isinstance(spec, Backend):
        return spec
    kind, index = parse(spec)
    if kind == "cpu":
        if index != 0:
            raise DeviceError(f"device {spec!r}: there is one CPU device, 'cpu:0'")
        return _CPU
    gpus = _probe_gpus()
    if not gpus:
        raise DeviceError(f"device {spec!r} is not available: {_gpu_reason}")
    if index >= len(gpus):
        raise DeviceError(f"device {spec!r} is not available: this machine has "
                          f"{len(gpus)} GPU(s), gpu:0 to gpu:{len(gpus) - 1}")
    return gpus[index]


def _initial():
    choice = os.environ.get("GPUGRAD_DEVICE", "auto").strip() or "auto"
    if choice.lower() == "auto":
        gpus = _probe_gpus()
        return gpus[0] if gpus else _CPU
    try:
        return get(choice)
    except DeviceError as exc:
        raise DeviceError(f"GPUGRAD_DEVICE={choice}: {exc}") from None


_default = None


def current():
    """The backend new tensors are created on."""
    stack = getattr(_state, "stack", None)
    if stack:
        return stack[-1]
    global _default
    if _default is None:
        _default = _initial()
    return _default


def cpu():
    return _CPU


def set_default(spec):
    """Make ``spec`` the device new tensors go to outside any ``device``
    scope (``gpugrad.distributed.init`` picks each process's GPU with it)."""
    global _default
    _default = get(spec)
    return _default


class device:
    """``with gpugrad.device('gpu:0'):`` creates new tensors on that device.

    Ops run where their inputs are; this scope decides where values coming
    from Python or numpy go, and where variables live.
    """

    def __init__(self, spec):
        self.backend = get(spec)

    def __enter__(self):
        stack = getattr(_state, "stack", None)
        if stack is None:
            stack = _state.stack = []
        stack.append(self.backend)
        return self.backend

    def __exit__(self, *exc):
        _state.stack.pop()
        return False


def list_devices():
    """Names of the usable devices, CPU first: ['cpu:0', 'gpu:0', ...]."""
    return [_CPU.name] + [g.name for g in _probe_gpus()]


def all_backends():
    return [_CPU] + list(_probe_gpus())
