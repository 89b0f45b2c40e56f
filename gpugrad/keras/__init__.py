"""``gpugrad.keras``: Keras 3's names and behaviour for code ported from
TensorFlow: layers, models (subclassed or Sequential) with ``compile``,
``fit`` (a traced train step and a progress bar), ``evaluate`` and
``predict``; losses, metrics, initializers, activations and callbacks."""
from .. import optimizers
from . import (activations, backend, callbacks, initializers, layers, losses, metrics, models,
               utils)
from .engine import Input, InputLayer, Layer, Model, Sequential

__all__ = ["optimizers", "activations", "backend", "callbacks", "initializers", "layers",
           "losses", "metrics", "models", "utils", "Input", "InputLayer", "Layer", "Model",
           "Sequential"]
