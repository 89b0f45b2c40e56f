"""compile, fit, evaluate, predict: Keras 3's training loop.

Each step (``train_step``, ``test_step``, ``predict_step``, all overridable)
runs as a ``gpugrad.function``: the forward pass, the gradient, the
optimizer's fused update and the metric updates trace into one graph. One
traced function is kept per batch size (the full batches and the last,
partial one), so shapes stay fully known and nothing retraces;
``compile(run_eagerly=True)`` runs the steps as plain Python instead.

Data are numpy arrays (kept on the host, each batch copied to the current
device), gpugrad tensors (batches gathered where they live, then moved to
the current device) or nested lists of numbers. float64 data become
float32, as in Keras.
"""
import math

from .. import distributed as _distributed
from .. import nest
from .. import random as _random
from ..backend import current as _current_backend, device
from ..ops import array_ops as A
from ..ops import math_ops as M
from ..tape import GradientTape
from ..tensor import Tensor, constant
from ..variable import Variable
from . import callbacks as callbacks_module
from . import losses as losses_module
from . import metrics as metrics_module

__all__ = ["Trainer", "unpack_x_y_sample_weight"]


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from a batch: x, (x,), (x, y) or (x, y, w)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"a batch is x, (x, y) or (x, y, sample_weight); got {len(data)} items")


class Trainer:
    """The training half of Model."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._run_eagerly = False
        self._loss_fn = None
        self._metric_specs = []
        self._loss_tracker = None
        self._compile_metrics = None      # made from the first batch (accuracy's kind)
        self._metrics_device = None
        self._traced = {}                 # (kind, batch size) -> gpugrad.function
        self._traced_for = None

    # ------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer (a name or an object), the loss (a name, a
        Loss or a function) and the metrics ('accuracy' is resolved from the
        shapes of the labels and predictions, as Keras does)."""
        from .. import optimizers
        if loss_weights is not None or weighted_metrics is not None:
            raise NotImplementedError("compile: loss_weights and weighted_metrics are not "
                                      "supported")
        if isinstance(metrics, dict):
            raise NotImplementedError("compile: metrics per output (a dict) are not supported")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._loss_fn = losses_module.as_loss(loss)
        self._metric_specs = list(metrics) if isinstance(metrics, (list, tuple)) else \
            [] if metrics is None else [metrics]
        self._run_eagerly = bool(run_eagerly)
        self._loss_tracker = None
        self._compile_metrics = None
        self._traced = {}
        self.compiled = True

    @property
    def run_eagerly(self):
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._traced = {}

    def _check_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {what}()")

    # ------------------------------------------------------------- metrics
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, then metrics held as attributes."""
        found, seen = [], set()
        compiled = ([self._loss_tracker] if self._loss_tracker is not None else []) + \
            list(self._compile_metrics or ())
        for m in compiled + self._metric_objects():
            if id(m) not in seen:
                seen.add(id(m))
                found.append(m)
        return found

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _build_metrics(self, y, y_pred):
        """Make the loss tracker and the compiled metrics (on the current
        device), once per compile and device."""
        here = _current_backend().name
        if self._compile_metrics is not None and self._metrics_device == here:
            return
        self._loss_tracker = metrics_module.Mean(name="loss")
        made = []
        for spec in self._metric_specs:
            if y is None and isinstance(spec, str) and spec.lower() in ("accuracy", "acc"):
                raise ValueError("the 'accuracy' metric needs labels (y)")
            made.append(metrics_module.as_metric(spec, y, y_pred))
        self._compile_metrics = made
        self._metrics_device = here
        self._traced = {}

    def get_metrics_result(self):
        return {m.name: m.result() for m in self.metrics}

    def _metrics_result_or_logs(self, logs):
        """The metrics' results, unless a custom step returned other logs
        (then its last logs, as Keras does)."""
        results = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) != set(results):
            return logs
        return results

    # --------------------------------------------------------------- steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self._loss_fn is None:
            raise ValueError("compile() was called without a loss: pass loss=, or override "
                             "train_step / compute_loss")
        return self._loss_fn(y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        for m in self._compile_metrics or ():
            m.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimizer step on a batch; returns the metrics' results."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(loss, sample_weight=_batch_rows(x))
        variables = self.trainable_weights
        if variables:
            grads = tape.gradient(loss, variables)
            grads = _distributed.fit_gradients(grads, variables, self.optimizer)
            self.optimizer.apply_gradients(zip(grads, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_rows(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _step(self, kind, batch):
        x, y, sw = batch
        fns = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}
        if self._run_eagerly:
            return fns[kind]((x, y, sw))
        rows = batch[0]
        rows = nest.flatten(rows)[0].shape[0] if rows is not None else None
        fn = self._traced.get((kind, rows))
        if fn is None:
            from ..function import function
            step = fns[kind]
            fn = self._traced[(kind, rows)] = function(lambda x, y, sw: step((x, y, sw)),
                                                       name=f"{kind}_function")
        return fn(x, y, sw)

    def _prepare(self, data, kind):
        """Before the first traced step: build the model and the metrics
        eagerly on the first batch (variables are made outside traces)."""
        if kind != "predict":
            self._check_compiled("fit" if kind == "train" else "evaluate")
        key = [id(v) for v in self.trainable_weights] if self.built else None
        needs_metrics = kind != "predict" and (
            self._compile_metrics is None or self._metrics_device != _current_backend().name)
        if self.built and not needs_metrics:
            self._check_traced_for(key)
            return
        x, y, _ = data.first_batch()
        y_pred = self(x, training=False)
        if kind != "predict":
            self._build_metrics(y, y_pred)
        self._check_traced_for([id(v) for v in self.trainable_weights])

    def _check_traced_for(self, key):
        # a trace fixes the variables it trains: changing them retraces
        if key != self._traced_for:
            self._traced = {}
            self._traced_for = key

    # ----------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over (x, y); returns a History whose
        ``history`` holds the per-epoch loss and metrics (and val_*)."""
        self._check_compiled("fit")
        if class_weight is not None or steps_per_epoch is not None or \
                validation_steps is not None:
            raise NotImplementedError("fit: class_weight, steps_per_epoch and validation_steps "
                                      "are not supported")
        verbose = _verbosity(verbose)
        batch_size = batch_size or 32
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = _split(x, y, sample_weight,
                                                            validation_split)
        ranks = _distributed.fit_runtime()
        if ranks is not None:       # data-parallel: this rank's shard, rank 0 reports
            x, y, sample_weight = _shard((x, y, sample_weight), ranks)
            if validation_data is not None:
                validation_data = _shard(unpack_x_y_sample_weight(validation_data), ranks)
            verbose = verbose if ranks.rank == 0 else 0
        data = _Data(x, y, sample_weight, batch_size)
        val = None
        if validation_data is not None:
            vx, vy, vw = unpack_x_y_sample_weight(validation_data)
            val = _Data(vx, vy, vw, validation_batch_size or batch_size)
        self._prepare(data, "train")
        if ranks is not None:       # every rank starts from rank 0's weights
            _distributed.broadcast_variables(self.weights, root_rank=0)
        cbs = callbacks_module.CallbackList(
            callbacks, model=self, add_history=True, add_progbar=verbose != 0, verbose=verbose,
            epochs=epochs, steps=data.steps)
        self.stop_training = False
        cbs.on_train_begin()
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            logs = {}
            for step, batch in enumerate(data.batches(shuffle)):
                cbs.on_train_batch_begin(step)
                logs = self._ordered(self._step("train", batch))
                cbs.on_train_batch_end(step, logs)
                if ranks is not None:   # a callback that stops one rank stops them all:
                    # a rank going on alone would wait for the others' gradients forever
                    self.stop_training = ranks.any(self.stop_training, "stop_training")
                if self.stop_training:
                    break
            epoch_logs = {name: float(value) for name, value in
                          self._ordered(self._metrics_result_or_logs(logs)).items()}
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate(val, verbose=0)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            if ranks is not None:   # equal shards: the mean over ranks is the global mean
                epoch_logs = _mean_over_ranks(epoch_logs, ranks)
            cbs.on_epoch_end(epoch, epoch_logs)
            if ranks is not None:
                self.stop_training = ranks.any(self.stop_training, "stop_training")
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs)
        return cbs.history

    def _ordered(self, logs):
        """Logs in the order of ``metrics`` (loss first), others after."""
        if not isinstance(logs, dict):
            return logs
        names = [m.name for m in self.metrics]
        out = {k: logs[k] for k in names if k in logs}
        out.update((k, v) for k, v in logs.items() if k not in out)
        return out

    # ------------------------------------------------------------ evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics over (x, y): the loss alone, or [loss,
        metric...] in ``metrics_names`` order (a dict with return_dict)."""
        self._check_compiled("evaluate")
        data = _Data(x, y, sample_weight, batch_size or 32)
        self._prepare(data, "test")
        logs = self._evaluate(data, _verbosity(verbose), callbacks)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate(self, data, verbose, callbacks=None):
        cbs = callbacks_module.CallbackList(callbacks, model=self, add_progbar=verbose == 1,
                                            verbose=verbose, steps=data.steps)
        self.reset_metrics()
        cbs.on_test_begin()
        logs = {}
        for step, batch in enumerate(data.batches(False)):
            cbs.on_test_batch_begin(step)
            logs = self._ordered(self._step("test", batch))
            cbs.on_test_batch_end(step, logs)
        logs = {k: float(v) for k, v in self._ordered(self._metrics_result_or_logs(logs)).items()}
        cbs.on_test_end(logs)
        return logs

    # ------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for x, batch by batch, as numpy arrays."""
        data = _Data(x, None, None, batch_size or 32)
        self._prepare(data, "predict")
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(callbacks, model=self, add_progbar=verbose == 1,
                                            verbose=verbose, steps=data.steps)
        cbs.on_predict_begin()
        outputs = []
        for step, batch in enumerate(data.batches(False)):
            cbs.on_predict_batch_begin(step)
            outputs.append(self._step("predict", batch))
            cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict: x has no samples")
        joined = [A.concat(parts, 0) if len(parts) > 1 else parts[0]
                  for parts in zip(*[nest.flatten(o) for o in outputs])]
        return nest.pack_sequence_as(outputs[0], [t.numpy() for t in joined])

    # ------------------------------------------------------- single batches
    def train_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("train_on_batch")
        data = _Data(x, y, sample_weight, None)
        self._prepare(data, "train")
        self.reset_metrics()
        logs = self._step("train", next(data.batches(False)))
        return self._result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("test_on_batch")
        data = _Data(x, y, sample_weight, None)
        self._prepare(data, "test")
        self.reset_metrics()
        logs = self._step("test", next(data.batches(False)))
        return self._result(logs, return_dict)

    def predict_on_batch(self, x):
        data = _Data(x, None, None, None)
        self._prepare(data, "predict")
        out = self._step("predict", next(data.batches(False)))
        return nest.map_structure(lambda t: t.numpy(), out)

    def _result(self, logs, return_dict):
        logs = {k: float(v) for k, v in self._ordered(logs).items()}
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values


def _shard(parts, ranks):
    """Rank r's samples r, r + N, r + 2N, ... of (x, y, sample_weight), after
    dropping the last n % N samples so that every rank takes the same
    number of steps with batches of the same sizes. With batch size b per
    rank, step k of the N ranks together covers the samples that step k of
    one process with batch size N*b covers (without shuffling)."""
    def leaves(part):
        return _structure(part, _source) if part is not None else None
    parts = tuple(leaves(p) for p in parts)
    sizes = {_rows(leaf) for p in parts if p is not None for leaf in nest.flatten(p)}
    if len(sizes) != 1:
        raise ValueError(f"x, y and sample_weight must have the same number of samples, got "
                         f"sizes {sorted(sizes)}")
    n = sizes.pop()
    kept = n - n % ranks.size
    if kept == 0:
        raise ValueError(f"fit: {n} samples cannot be shared among {ranks.size} ranks")

    def cut(leaf):
        return leaf[:kept][ranks.rank::ranks.size]
    return tuple(_structure(p, cut) if p is not None else None for p in parts)


def _mean_over_ranks(logs, ranks):
    every = ranks.allgather_object(logs, "the epoch's logs")
    return {k: sum(float(r[k]) for r in every) / len(every) for k in logs}


def _verbosity(verbose):
    return 1 if verbose == "auto" else int(verbose)


def _batch_rows(x):
    first = nest.flatten(x)[0]
    rows = first.shape[0]
    return float(rows) if rows is not None else M.cast(A.shape(first)[0], "float32")


# -------------------------------------------------------------------- data
def _is_host_array(x):
    return not isinstance(x, (Tensor, Variable)) and hasattr(x, "__array__") and \
        hasattr(x, "shape") and hasattr(x, "dtype")


def _numbers_only(x):
    if isinstance(x, (list, tuple)):
        return all(_numbers_only(v) for v in x)
    return isinstance(x, (bool, int, float))


def _source(x):
    """A leaf of the data as a host array or a tensor."""
    if x is None or _is_host_array(x):
        return x
    if isinstance(x, Variable):
        return x.read_value()
    if isinstance(x, Tensor):
        return x
    return constant(x)


def _structure(x, fn):
    if x is None:
        return None
    if _numbers_only(x) or not isinstance(x, (list, tuple, dict)):
        return fn(x)
    return nest.map_structure(fn, x)


def _rows(x):
    return int(x.shape[0])


def _take(x, index):
    """Rows ``index`` (a slice or a host array of positions) of a leaf, as a
    tensor on the current device; float64 becomes float32."""
    if x is None:
        return None
    if _is_host_array(x):
        part = x[index]
        if str(part.dtype) == "float64":
            part = part.astype("float32")
        return constant(part)
    if isinstance(index, slice):
        part = x[index]
    else:
        with device(x.backend):
            part = A.gather(x, constant(index))
    if part.dtype.name == "float64":
        part = M.cast(part, "float32")
    here = _current_backend()
    return part if part.backend is here else part.to(here)


class _Data:
    """(x, y, sample_weight) cut into batches, shuffled per epoch on request."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32):
        if x is None:
            raise ValueError("no data: pass x")
        self.parts = tuple(_structure(p, _source) for p in (x, y, sample_weight))
        sizes = {_rows(leaf) for p in self.parts if p is not None for leaf in nest.flatten(p)}
        if len(sizes) != 1:
            raise ValueError(f"x, y and sample_weight must have the same number of samples, "
                             f"got sizes {sorted(sizes)}")
        self.n = sizes.pop()
        self.batch_size = int(batch_size) if batch_size else self.n
        self.steps = max(1, math.ceil(self.n / self.batch_size)) if self.n else 0

    def _batch(self, index):
        return tuple(_structure(p, lambda leaf: _take(leaf, index)) if p is not None else None
                     for p in self.parts)

    def first_batch(self):
        return self._batch(slice(0, min(self.batch_size, self.n)))

    def batches(self, shuffle):
        order = _permutation(self.n) if shuffle and self.n > 1 else None
        for start in range(0, self.n, self.batch_size):
            stop = min(start + self.batch_size, self.n)
            yield self._batch(slice(start, stop) if order is None else order[start:stop])


#: the op seed of fit's shuffling: its own stream of gpugrad.random on the
#: CPU, so ``gpugrad.random.set_seed`` fixes the order and no other draw
#: (dropout masks, initializers) shifts it
SHUFFLE_SEED = 0x5EED


def _permutation(n):
    """A random order of range(n), as a host array."""
    with device("cpu"):
        return _random.shuffle(A.range(n), seed=SHUFFLE_SEED).numpy()


def _split(x, y, sample_weight, fraction):
    """Keras's validation_split: the last ``fraction`` of the samples,
    before any shuffling."""
    if not 0 < fraction < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
    n = {_rows(leaf) for leaf in nest.flatten(_structure(x, _source))}.pop()
    at = int(math.ceil(n * (1 - fraction)))

    def cut(part, index):
        return _structure(part, lambda leaf: _source(leaf)[index]) if part is not None else None
    train = tuple(cut(p, slice(0, at)) for p in (x, y, sample_weight))
    val = tuple(cut(p, slice(at, n)) for p in (x, y, sample_weight))
    return train, val
