"""``gpugrad.compat.v1``: TensorFlow 1 spellings (also at the top level)."""
from . import v1  # noqa: F401
