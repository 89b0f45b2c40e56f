"""``gpugrad.keras.losses``: Keras 3's losses, with its arithmetic.

A loss object computes a per-sample value (the mean over the last axis for
the elementwise losses), multiplies by ``sample_weight`` when given, and
reduces: ``"sum_over_batch_size"`` (the default; also ``"mean"``) divides the
sum by the number of per-sample values, ``"sum"`` sums, ``"none"`` keeps them.
Probabilities are clipped to [epsilon, 1 - epsilon] with Keras's epsilon 1e-7.
"""
from ..dtypes import as_dtype
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..ops import nn_ops as N
from ..tensor import Tensor, convert_to_tensor
from . import backend

__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "get"]

_REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none", None)


def _tensor(x, dtype=None):
    """A tensor (numpy arrays and lists converted); cast to ``dtype`` when given."""
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if dtype is not None and t.dtype is not as_dtype(dtype):
        t = M.cast(t, dtype)
    return t


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank matching: where the ranks differ by one and the longer
    one ends in 1, squeeze that axis (or expand a rank-1 partner)."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = A.expand_dims(x2, -1)
        else:
            x1 = A.squeeze(x1, [-1])
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = A.expand_dims(x1, -1)
        else:
            x2 = A.squeeze(x2, [-1])
    return x1, x2


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = M.multiply(values, sample_weight)
    if reduction in (None, "none") or len(values.shape) == 0:
        return values
    total = M.reduce_sum(values)
    if reduction == "sum":
        return total
    return M.divide(total, _count(values))


def _count(values):
    """The number of elements: a Python number where the shape is known
    (0 becomes 1: Keras divides with divide_no_nan), else a tensor."""
    if values.shape.is_fully_defined():
        count = 1
        for d in values.shape:
            count *= d
        return float(max(count, 1))
    return M.maximum(M.cast(A.size(values), values.dtype), 1.0)


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning
    per-sample losses; ``__call__`` weights and reduces them."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{_REDUCTIONS}, got {reduction!r}")
        self.name = name or backend.snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = as_dtype(dtype or backend.floatx())

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred, self.dtype)
        y_true = _tensor(y_true, self.dtype)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A loss object around a function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name or fn.__name__, reduction, dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


# --------------------------------------------------------------- functions
def mean_squared_error(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return M.reduce_mean(M.square(M.subtract(y_true, y_pred)), -1)


def mean_absolute_error(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return M.reduce_mean(M.abs(M.subtract(y_true, y_pred)), -1)


def _check_same_shape(fn, target, output):
    if len(target.shape) != len(output.shape) or any(
            a is not None and b is not None and a != b
            for a, b in zip(target.shape, output.shape)):
        raise ValueError(f"{fn}: y_true and y_pred must have the same shape, got "
                         f"{list(target.shape)} and {list(output.shape)}")


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = M.add(M.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    if from_logits:
        values = N.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        eps = backend.epsilon()
        p = M.clip_by_value(y_pred, eps, 1.0 - eps)
        values = M.add(M.multiply(y_true, M.log(p)),
                       M.multiply(M.subtract(1.0, y_true), M.log(M.subtract(1.0, p))))
        values = M.negative(values)
    return M.reduce_mean(values, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    if label_smoothing:
        classes = float(y_true.shape[-1])
        y_true = M.add(M.multiply(y_true, 1.0 - label_smoothing), label_smoothing / classes)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    if from_logits:
        return N.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    # probabilities renormalised to sum to 1, then clipped, as Keras does
    p = M.divide(y_pred, M.reduce_sum(y_pred, axis, keepdims=True))
    eps = backend.epsilon()
    p = M.clip_by_value(p, eps, 1.0 - eps)
    return M.negative(M.reduce_sum(M.multiply(y_true, M.log(p)), axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true)
    if axis not in (-1, len(y_pred.shape) - 1):
        raise ValueError(f"sparse_categorical_crossentropy: only axis=-1 is supported, "
                         f"got {axis}")
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = A.squeeze(y_true, [-1])
    labels = y_true if y_true.dtype.is_integer else M.cast(y_true, "int64")
    valid = None
    if ignore_class is not None:
        valid = M.not_equal(labels, int(ignore_class))
        labels = M.where(valid, labels, A.zeros_like(labels))
        y_pred = M.where(A.expand_dims(valid, -1), y_pred, A.zeros_like(y_pred))
    if len(labels.shape) != len(y_pred.shape) - 1:
        raise ValueError(f"sparse_categorical_crossentropy: y_pred must have one dimension "
                         f"more than y_true, got {list(y_true.shape)} and "
                         f"{list(y_pred.shape)}")
    logits = y_pred
    if not from_logits:
        # Keras: log of the clipped probabilities, fed to the softmax
        # cross-entropy (which normalises them again)
        eps = backend.epsilon()
        logits = M.log(M.clip_by_value(y_pred, eps, 1.0 - eps))
    values = N.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if valid is not None:
        values = M.where(valid, values, A.zeros_like(values))
    return values


# ----------------------------------------------------------------- classes
class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_CLASSES = {cls.__name__: cls for cls in (MeanSquaredError, MeanAbsoluteError,
                                          BinaryCrossentropy, CategoricalCrossentropy,
                                          SparseCategoricalCrossentropy)}
_FUNCTIONS = {"mean_squared_error": mean_squared_error, "mse": mean_squared_error,
              "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
              "binary_crossentropy": binary_crossentropy,
              "categorical_crossentropy": categorical_crossentropy,
              "sparse_categorical_crossentropy": sparse_categorical_crossentropy}


def get(identifier):
    """Keras's lookup: a loss class's name ('BinaryCrossentropy') gives an
    instance, a function's name ('mse', 'binary_crossentropy') the function;
    Loss objects, config dicts and callables pass through."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        fn = _FUNCTIONS.get(identifier.lower())
        if fn is None:
            raise ValueError(f"unknown loss {identifier!r}; known: "
                             f"{sorted(_FUNCTIONS) + sorted(_CLASSES)}")
        return fn
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as a loss")


def as_loss(identifier):
    """A Loss object for compile: functions are wrapped (reduced over the
    batch), named after the string or the function."""
    loss = get(identifier)
    if loss is None or isinstance(loss, Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", None)
    return LossFunctionWrapper(loss, name=name)
