"""``gpugrad.keras.utils``: the few Keras utilities training scripts use."""
import random as _python_random

from .. import random as _random
from ..ops import array_ops as A
from ..tensor import convert_to_tensor
from .trainer import unpack_x_y_sample_weight  # noqa: F401

__all__ = ["set_random_seed", "to_categorical", "unpack_x_y_sample_weight"]


def set_random_seed(seed):
    """Seed gpugrad.random (initializers, dropout, fit's shuffling) and
    Python's random module."""
    _python_random.seed(seed)
    _random.set_seed(seed)


def to_categorical(x, num_classes=None):
    """Class indices to one-hot rows (float32), as a numpy array; a trailing
    dimension of size 1 is dropped first, as Keras does."""
    t = convert_to_tensor(x)
    if len(t.shape) > 1 and t.shape[-1] == 1:
        t = A.squeeze(t, [-1])
    if num_classes is None:
        num_classes = int(t.numpy().max()) + 1
    return A.one_hot(t, int(num_classes), dtype="float32").numpy()
