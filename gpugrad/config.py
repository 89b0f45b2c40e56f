"""Devices, in TensorFlow's ``tf.config`` form."""
import collections

from . import backend as _backends

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])


def list_physical_devices(device_type=None):
    """[PhysicalDevice('/physical_device:CPU:0', 'CPU'), ...], GPUs when usable."""
    found = []
    for name in _backends.list_devices():
        kind, index = name.split(":")
        found.append(PhysicalDevice(f"/physical_device:{kind.upper()}:{index}", kind.upper()))
    if device_type is not None:
        found = [d for d in found if d.device_type == device_type.upper()]
    return found


list_logical_devices = list_physical_devices


class _Optimizer:
    """``gpugrad.config.optimizer``: which graph passes a traced function's
    plan goes through (all on by default). Keys: ``constant_folding``,
    ``common_subexpression_elimination``, ``dead_code_elimination``,
    ``elementwise_fusion``, and ``disable_meta_optimizer`` (all off).
    TensorFlow's names ``arithmetic_optimization``, ``dependency_optimization``
    and ``remapping`` switch the matching pass. A change applies to plans
    made after it."""

    _ALIASES = {"arithmetic_optimization": "common_subexpression_elimination",
                "dependency_optimization": "dead_code_elimination",
                "remapping": "elementwise_fusion"}
    _KEYS = {"constant_folding", "common_subexpression_elimination", "dead_code_elimination",
             "elementwise_fusion", "disable_meta_optimizer"}

    def __init__(self):
        self._options = {}
        self.version = 0

    def set_experimental_options(self, options):
        updated = dict(self._options)
        for key, value in options.items():
            key = self._ALIASES.get(key, key)
            if key not in self._KEYS:
                raise ValueError(f"unknown graph optimizer option {key!r}; known: "
                                 f"{sorted(self._KEYS | set(self._ALIASES))}")
            updated[key] = bool(value)
        self._options = updated
        self.version += 1

    def get_experimental_options(self):
        return dict(self._options)


optimizer = _Optimizer()

_functions_eagerly = False


def run_functions_eagerly(run_eagerly):
    """Make every ``gpugrad.function`` call its Python directly (to debug it
    with print and pdb); False restores tracing."""
    global _functions_eagerly
    _functions_eagerly = bool(run_eagerly)


def functions_run_eagerly():
    return _functions_eagerly
