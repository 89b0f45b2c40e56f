"""Random tensors, reproducible per device for a given seed.

As in TensorFlow, a global seed (``set_seed``) and an op seed together
select a stream: after ``set_seed(s)`` the same sequence of calls gives the
same values on a given device. Without a global seed, values differ from run
to run.
"""
import os

from . import backend as _backends
from . import context
from .dtypes import as_dtype, float32
from .tensor import Tensor, convert_to_tensor

_global_seed = None
_UNSEEDED = int.from_bytes(os.urandom(8), "little")


def set_seed(seed):
    """Fix the global seed: every device's generators restart from it."""
    global _global_seed
    _global_seed = None if seed is None else int(seed)
    for b in _backends.all_backends():
        b.reset_generators()


def get_global_seed():
    return _global_seed


def _generator(backend, seed):
    base = _UNSEEDED if _global_seed is None else _global_seed
    # seeds are non-negative integers for numpy and CuPy alike
    return backend.generator((base & (2**63 - 1), 0 if seed is None else 1 + (int(seed) & (2**62 - 1))))


def _shape(shape):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    return (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)


def _floats(backend, draw, shape, dtype):
    # generators draw float32 or float64; float16 is drawn as float32
    dtype = as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"this random op produces floats, got dtype {dtype.name}")
    native = "float64" if dtype.name == "float64" else "float32"
    return draw(_shape(shape), dtype=native).astype(dtype.name, copy=False)


@context.graph_function("RandomStandardNormal", differentiable=False)
def normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None):
    b = _backends.current()
    rng = _generator(b, seed)
    x = _floats(b, rng.standard_normal, shape, dtype)
    return Tensor(x * stddev + mean if (mean, stddev) != (0.0, 1.0) else x, b)


@context.graph_function("RandomUniform", differentiable=False)
def uniform(shape, minval=0, maxval=None, dtype=float32, seed=None, name=None):
    """Uniform in [minval, maxval); integer dtypes need maxval."""
    b = _backends.current()
    rng = _generator(b, seed)
    dtype = as_dtype(dtype)
    if dtype.is_integer:
        if maxval is None:
            raise ValueError("uniform: an integer dtype needs maxval")
        return Tensor(rng.integers(minval, maxval, size=_shape(shape)).astype(dtype.name), b)
    maxval = 1.0 if maxval is None else maxval
    x = _floats(b, rng.random, shape, dtype)
    if (minval, maxval) != (0, 1.0):
        x = (x * (maxval - minval) + minval).astype(dtype.name, copy=False)
    return Tensor(x, b)


@context.graph_function("TruncatedNormal", differentiable=False)
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None):
    """Normal values redrawn until they lie within two standard deviations."""
    b = _backends.current()
    rng = _generator(b, seed)
    xp = b.xp
    x = _floats(b, rng.standard_normal, shape, "float64" if as_dtype(dtype).name == "float64"
                else "float32")
    bad = xp.abs(x) > 2
    while bool(bad.any()):
        redraw = rng.standard_normal(x.shape, dtype=x.dtype)
        x = xp.where(bad, redraw, x)
        bad = xp.abs(x) > 2
    return Tensor((x * stddev + mean).astype(as_dtype(dtype).name), b)


@context.graph_function("RandomShuffle", differentiable=False)
def shuffle(value, seed=None, name=None):
    """The value with its first dimension randomly permuted."""
    t = convert_to_tensor(value)
    b = t._backend
    rng = _generator(b, seed)
    order = b.xp.argsort(rng.random(t._data.shape[0]))
    return Tensor(t._data[order], b)


@context.graph_function("Multinomial", differentiable=False)
def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Draw class indices from unnormalised log-probabilities (one row each)."""
    t = convert_to_tensor(logits)
    b = t._backend
    xp = b.xp
    rng = _generator(b, seed)
    gumbel = -xp.log(-xp.log(rng.random((t._data.shape[0], int(num_samples), t._data.shape[1]))))
    draws = xp.argmax(t._data[:, None, :] + gumbel, axis=-1)
    return Tensor(draws.astype(as_dtype(dtype or "int64").name), b)
