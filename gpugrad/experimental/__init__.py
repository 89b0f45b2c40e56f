"""Interfaces TensorFlow keeps under ``tf.experimental``."""
from . import dlpack  # noqa: F401
