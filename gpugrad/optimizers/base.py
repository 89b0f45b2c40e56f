"""Optimizer: Keras 3's optimizer API over fused, multi-tensor kernels.

``apply_gradients`` checks every pair first (shapes, dtypes, devices) and
changes nothing when one is wrong. It then clips, groups the variables by
device and dtype, and runs the optimizer's kernel once per group: each
element of each parameter and slot is read and written once, in place.

Updating in place is safe because of one check: a variable whose buffer is
shared (a tensor read from it earlier is still alive, a DLPack consumer holds
it, it is a view) gets a private copy first, so earlier reads keep their
values, as TensorFlow promises.
"""
import math
import sys
import warnings

from .. import backend as _backends
from .. import context
from ..dtypes import int64, float32
from ..errors import InvalidArgumentError
from ..ops import math_ops as M
from ..tape import GradientTape
from ..tensor import Tensor, convert_to_tensor
from ..variable import Variable
from . import schedules

#: the slot name of the gradient sum kept with gradient_accumulation_steps
_ACCUMULATOR = "gradient_accumulator"


def _owned(variable):
    """Make ``variable``'s buffer private, contiguous and writable."""
    # references: the variable's slot, this call's argument: 2 when unshared
    if sys.getrefcount(variable._data) > 2 or not variable._backend.is_writable_contiguous(
            variable._data):
        variable._data = variable._backend.contiguous_copy(variable._data)
    return variable._data


class Optimizer:
    """Base class. Subclasses name their ``slots`` and implement ``_update``."""

    #: per-variable state, created zero-filled by ``build`` unless
    #: ``_initial_slot_value`` says otherwise
    slots = ()

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("only one of clipnorm and global_clipnorm can be set")
        if use_ema:
            raise NotImplementedError("use_ema is not supported yet")
        if gradient_accumulation_steps is not None and int(gradient_accumulation_steps) < 2:
            raise ValueError(f"gradient_accumulation_steps must be an integer >= 2, got "
                             f"{gradient_accumulation_steps}")
        self.name = name or type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = Variable(0, dtype=int64, trainable=False, name="iteration")
        self._set_learning_rate(learning_rate)
        self._slots = {}          # variable id -> {slot name: Variable}
        self._accumulators = {}   # variable id -> Variable, with gradient accumulation
        self._order = []          # slot variables in creation order
        self._no_decay = set()       # variable ids weight decay skips
        self._no_decay_names = []    # and name fragments

    # --------------------------------------------------------------- state
    @property
    def iterations(self):
        """Optimizer steps taken (with gradient accumulation: update steps)."""
        if self.gradient_accumulation_steps:
            return M.floordiv(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _step(self):
        """The number of update steps taken, as a Python int."""
        n = int(self._iterations._data)
        return n // self.gradient_accumulation_steps if self.gradient_accumulation_steps else n

    def _set_learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or callable(value) and \
                not isinstance(value, (Variable, Tensor)):
            self._learning_rate = value
        elif isinstance(value, Variable):
            self._learning_rate = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, Tensor):
            self._learning_rate = Variable(float(value), dtype=float32, trainable=False,
                                           name="learning_rate")
        else:
            raise TypeError(f"{type(self).__name__}: learning_rate must be a number, a variable "
                            f"or a LearningRateSchedule, got {type(value).__name__}: {value!r}")

    @property
    def learning_rate(self):
        """The learning rate now (a schedule is evaluated at the current step)."""
        return convert_to_tensor(self._lr())

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, Variable) and self._learning_rate.name == "learning_rate:0" \
                and isinstance(value, (int, float)):
            self._learning_rate.assign(float(value))
        else:
            self._set_learning_rate(value)

    def _lr(self):
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr._data)
        if isinstance(lr, schedules.LearningRateSchedule):
            # Keras evaluates schedules at the call count, which with gradient
            # accumulation runs ahead of the number of updates
            return float(lr.value(int(self._iterations._data)))
        return float(convert_to_tensor(lr()).numpy())  # a callable: Keras calls it bare

    @property
    def variables(self):
        """Every variable the optimizer owns: the step counter, the learning
        rate (when it is a number) and the slots, for checkpoints."""
        lr = [self._learning_rate] if isinstance(self._learning_rate, Variable) and \
            self._learning_rate.name == "learning_rate:0" else []
        return [self._iterations] + lr + list(self._order)

    def _slot_name(self, variable, slot):
        return f"{self.name}/{variable.name[:-2]}_{slot}"

    def _initial_slot_value(self, slot):
        return 0.0

    def build(self, var_list):
        """Create the slots of ``var_list`` (done on first use anyway)."""
        for variable in var_list:
            if variable._tid not in self._slots:
                self._attach_slots(variable, self._make_slots(variable))

    def _make_slots(self, variable):
        """New slots for ``variable``, as ``build`` makes them, not yet
        attached: a checkpoint restore makes them, checks the saved values
        against them, and attaches them only when everything fits."""
        made = {}
        with _backends.device(variable._backend):
            for slot in self.slots:
                made[slot] = self._make_slot(variable, slot, self._initial_slot_value(slot))
            if self.gradient_accumulation_steps:
                made[_ACCUMULATOR] = self._make_slot(variable, "accumulator", 0.0)
        return made

    def _attach_slots(self, variable, made):
        """Make ``made`` (from ``_make_slots``) the slots of ``variable``."""
        made = dict(made)
        accumulator = made.pop(_ACCUMULATOR, None)
        if accumulator is not None:
            self._accumulators[variable._tid] = accumulator
        self._slots[variable._tid] = made
        self._order.extend(list(made.values()) + ([accumulator] if accumulator is not None else []))

    def _make_slot(self, variable, slot, value):
        from ..ops.array_ops import fill
        return Variable(fill(list(variable._data.shape), variable.dtype.as_numpy_dtype(value)),
                        trainable=False, name=self._slot_name(variable, slot))

    # ----------------------------------------------------------- checkpoints
    def _trackable_children(self):
        """The optimizer's own variables, by name, for gpugrad.train.Checkpoint:
        the step counter, the learning rate when it is a variable, and any
        other variable a subclass lists in ``variables`` (Nadam's
        ``u_product``). Slots are not children: a checkpoint files them under
        the variable they belong to (``_slot_children``), so that they find
        their variable again in a fresh model and a fresh optimizer."""
        children = {"iterations": self._iterations}
        if isinstance(self._learning_rate, Variable):
            children["learning_rate"] = self._learning_rate
        slots = {id(v) for v in self._order}
        for v in self.variables:
            if id(v) not in slots and not any(v is c for c in children.values()):
                children[v.name.rsplit(":", 1)[0]] = v
        return children

    def _slot_children(self, variable):
        """{slot name: Variable} kept for ``variable``; {} until it is built.
        With gradient accumulation the running sum is one of them."""
        made = dict(self._slots.get(variable._tid, {}))
        if variable._tid in self._accumulators:
            made[_ACCUMULATOR] = self._accumulators[variable._tid]
        return made

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Variables (or name fragments) that weight decay leaves alone."""
        self._no_decay.update(v._tid for v in var_list or ())
        self._no_decay_names.extend(var_names or ())

    def _decays(self, variable):
        if not self.weight_decay or variable._tid in self._no_decay:
            return False
        return not any(part in variable.name for part in self._no_decay_names)

    # ------------------------------------------------------------ stepping
    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False):
        """Apply ``(gradient, variable)`` pairs; variables whose gradient is
        None are skipped with a warning naming them."""
        pairs = list(grads_and_vars)
        missing = [v.name for g, v in pairs if g is None]
        if missing and len(missing) == len(pairs):
            raise ValueError(f"{type(self).__name__}.apply_gradients: no gradients provided for "
                             f"any variable ({', '.join(missing)})")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          f"loss; {type(self).__name__} leaves them unchanged", UserWarning,
                          stacklevel=2)
        pairs = [(g, v) for g, v in pairs if g is not None]
        graph = context.current_graph()
        if graph is not None and getattr(graph, "lifts_variables", False):
            # in a traced function: one effect that runs this eager step
            variables = [v for _, v in pairs]
            graph._call_effect("Apply" + type(self).__name__, [g for g, _ in pairs],
                               lambda *gs: self.apply_gradients(zip(gs, variables)),
                               arrays_fn=self._traced_step(variables))
            return self._iterations
        if any(getattr(v, "_symbolic", False) for _, v in pairs):
            from ..graph import training
            return training.apply_gradients(self, pairs, name)
        grads = [self._checked(g, v) for g, v in pairs]  # raises before any change
        variables = [v for _, v in pairs]
        self.build(variables)
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [self._accumulators[v._tid] for v in variables]
            if (int(self._iterations._data) + 1) % steps:
                for acc, g in zip(accumulators, grads):
                    acc.assign_add(g)
                self._count_step()
                return self._iterations
            grads = [M.divide(M.add(g, acc.read_value()), float(steps))
                     for g, acc in zip(grads, accumulators)]
            for acc in accumulators:
                acc.assign(M.multiply(acc.read_value(), 0.0))
        grads = self._clip(grads)
        lr = self._lr()
        step = self._step() + 1
        groups = {}
        for g, v in zip(grads, variables):
            groups.setdefault((v._backend, v._data.dtype, self._decays(v)), []).append((g, v))
        for (backend, _, decays), members in groups.items():
            params = [_owned(v) for _, v in members]
            slot_arrays = {s: [_owned(self._slots[v._tid][s]) for _, v in members]
                           for s in self.slots}
            gradients = [backend.contiguous(g._data) for g, _ in members]
            decay = self.weight_decay * lr if decays else 0.0
            self._update(backend, params, gradients, slot_arrays, lr, step, decay)
        self._count_step()
        return self._iterations

    def _traced_step(self, variables):
        """The step a traced function runs, over gradient arrays: the eager
        step with its groups worked out once (a trace fixes the variables)
        and without the per-call checks (the trace checked shapes and
        dtypes). None where only the full step will do."""
        if type(self).apply_gradients is not Optimizer.apply_gradients or \
                self.gradient_accumulation_steps:
            return None
        groups = {}
        for i, v in enumerate(variables):
            groups.setdefault((v._backend, v._data.dtype, self._decays(v)), []).append(i)
        groups = [(backend, decays, members) for (backend, _, decays), members in groups.items()]
        clips = self.clipnorm or self.global_clipnorm or self.clipvalue
        ids = [v._tid for v in variables]

        def step(arrays, backend):
            if clips:
                arrays = [g._data for g in self._clip([Tensor(a, backend) for a in arrays])]
            if ids[-1] not in self._slots or ids[0] not in self._slots:
                self.build(variables)
            lr = self._lr()
            count = self._step() + 1
            for group_backend, decays, members in groups:
                params = [_owned(variables[i]) for i in members]
                slots = [self._slots[ids[i]] for i in members]
                slot_arrays = {s: [_owned(x[s]) for x in slots] for s in self.slots}
                gradients = [group_backend.contiguous(arrays[i]) for i in members]
                decay = self.weight_decay * lr if decays else 0.0
                self._update(group_backend, params, gradients, slot_arrays, lr, count, decay)
            self._count_step()
        return step

    def _count_step(self):
        # the step counter is the optimizer's own int64 scalar: incremented
        # directly, as a checked assign_add costs more than a small model's
        # whole update
        it = self._iterations
        it._data = it._backend.xp.add(it._data, it._data.dtype.type(1))

    def _update(self, backend, params, grads, slots, lr, step, decay):
        """Run the kernel once over lists of same-device, same-dtype arrays."""
        raise NotImplementedError

    def _checked(self, gradient, variable):
        if not isinstance(variable, Variable):
            raise TypeError(f"{type(self).__name__}.apply_gradients: expected (gradient, "
                            f"variable) pairs, got a {type(variable).__name__} for a variable")
        g = gradient if type(gradient) is Tensor else convert_to_tensor(gradient)
        if g._backend is variable._backend and g._data.dtype == variable._data.dtype and \
                g._data.shape == variable._data.shape and variable._data.dtype.kind == "f":
            return g  # the common case, checked without building messages
        if g._backend is not variable._backend:
            raise InvalidArgumentError(
                f"{type(self).__name__}: the gradient for '{variable.name}' is on "
                f"{g._backend.name} but the variable lives on {variable._backend.name}")
        if g.dtype is not variable.dtype:
            raise InvalidArgumentError(
                f"{type(self).__name__}: the gradient for '{variable.name}' has dtype "
                f"{g.dtype.name}, the variable {variable.dtype.name}")
        if tuple(g._data.shape) != tuple(variable._data.shape):
            raise InvalidArgumentError(
                f"{type(self).__name__}: the gradient for '{variable.name}' has shape "
                f"{list(g._data.shape)}, the variable {list(variable._data.shape)}")
        if not variable.dtype.is_floating:
            raise InvalidArgumentError(f"{type(self).__name__}: variable '{variable.name}' has "
                                       f"dtype {variable.dtype.name}; only float variables train")
        return g

    def _clip(self, grads):
        if self.clipnorm:
            grads = [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            total = math.sqrt(sum(float(M.reduce_sum(M.square(g)).numpy()) for g in grads))
            scale = self.global_clipnorm / max(total, self.global_clipnorm)
            grads = [M.multiply(g, scale) for g in grads]
        if self.clipvalue:
            grads = [M.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def minimize(self, loss, var_list=None, tape=None, name=None):
        """One step on ``loss`` (a callable, or a tensor computed under ``tape``).
        In a graph: the train op for ``loss`` (a graph tensor), over
        ``var_list`` or all trainable variables."""
        graph = context.current_graph()
        if (getattr(loss, "_symbolic", False) or graph is not None) and \
                not getattr(graph, "lifts_variables", False):
            from ..graph import training
            return training.minimize(self, loss, var_list, name)
        if var_list is None:
            raise ValueError("minimize: pass var_list (the variables to train)")
        if tape is None:
            if not callable(loss):
                raise ValueError("minimize: pass a callable loss, or the tape that "
                                 "recorded the loss tensor")
            with GradientTape() as tape:
                value = loss()
        else:
            value = loss
        var_list = list(var_list() if callable(var_list) else var_list)
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    # --------------------------------------------------------------- config
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        config.update(self._hyper())
        return config

    def _hyper(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)


def _clip_by_norm(g, clip):
    norm = math.sqrt(float(M.reduce_sum(M.square(g)).numpy()))
    return g if norm <= clip else M.multiply(g, clip / norm)
