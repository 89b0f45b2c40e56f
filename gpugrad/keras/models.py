"""``gpugrad.keras.models``: Keras's model classes under their module name."""
from .engine import Model, Sequential

__all__ = ["Model", "Sequential"]
