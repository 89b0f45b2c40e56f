"""``gpugrad.keras.callbacks``: hooks into ``fit``, ``evaluate`` and ``predict``.

Batch hooks receive logs of Python floats (reading them waits for the
device, so they are only made when a callback overrides a batch hook);
epoch hooks receive the epoch's metric results, validation ones prefixed
``val_``.
"""
import sys
import time
import warnings

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ProgbarLogger",
           "LambdaCallback"]


class Callback:
    """Base class: override the hooks you need; ``self.model`` is the model
    being trained, ``self.params`` holds epochs, steps and verbose."""

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_batch_begin(self, batch, logs=None):
        """A training batch begins (on_train_batch_begin's other name)."""

    def on_batch_end(self, batch, logs=None):
        """A training batch ended (on_train_batch_end's other name)."""

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


_BATCH_HOOKS = {"train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin",
                          "on_batch_end"),
                "test": ("on_test_batch_begin", "on_test_batch_end"),
                "predict": ("on_predict_batch_begin", "on_predict_batch_end")}


def _overrides(callback, names):
    return any(n in vars(callback) or getattr(type(callback), n) is not getattr(Callback, n)
               for n in names)


def _floats(logs):
    return {k: float(v) for k, v in (logs or {}).items()}


class CallbackList:
    """The callbacks of one fit/evaluate/predict call, the progress bar
    (verbose=1) and History (fit) included."""

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False,
                 verbose=1, **params):
        self.callbacks = list(callbacks or [])
        self.history = None
        if add_progbar:
            self.callbacks.insert(0, ProgbarLogger())
        if add_history:
            self.history = History()
            self.callbacks.append(self.history)
        self.params = dict(params, verbose=verbose)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(self.params)
        self._wants_floats = {mode: [cb for cb in self.callbacks
                                     if not isinstance(cb, ProgbarLogger)
                                     and _overrides(cb, hooks)]
                              for mode, hooks in _BATCH_HOOKS.items()}
        self._progbars = [cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)]

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def _batch(self, mode, when, batch, logs):
        hook = f"on_{mode}_batch_{when}"
        users = self._wants_floats[mode]
        if users:
            values = _floats(logs) if when == "end" and mode != "predict" else logs
            for cb in users:
                getattr(cb, hook)(batch, values)
        for bar in self._progbars:
            getattr(bar, hook)(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._batch("train", "begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._batch("train", "end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._batch("test", "begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._batch("test", "end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._batch("predict", "begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch("predict", "end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)


class History(Callback):
    """``history.history``: {'loss': [per epoch], 'accuracy': [...], 'val_loss': ...};
    ``history.epoch``: the epoch numbers. ``fit`` returns it."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self


class ProgbarLogger(Callback):
    """A tqdm bar per epoch (verbose=1) showing the running loss and metrics,
    refreshed at most every 0.1 s; one line per epoch with verbose=2."""

    REFRESH_SECONDS = 0.1

    def __init__(self, file=None):
        super().__init__()
        self.file = file
        self._bar = None

    def _open(self, total, desc):
        from tqdm.auto import tqdm
        self._close()
        self._bar = tqdm(total=total, desc=desc, unit="step", leave=True, dynamic_ncols=True,
                         file=self.file or sys.stdout)
        self._last = 0.0
        self._start = time.perf_counter()

    def _close(self, logs=None):
        if self._bar is not None:
            if logs:
                self._bar.set_postfix(_format(logs), refresh=False)
            self._bar.close()
            self._bar = None

    def _tick(self, logs):
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if logs and (now - self._last >= self.REFRESH_SECONDS or
                     self._bar.n == self._bar.total):
            self._last = now
            self._bar.set_postfix(_format(logs), refresh=False)

    # fit
    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        if self.params["verbose"] == 1:
            self._open(self.params.get("steps"), f"Epoch {epoch + 1}/{self._epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._tick(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.params["verbose"] == 1:
            self._close(logs)
        elif self.params["verbose"] == 2:
            seconds = time.perf_counter() - self._epoch_start
            text = " - ".join(f"{k}: {v}" for k, v in _format(logs).items())
            print(f"Epoch {epoch + 1}/{self._epochs} - {seconds:.2f}s - {text}",
                  file=self.file or sys.stdout)

    def on_train_end(self, logs=None):
        self._close()

    # evaluate / predict on their own (inside fit, validation has no bar)
    def on_test_begin(self, logs=None):
        if self.params["verbose"] == 1:
            self._open(self.params.get("steps"), "Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        self._tick(logs)

    def on_test_end(self, logs=None):
        self._close(logs)

    def on_predict_begin(self, logs=None):
        if self.params["verbose"] == 1:
            self._open(self.params.get("steps"), "Predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._tick(None)

    def on_predict_end(self, logs=None):
        self._close()


def _format(logs):
    return {k: f"{float(v):.4f}" for k, v in (logs or {}).items()}


class LambdaCallback(Callback):
    """Callbacks from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for
    ``patience`` epochs; ``restore_best_weights`` puts back the weights of
    the best epoch when training ends. Keras 3's rules, step for step."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode {mode!r} is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.monitor, self.mode = monitor, mode
        self.min_delta = abs(min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.best = baseline
        self.monitor_op = None
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best_weights = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = _less
        elif self.mode == "max":
            self.monitor_op = _greater
        else:
            name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
            if name == "loss":
                self.monitor_op = _less
            for m in getattr(self.model, "metrics", ()):
                if m.name == name and getattr(m, "_direction", None):
                    self.monitor_op = _greater if m._direction == "up" else _less
            if self.monitor_op is None:
                raise ValueError(f"EarlyStopping callback received monitor={self.monitor}, but "
                                 f"cannot tell whether that metric should be maximized or "
                                 f"minimized. Pass mode='max' or mode='min'.")
        if self.monitor_op is _less:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, value, reference):
        return reference is None or self.monitor_op(value - self.min_delta, reference)

    def on_train_begin(self, logs=None):
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs or {})}",
                          stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b
