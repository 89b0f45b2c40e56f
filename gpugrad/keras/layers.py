"""``gpugrad.keras.layers``: Keras 3's built-in layers, with its arithmetic."""
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..ops import nn_ops as N
from . import activations, initializers
from .engine import Input, InputLayer, Layer

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Dropout", "Embedding",
           "LayerNormalization", "BatchNormalization", "Flatten", "Activation", "Reshape",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D"]


def _axes(axis, rank, name):
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"{name}: axis {a} is out of range for inputs of rank {rank}")
        out.append(a % rank)
    return sorted(out)


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; kernel (input_dim, units)."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense {self.name!r}: the last dimension of the inputs must be "
                             f"known, got shape {input_shape}")
        self.kernel = self.add_weight(shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    name="bias") if self.use_bias else None

    def call(self, inputs):
        x = M.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = N.bias_add(x, self.bias)
        return self.activation(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class Dropout(Layer):
    """While training, zero each input with probability ``rate`` and scale
    the rest by 1 / (1 - rate); at inference, the identity."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be in [0, 1], got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return M.multiply(inputs, 0.0)
        noise_shape = None
        if self.noise_shape is not None:
            noise_shape = [inputs.shape[i] if d is None else d
                           for i, d in enumerate(self.noise_shape)]
        return N.dropout(inputs, self.rate, noise_shape=noise_shape, seed=self.seed)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Embedding(Layer):
    """Rows of an (input_dim, output_dim) table, looked up by integer ids."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 mask_zero=False, **kwargs):
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        if mask_zero:
            raise NotImplementedError("Embedding: mask_zero is not supported (no masking yet)")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = mask_zero

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          name="embeddings")

    def call(self, inputs):
        if inputs.dtype.name not in ("int32", "int64"):
            inputs = M.cast(inputs, "int32")
        return A.gather(self.embeddings, inputs)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero}


def _broadcastable(v, rank, axes):
    """A (gamma or beta) vector reshaped to broadcast along ``axes``."""
    if v is None or axes == [rank - 1]:
        return v
    shape = [1] * rank
    for i, a in enumerate(axes):
        shape[a] = -1 if len(axes) == 1 else v.shape[i]
    return A.reshape(v, shape)


class LayerNormalization(Layer):
    """Normalise each sample over ``axis`` (mean 0, variance 1), then scale
    by gamma and shift by beta: Keras 3's formula, x * inv + (beta - mean *
    inv) with inv = gamma / sqrt(variance + epsilon)."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def build(self, input_shape):
        axes = _axes(self.axis, len(input_shape), self.name)
        shape = [input_shape[a] for a in axes]
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    name="beta") if self.center else None

    def call(self, inputs):
        rank = len(inputs.shape)
        axes = _axes(self.axis, rank, self.name)
        mean, variance = N.moments(inputs, axes, keepdims=True)
        inv = M.rsqrt(M.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = M.multiply(inv, _broadcastable(self.gamma.value(), rank, axes))
        res = M.multiply(M.negative(mean), inv)
        if self.beta is not None:
            res = M.add(res, _broadcastable(self.beta.value(), rank, axes))
        return M.add(M.multiply(inputs, inv), res)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer)}


class BatchNormalization(Layer):
    """Normalise with the batch's mean and (biased) variance while training,
    and with the moving averages at inference. Each training call updates
    them as Keras 3 does::

        moving_mean     = moving_mean * momentum + mean * (1 - momentum)
        moving_variance = moving_variance * momentum + variance * (1 - momentum)

    A frozen layer (``trainable=False``) always runs in inference mode."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        rank = len(input_shape)
        self._channel = _axes(self.axis, rank, self.name)[0]
        shape = (input_shape[self._channel],)
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    name="beta") if self.center else None
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance")

    def call(self, inputs, training=None):
        rank = len(inputs.shape)
        reduce = [i for i in range(rank) if i != self._channel]
        moving_mean = self.moving_mean.read_value()
        moving_variance = self.moving_variance.read_value()
        if training and self.trainable:
            mean, variance = N.moments(inputs, reduce)
            self.moving_mean.assign(M.add(M.multiply(moving_mean, self.momentum),
                                          M.multiply(mean, 1.0 - self.momentum)))
            self.moving_variance.assign(M.add(M.multiply(moving_variance, self.momentum),
                                              M.multiply(variance, 1.0 - self.momentum)))
        else:
            mean, variance = moving_mean, moving_variance
        # tf.nn.batch_normalization: x * inv + (beta - mean * inv)
        axes = [self._channel]
        mean = _broadcastable(mean, rank, axes)
        variance = _broadcastable(variance, rank, axes)
        inv = M.rsqrt(M.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = M.multiply(inv, _broadcastable(self.gamma.value(), rank, axes))
        shift = M.multiply(mean, inv)
        shift = M.subtract(_broadcastable(self.beta.value(), rank, axes), shift) \
            if self.beta is not None else M.negative(shift)
        return M.add(M.multiply(inputs, inv), shift)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer)}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def call(self, inputs):
        rest = 1
        for d in inputs.shape[1:]:
            if d is None:
                if inputs.shape[0] is None:
                    raise ValueError(f"Flatten {self.name!r}: inputs of shape "
                                     f"{tuple(inputs.shape)} have unknown dimensions")
                return A.reshape(inputs, [inputs.shape[0], -1])
            rest *= d
        return A.reshape(inputs, [-1, rest])


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape); one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        return A.reshape(inputs, [-1 if inputs.shape[0] is None else inputs.shape[0]] +
                         list(self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


# ------------------------------------------------------- images (NHWC only)
def _pair(value, name):
    pair = (value, value) if isinstance(value, int) else tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def _padding(padding):
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _channels_last(data_format, name):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{name}: only data_format='channels_last' (NHWC) is "
                                  f"supported, got {data_format!r}")


class Conv2D(Layer):
    """2-D convolution over NHWC images: kernel (kh, kw, in_channels,
    filters), then the bias and the activation (``gpugrad.nn.conv2d``)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, "Conv2D")
        if groups != 1:
            raise NotImplementedError("Conv2D: groups other than 1 are not supported")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.padding = _padding(padding)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"Conv2D {self.name!r}: inputs must be (batch, height, width, "
                             f"channels) with known channels, got shape {input_shape}")
        self.kernel = self.add_weight(shape=self.kernel_size + (input_shape[-1], self.filters),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer=self.bias_initializer,
                                    name="bias") if self.use_bias else None

    def call(self, inputs):
        from .. import nn
        x = nn.conv2d(inputs, self.kernel, list(self.strides), self.padding.upper(),
                      dilations=list(self.dilation_rate))
        if self.bias is not None:
            x = N.bias_add(x, self.bias)
        return self.activation(x)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class _Pooling2D(Layer):
    _op = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, type(self).__name__)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _pair(strides, "strides")
        self.padding = _padding(padding)

    def call(self, inputs):
        from .. import nn
        return getattr(nn, self._op)(inputs, list(self.pool_size), list(self.strides),
                                     self.padding.upper())

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The maximum of each ``pool_size`` window (strides default to the
    window), over NHWC images (``gpugrad.nn.max_pool2d``)."""
    _op = "max_pool2d"


class AveragePooling2D(_Pooling2D):
    """The mean of each window; 'same' windows at the border average only
    the pixels they cover (``gpugrad.nn.avg_pool2d``)."""
    _op = "avg_pool2d"


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
