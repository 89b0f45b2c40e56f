"""``gpugrad.keras``: Keras names, for code ported from TensorFlow."""
from .. import optimizers  # noqa: F401
