"""``gpugrad.keras.backend``: Keras's global settings (epsilon, floatx) and
the name counters behind layer names ('dense', 'dense_1', ...)."""
import re

_EPSILON = 1e-7
_FLOATX = "float32"
_uids = {}


def epsilon():
    """The fuzz factor of the losses (probabilities are clipped to it)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"floatx must be float16, float32 or float64, got {value!r}")
    _FLOATX = value


def snake_case(name):
    """'BatchNormalization' -> 'batch_normalization', as Keras names things."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def get_uid(prefix):
    """1, 2, 3... per prefix: a layer's default name is the prefix for the
    first and prefix_N after it."""
    _uids[prefix] = _uids.get(prefix, 0) + 1
    return _uids[prefix]


def unique_name(prefix):
    uid = get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def clear_session():
    """Reset the name counters (the next Dense is 'dense' again)."""
    _uids.clear()
