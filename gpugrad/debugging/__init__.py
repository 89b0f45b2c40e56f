"""Debugging tools (``tf.debugging``'s place), and one TensorFlow lacks.

- ``enable_check_numerics()`` / ``disable_check_numerics()``: the first op
  whose output holds a NaN or an Inf raises CheckNumericsError, naming the
  op, whether it ran in the backward pass, and the line of user code that
  called or created it. Eager ops, graphs and traced functions.
- ``explain_gradient(tape, target, source)``, and
  ``tape.gradient(..., explain=True)``: why a gradient is None or zero, in
  words, naming the op and line where the path was cut. With
  ``enable_gradient_explanations()`` on while recording, the explanation
  names ops and lines; without it, it says what the tape alone can tell.

Both are off by default and cost nothing then: one ``is None`` test per
eager op (``registry.observer``) and per graph run (docs/debugging.md).
"""
from .explain import GradientWarning, explain_gradient
from .numerics import (CheckNumericsError, disable_check_numerics, enable_check_numerics,
                       is_check_numerics_enabled)
from .provenance import disable_gradient_explanations, enable_gradient_explanations
from .provenance import is_enabled as is_gradient_explanations_enabled

__all__ = ["CheckNumericsError", "GradientWarning", "disable_check_numerics",
           "disable_gradient_explanations", "enable_check_numerics",
           "enable_gradient_explanations", "explain_gradient", "is_check_numerics_enabled",
           "is_gradient_explanations_enabled"]
