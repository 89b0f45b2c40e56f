"""``gpugrad.keras.metrics``: Keras 3's stateful metrics.

A metric keeps its state in non-trainable variables: ``update_state`` adds a
batch (assignments, so it runs inside a traced train step every call),
``result`` reads the value, ``reset_state`` zeroes it. The accuracy metrics
are means of a per-sample 0/1 value, weighted by ``sample_weight``.
"""
from ..backend import device
from ..dtypes import as_dtype
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..variable import Variable
from . import backend, initializers
from . import losses as _losses
from .losses import _tensor, squeeze_or_expand_to_same_rank

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanSquaredError",
           "MeanAbsoluteError", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "get"]


class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state``; calling a
    metric updates it and returns the result."""

    #: 'up' where larger is better, 'down' where smaller is (EarlyStopping's
    #: mode='auto' reads it)
    _direction = None

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.snake_case(type(self).__name__)
        self.dtype = as_dtype(dtype or backend.floatx())
        self._variables = []

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        init = initializers.get(initializer)
        dtype = as_dtype(dtype or self.dtype)
        v = Variable(lambda: init(list(shape), dtype), trainable=False, dtype=dtype,
                     name=f"{self.name}/{name}" if name else self.name)
        self._variables.append(v)
        return v

    add_weight = add_variable

    @property
    def variables(self):
        return list(self._variables)

    def _trackable_children(self):
        return {v.name.split("/")[-1].split(":")[0]: v for v in self._variables}

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        for v in self._variables:
            with device(v.backend):
                v.assign(A.zeros(list(v.shape), dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _samplewise(values, sample_weight, reduce_fn, dtype):
    """Keras's reduce_to_samplewise_values: per-sample values (weighted),
    and the weights reduced to one per sample."""
    values = _tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim, v_ndim = len(sample_weight.shape), len(values.shape)
        if v_ndim > w_ndim:
            values = reduce_fn(values, list(range(w_ndim, v_ndim)))
        sample_weight = A.broadcast_to(sample_weight, list(values.shape))
        values = M.multiply(values, sample_weight)
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, list(range(1, w_ndim)))
    if len(values.shape) > 1:
        values = reduce_fn(values, list(range(1, len(values.shape))))
    return values, sample_weight


def _divide_no_nan(x, y):
    # total / count, and 0 where count is 0 (then total is 0 too)
    return M.divide(x, M.maximum(y, 1e-30))


class Sum(Metric):
    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable([], name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = _samplewise(values, sample_weight, M.reduce_sum, self.dtype)
        self.total.assign_add(M.reduce_sum(values))

    def result(self):
        return self.total.read_value()


class Mean(Metric):
    """The weighted mean of the values seen: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable([], name="total")
        self.count = self.add_variable([], name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = _samplewise(values, sample_weight, M.reduce_mean, self.dtype)
        self.total.assign_add(M.reduce_sum(values))
        if sample_weight is not None:
            n = M.reduce_sum(sample_weight)
        elif len(values.shape) >= 1:
            n = values.shape[0]
            n = float(n) if n is not None else M.cast(A.shape(values)[0], self.dtype)
        else:
            n = 1.0
        self.count.assign_add(n)

    def result(self):
        return _divide_no_nan(self.total.read_value(), self.count.read_value())


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over the samples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name or fn.__name__, dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


# -------------------------------------------------------------- functions
def _float(x):
    return M.cast(x, backend.floatx())


def accuracy(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _float(M.equal(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = M.cast(M.greater(y_pred, threshold), y_true.dtype)
    return _float(M.equal(y_true, y_pred))


def categorical_accuracy(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = M.argmax(_tensor(y_true), -1)
    y_true = M.cast(y_true, y_pred.dtype)
    if len(y_true.shape) == len(y_pred.shape):
        y_true = A.squeeze(y_true, [-1])
    predicted = M.cast(M.argmax(y_pred, -1), y_true.dtype)
    return _float(M.equal(y_true, predicted))


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = A.squeeze(y_true, [-1])
    predicted = M.cast(M.argmax(y_pred, -1), y_true.dtype)
    matches = _float(M.equal(y_true, predicted))
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = A.squeeze(matches, [-1])
    return matches


# ---------------------------------------------------------------- classes
class Accuracy(MeanMetricWrapper):
    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    _direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    _direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name, dtype)


_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError)}
_CLASS_OF = {accuracy: Accuracy, binary_accuracy: BinaryAccuracy,
             categorical_accuracy: CategoricalAccuracy,
             sparse_categorical_accuracy: SparseCategoricalAccuracy,
             _losses.mean_squared_error: MeanSquaredError,
             _losses.mean_absolute_error: MeanAbsoluteError}


def is_binary_or_sparse_categorical(y_true, y_pred):
    """Keras's guess from the shapes: binary when predictions have one
    column; sparse when the labels have one dimension fewer (or end in 1)."""
    t_rank, p_rank = len(y_true.shape), len(y_pred.shape)
    t_last, p_last = y_true.shape[-1] if t_rank else None, y_pred.shape[-1] if p_rank else None
    is_binary = p_last == 1
    is_sparse = t_rank < p_rank or (t_last == 1 and p_last is not None and p_last > 1)
    return is_binary, is_sparse


_FUNCTIONS = {"accuracy": accuracy, "binary_accuracy": binary_accuracy,
              "categorical_accuracy": categorical_accuracy,
              "sparse_categorical_accuracy": sparse_categorical_accuracy,
              "mean_squared_error": _losses.mean_squared_error,
              "mse": _losses.mean_squared_error,
              "mean_absolute_error": _losses.mean_absolute_error,
              "mae": _losses.mean_absolute_error}


def get(identifier):
    """Keras's lookup: a metric class's name gives an instance, a function's
    name ('accuracy', 'mse') the function; metrics, config dicts and
    callables pass through."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        fn = _FUNCTIONS.get(identifier.lower())
        if fn is None:
            raise ValueError(f"unknown metric {identifier!r}; known: "
                             f"{sorted(_FUNCTIONS) + sorted(_CLASSES)}")
        return fn
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as a metric")


def as_metric(identifier, y_true=None, y_pred=None):
    """A metric object for compile, named as asked. 'accuracy' (or 'acc')
    becomes BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy
    from the shapes of the labels and predictions, as Keras decides."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        if y_true is None or y_pred is None:
            raise ValueError("the 'accuracy' metric needs the labels and predictions")
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        cls = BinaryAccuracy if is_binary else SparseCategoricalAccuracy if is_sparse \
            else CategoricalAccuracy
        return cls(name=identifier)
    metric = get(identifier)
    if isinstance(metric, Metric):
        return metric
    name = identifier if isinstance(identifier, str) else getattr(metric, "__name__", None)
    cls = _CLASS_OF.get(metric)
    return cls(name=name) if cls is not None else MeanMetricWrapper(metric, name=name)
