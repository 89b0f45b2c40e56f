"""Layer, Model and Sequential: Keras 3's object model over gpugrad variables.

A layer builds on its first call, from the input's shape (``build``), then
runs ``call``. Variables and sub-layers are found by walking the layer's
attributes (lists, tuples and dicts included) whenever they are asked for,
so an attribute assigned or appended at any time is tracked.

``training`` propagates as in Keras: a layer called without it takes the
value its caller was called with (a Dropout inside a model called with
``training=True`` drops), else its ``call``'s default.
"""
import collections
import functools
import inspect
import threading

from .. import nest
from ..backend import device
from ..dtypes import as_dtype
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..tensor import Tensor, constant, convert_to_tensor
from ..variable import Variable
from . import backend, initializers
from .trainer import Trainer

__all__ = ["Layer", "Model", "Sequential", "InputLayer", "Input", "KerasTensor"]

_state = threading.local()


def _training_stack():
    stack = getattr(_state, "training", None)
    if stack is None:
        stack = _state.training = []
    return stack


def _inherited_training():
    for value in reversed(_training_stack()):
        if value is not None:
            return value
    return None


def _numbers_only(x):
    """True for Python numbers and (nested) lists of them: one array."""
    if isinstance(x, (list, tuple)):
        return all(_numbers_only(v) for v in x)
    return isinstance(x, (bool, int, float))


_LAYER_KWARGS = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "autocast",
                 "input_length", "dynamic"}


class Layer:
    """Base class of layers: override ``build(input_shape)`` (create weights
    with ``add_weight``) and ``call(inputs, training=None)``."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = set(kwargs) - _LAYER_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments "
                            f"{sorted(unknown)}")
        self.name = name or backend.unique_name(backend.snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._dtype = as_dtype(dtype or backend.floatx())
        self._autocast = kwargs.get("autocast", True)
        self.built = False
        self._own_weights = []          # made by add_weight, in order
        self._created_trainable = {}    # id(variable) -> trainable when first seen
        self._output_shape = None       # recorded on calls, for summary()
        shape = kwargs.get("input_shape")
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs["input_dim"],)
        batch = kwargs.get("batch_size")
        if kwargs.get("batch_input_shape") is not None:
            batch, shape = kwargs["batch_input_shape"][0], kwargs["batch_input_shape"][1:]
        self._input_shape_arg = None if shape is None else \
            (batch,) + tuple(shape if isinstance(shape, (list, tuple)) else (shape,))

    # ---------------------------------------------------------- description
    @property
    def dtype(self):
        return self._dtype.name

    @property
    def compute_dtype(self):
        return self._dtype.name

    @property
    def variable_dtype(self):
        return self._dtype.name

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def __init_subclass__(cls, **kwargs):
        # as in Keras: calling build() directly marks the layer built, so
        # its first call does not build it (and make its weights) again
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            original = cls.__dict__["build"]

            @functools.wraps(original)
            def build(self, *args, **kwargs):
                original(self, *args, **kwargs)
                self.built = True
            cls.build = build

    # ---------------------------------------------------------------- build
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch first, None
        where unknown). The default creates none."""
        self.built = True

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = nest.map_structure(
            lambda t: tuple(t.shape) if isinstance(t, Tensor) else None, inputs)
        self.build(shapes)
        self.built = True

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   name=None, **unused):
        """A variable of this layer (``shape``, ``initializer`` as an object, a
        name or a callable, ``trainable``), named '<layer>/<name>'."""
        if regularizer is not None or constraint is not None:
            raise NotImplementedError("add_weight: regularizers and constraints are not "
                                      "supported yet")
        shape = [] if shape is None else [int(d) for d in shape]
        dtype = as_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._own_weights)}"
        # a callable initial value: made eagerly, also while a function traces
        variable = Variable(lambda: init(shape, dtype), trainable=trainable, dtype=dtype,
                            name=f"{self.name}/{name}")
        self._own_weights.append((name, variable))
        self._created_trainable[id(variable)] = bool(trainable)
        if not self._trainable and trainable:
            variable._trainable = False
        return variable

    # ----------------------------------------------------------------- call
    def call(self, inputs, *args, **kwargs):
        return inputs

    @classmethod
    def _training_arg(cls):
        """(whether ``call`` takes ``training``, its default)."""
        found = cls.__dict__.get("_training_arg_cache")
        if found is None:
            params = inspect.signature(cls.call).parameters
            p = params.get("training")
            if p is not None:
                found = (True, None if p.default is p.empty else p.default)
            else:
                found = (any(p.kind is p.VAR_KEYWORD for p in params.values()), None)
            cls._training_arg_cache = found
        return found

    def _convert(self, x):
        if isinstance(x, Tensor):
            t = x
        elif isinstance(x, Variable):
            t = convert_to_tensor(x)
        elif x is None:
            return None
        else:
            t = constant(x)
        if self._autocast and t.dtype.is_floating and t.dtype is not self._dtype:
            t = M.cast(t, self._dtype)
        return t

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, KerasTensor):
            raise NotImplementedError(
                f"{self.name}: calling a layer on keras.Input (Keras's functional API) is not "
                f"supported; give the Input to a Sequential model, or subclass Model")
        if _numbers_only(inputs) or not isinstance(inputs, (list, tuple, dict)):
            inputs = self._convert(inputs)
        else:
            inputs = nest.map_structure(self._convert, inputs)
        self._maybe_build(inputs)
        # Keras's priority: the argument, else the caller's value, else
        # call's default; inner layers inherit the result
        training = kwargs.pop("training", None)
        takes, default = self._training_arg()
        if training is None:
            training = _inherited_training()
            if training is None and takes:
                training = default
        if takes and training is not None:
            kwargs["training"] = training
        stack = _training_stack()
        stack.append(training)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            stack.pop()
        if isinstance(outputs, Tensor):
            shape = tuple(outputs.shape)
            self._output_shape = (None,) + shape[1:] if shape else shape
        return outputs

    @property
    def output_shape(self):
        if self._output_shape is None:
            raise AttributeError(f"layer {self.name!r} has not been called yet: it has no "
                                 f"output shape")
        return self._output_shape

    # ------------------------------------------------------------- tracking
    def _tracked(self):
        """[(name, object)] for the variables, layers and metrics held in
        attributes (lists as name_0, name_1...; dicts as name_key), then the
        add_weight variables held nowhere else, each once."""
        found, seen = [], {id(self)}

        def visit(name, value, depth):
            if isinstance(value, (Variable, Layer)) or _is_metric(value):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append((name, value))
            elif depth < 8 and isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    visit(f"{name}_{i}", item, depth + 1)
            elif depth < 8 and isinstance(value, dict):
                for key, item in value.items():
                    visit(f"{name}_{key}", item, depth + 1)

        for attr, value in vars(self).items():
            if attr not in _UNTRACKED:
                visit(attr, value, 0)
        for name, variable in self._own_weights:
            if id(variable) not in seen:
                seen.add(id(variable))
                found.append((name, variable))
        return found

    def _trackable_children(self):
        """An ordered {name: child} of the variables and sub-layers this layer
        holds (attribute names; lists as name_0, name_1...), for checkpoints."""
        return collections.OrderedDict(
            (name, obj) for name, obj in self._tracked() if not _is_metric(obj))

    def _sublayers(self):
        return [obj for _, obj in self._tracked() if isinstance(obj, Layer)]

    def _own_variables(self):
        own = [obj for _, obj in self._tracked() if isinstance(obj, Variable)]
        for v in own:
            self._created_trainable.setdefault(id(v), v.trainable)
        # Keras's order: the variables made trainable first, then the others
        return [v for v in own if self._created_trainable[id(v)]] + \
            [v for v in own if not self._created_trainable[id(v)]]

    @property
    def weights(self):
        """This layer's variables, then its sub-layers' (each once)."""
        out, seen = [], set()
        for layer in self._layer_tree():
            for v in layer._own_variables():
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def _layer_tree(self):
        """This layer and every layer under it, depth first, each once (a
        layer that refers back to its parent makes no loop)."""
        order, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            order.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return order

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def variables(self):
        """Every variable: the weights, then the metrics' state."""
        out = self.weights
        seen = {id(v) for v in out}
        for metric in self._metric_objects():
            for v in metric.variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def _metric_objects(self):
        return [obj for layer in self._layer_tree() for _, obj in layer._tracked()
                if _is_metric(obj)]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Setting False freezes the layer: its weights and its sub-layers'
        become non-trainable (variables made non-trainable stay so)."""
        value = bool(value)
        for layer in self._layer_tree():
            layer._trainable = value
            for v in layer._own_variables():
                if layer._created_trainable[id(v)]:
                    v._trainable = value

    def count_params(self):
        total = 0
        for v in self.weights:
            n = 1
            for d in v.shape:
                n *= d
            total += n
        return total

    def get_weights(self):
        """The weights' values, as numpy arrays."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Assign values (arrays, in ``weights`` order) to the weights;
        checks every shape before changing anything."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(f"{self.name}.set_weights: expected {len(params)} arrays "
                             f"({[v.name for v in params]}), got {len(weights)}")
        for v, w in zip(params, weights):
            shape = tuple(w.shape) if hasattr(w, "shape") else tuple(constant(w).shape)
            if tuple(v.shape) != shape:
                raise ValueError(f"{self.name}.set_weights: '{v.name}' has shape "
                                 f"{list(v.shape)}, the value {list(shape)}")
        for v, w in zip(params, weights):
            if isinstance(w, Variable):
                w = w.read_value()
            if isinstance(w, Tensor) and w.dtype is not v.dtype:
                w = M.cast(w, v.dtype)
            with device(v.backend):
                v.assign(w if isinstance(w, Tensor) else constant(w, v.dtype))

    # --------------------------------------------------------------- config
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = self._input_shape_arg
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


#: attributes that hold bookkeeping, not children
_UNTRACKED = {"_own_weights", "_created_trainable", "_output_shape", "_input_shape_arg"}


def _is_metric(obj):
    from .metrics import Metric
    return isinstance(obj, Metric)


# ------------------------------------------------------------------ inputs
class KerasTensor:
    """What ``Input`` returns: a shape (batch first) and a dtype, used to
    give a Sequential model its input shape."""

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(shape)
        self.dtype = as_dtype(dtype).name
        self.name = name

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **unused):
    """The input of a Sequential model: ``Input(shape=(784,))``."""
    if batch_shape is None:
        if shape is None:
            raise ValueError("Input: pass shape (without the batch dimension)")
        batch_shape = (batch_size,) + tuple(shape)
    return KerasTensor(batch_shape, dtype or backend.floatx(),
                       name or backend.unique_name("input_layer"))


class InputLayer(Layer):
    """A Sequential model's first entry, giving its input shape and dtype."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_shape=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        shape = shape if shape is not None else input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: pass shape (without the batch dimension)")
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(batch_shape)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "batch_shape": self.batch_shape}


# ------------------------------------------------------------------ models
class Model(Trainer, Layer):
    """A layer that trains: subclass it (layers in ``__init__``, the forward
    pass in ``call``), or use Sequential. ``compile``, ``fit``, ``evaluate``,
    ``predict`` come from Trainer."""

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("Model(inputs, outputs), Keras's functional API, is not "
                                      "supported: subclass Model or use Sequential")
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    def _maybe_build(self, inputs):
        # the sub-layers build themselves during the call
        if not self.built:
            if type(self).build is not Model.build:
                Layer._maybe_build(self, inputs)
            self.built = True

    def build(self, input_shape):
        """Build by calling the model on zeros of ``input_shape`` (None as 1)."""
        if self.built:
            return
        x = A.zeros([1 if d is None else int(d) for d in input_shape], dtype=self._dtype)
        self(x, training=False)

    @property
    def layers(self):
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[l.name for l in layers]}")

    def summary(self, line_length=None, positions=None, print_fn=None, **unused):
        """Print the layers, their output shapes and parameter counts."""
        from .summary import print_summary
        print_summary(self, line_length, print_fn)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights with ``gpugrad.train.Checkpoint(model=self)``."""
        return _checkpoint(self).write(filepath)

    def load_weights(self, filepath, skip_mismatch=False, **unused):
        """Read weights written by ``save_weights``."""
        return _checkpoint(self).read(filepath)


def _checkpoint(model):
    from .. import train
    if not hasattr(train, "Checkpoint"):
        raise NotImplementedError("save_weights and load_weights need gpugrad.train.Checkpoint")
    return train.Checkpoint(model=model)


class Sequential(Model):
    """A stack of layers, each fed the previous one's output. Given an input
    shape (``Input``, ``InputLayer`` or ``input_shape=`` on the first layer)
    it builds at once, so ``weights`` and ``summary()`` work before any call."""

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._stack = []
        self._input_spec = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor):
            self._set_input(layer.shape, layer.dtype)
            return
        if isinstance(layer, InputLayer):
            self._set_input(layer.batch_shape, layer.dtype)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer, got {type(layer).__name__}: "
                            f"{layer!r}")
        if not self._stack and self._input_spec is None and layer._input_shape_arg is not None:
            self._input_spec = (layer._input_shape_arg, backend.floatx())
        self._stack.append(layer)
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        if not self._stack:
            raise TypeError("Sequential.pop: there are no layers to remove")
        layer = self._stack.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _set_input(self, batch_shape, dtype):
        if self._stack:
            raise ValueError("Sequential: an Input must come before the layers")
        self._input_spec = (tuple(batch_shape), dtype)

    def _maybe_rebuild(self):
        if self._input_spec is not None and self._stack:
            self.build(self._input_spec[0])

    def build(self, input_shape=None):
        """Build every layer by running zeros of ``input_shape`` through them."""
        if input_shape is None:
            if self._input_spec is None:
                raise ValueError("Sequential.build: pass input_shape, or give the model an Input")
            input_shape = self._input_spec[0]
        dtype = self._input_spec[1] if self._input_spec is not None else self._dtype
        x = A.zeros([1 if d is None else int(d) for d in input_shape], dtype=as_dtype(dtype))
        self.built = True
        self(x, training=False)

    def _maybe_build(self, inputs):
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    @property
    def layers(self):
        return list(self._stack)

    def _trackable_children(self):
        """The layers as layer_0, layer_1...; then anything else held."""
        children = collections.OrderedDict(
            (f"layer_{i}", layer) for i, layer in enumerate(self._stack))
        for name, obj in Layer._trackable_children(self).items():
            if not name.startswith("_stack_"):
                children[name] = obj
        return children

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                  "layers": [{"class_name": type(l).__name__, "config": l.get_config()}
                             for l in self._stack]}
        if self._input_spec is not None:
            config["input_shape"] = self._input_spec[0]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import layers as layer_module
        custom_objects = custom_objects or {}
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        if config.get("input_shape") is not None:
            model.add(Input(batch_shape=config["input_shape"]))
        for entry in config["layers"]:
            cls_ = custom_objects.get(entry["class_name"]) or getattr(layer_module,
                                                                      entry["class_name"])
            model.add(cls_.from_config(entry["config"]))
        return model
