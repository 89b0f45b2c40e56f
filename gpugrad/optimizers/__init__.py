"""``gpugrad.optimizers`` (also ``gpugrad.keras.optimizers``): Keras 3's
optimizers, each step one fused kernel launch per device and dtype."""
from .base import Optimizer
from .optimizers import SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam
from . import schedules

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Nadam",
           "schedules", "get"]

_BY_NAME = {cls.__name__.lower(): cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta,
                                                   Nadam)}


def get(identifier):
    """An optimizer from a name ('adam'), a config dict or an optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]()
        except KeyError:
            raise ValueError(f"unknown optimizer {identifier!r}; known: {sorted(_BY_NAME)}") from None
    if isinstance(identifier, dict):
        return _BY_NAME[identifier["class_name"].lower()].from_config(identifier["config"])
    raise ValueError(f"cannot interpret {identifier!r} as an optimizer")
