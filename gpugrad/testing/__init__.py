"""Testing helpers: ``check_gradients`` compares the tape's gradients with
central differences, to second order by default."""
from .gradient_check import check_gradients, DEFAULT_TOLERANCES  # noqa: F401

__all__ = ["check_gradients", "DEFAULT_TOLERANCES"]
