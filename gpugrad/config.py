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
