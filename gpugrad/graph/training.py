"""Optimizers in a graph: ``apply_gradients`` and ``minimize`` return a
train op that runs the optimizer's fused kernel when a Session runs it.

The slots and the step counter are graph variables (so
``global_variables_initializer`` covers them and each session has its own);
the kernel updates the session's arrays in place, as the eager step does,
after making a private copy of any array that something else still holds.
"""
import sys

from ..dtypes import int64
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..tensor import Tensor
from ..variable import Variable
from .core import GraphTensor


def apply_gradients(opt, pairs, name=None):
    """The train op for ``(gradient, graph variable)`` pairs."""
    graph = pairs[0][1]._graph
    with graph.as_default():
        grads = []
        for g, v in pairs:
            if not getattr(v, "_symbolic", False) or v._graph is not graph:
                raise InvalidArgumentError(f"{type(opt).__name__}.apply_gradients: '{v.name}' "
                                           f"is not a variable of the graph being trained")
            g = graph._as_graph_tensor(g)
            if g.dtype is not v.dtype or not g.shape.is_compatible_with(v.shape):
                raise InvalidArgumentError(
                    f"{type(opt).__name__}: the gradient for '{v.name}' is {g.dtype.name} "
                    f"{g.shape}, the variable {v.dtype.name} {v.shape}")
            if not v.dtype.is_floating:
                raise InvalidArgumentError(f"{type(opt).__name__}: variable '{v.name}' has dtype "
                                           f"{v.dtype.name}; only float variables train")
            grads.append(g)
        variables = [v for _, v in pairs]
        if opt.gradient_accumulation_steps:
            raise NotImplementedError("gradient_accumulation_steps is supported in eager mode "
                                      "only; accumulate with assign_add ops in a graph")
        iterations = _graph_iterations(opt, graph)
        slots = {id(v): _graph_slots(opt, graph, v) for v in variables}
        kernel = _train_kernel(opt, variables, slots, iterations)
        op = graph._create_op("Apply" + type(opt).__name__, grads, [], kernel,
                              name=name or opt.name + "/update")
    return op


def _graph_iterations(opt, graph):
    if getattr(opt._iterations, "_symbolic", False) and opt._iterations._graph is graph:
        return opt._iterations        # the optimizer was made inside this graph
    made = opt.__dict__.setdefault("_graph_iterations", {})
    if graph not in made:
        with graph.control_dependencies(None), graph.name_scope(None):
            made[graph] = Variable(0, dtype=int64, trainable=False,
                                   name=f"{opt.name}/iterations")
    return made[graph]


def _graph_slots(opt, graph, variable):
    from ..ops.array_ops import fill
    made = opt.__dict__.setdefault("_graph_slot_vars", {})
    key = (graph, id(variable))
    if key not in made:
        if not variable.shape.is_fully_defined():
            raise InvalidArgumentError(f"{type(opt).__name__}: '{variable.name}' has shape "
                                       f"{variable.shape}; slots need a fully known shape")
        slots = {}
        with graph.control_dependencies(None), graph.name_scope(None):
            for slot in opt.slots:
                value = variable.dtype.as_numpy_dtype(opt._initial_slot_value(slot))
                slots[slot] = Variable(fill(list(variable.shape), value), trainable=False,
                                       name=f"{variable.name[:-2]}/{opt.name}/{slot}")
                opt._order.append(slots[slot])
        made[key] = slots
    return made[key]


def _owned(state, key, backend):
    array = state[key]
    # references: the state dict, ``array``, getrefcount's argument
    if sys.getrefcount(array) > 3 or not backend.is_writable_contiguous(array):
        array = state[key] = backend.contiguous_copy(array)
    return array


def _read(state, variable):
    try:
        return state[variable._key]
    except KeyError:
        raise FailedPreconditionError(
            f"the optimizer state '{variable.name}' is uninitialized in this session: run "
            f"gpugrad.global_variables_initializer() after building the train op") from None


def _train_kernel(opt, variables, slots, iterations):
    # what the step touches is known when the op is built: the groups (one
    # fused launch each, by dtype and weight decay) and every state key
    groups = {}
    for i, v in enumerate(variables):
        groups.setdefault((v.dtype, opt._decays(v)), []).append(i)
    plan = [(members, [variables[i]._key for i in members],
             {s: [slots[id(variables[i])][s]._key for i in members] for s in opt.slots}, decays)
            for (_, decays), members in groups.items()]
    owners = [iterations] + [x for v in variables for x in [v] + list(slots[id(v)].values())]
    keys = {x._key for x in owners}
    clips = opt.clipnorm or opt.global_clipnorm or opt.clipvalue

    def kernel(run, arrays):
        backend, state = run.backend, run.state
        if not state.keys() >= keys:      # checked before anything changes
            for x in owners:
                _read(state, x)
        count = state[iterations._key]
        step = int(count) + 1
        lr = _learning_rate(opt, state, step)
        if clips:
            arrays = [g._data for g in opt._clip([Tensor(a, backend) for a in arrays])]
        for members, param_keys, slot_keys, decays in plan:
            params = [_owned(state, k, backend) for k in param_keys]
            slot_arrays = {s: [_owned(state, k, backend) for k in ks] for s, ks in slot_keys.items()}
            gradients = [backend.contiguous(arrays[i]) for i in members]
            decay = opt.weight_decay * lr if decays else 0.0
            opt._update(backend, params, gradients, slot_arrays, lr, step, decay)
        state[iterations._key] = run.xp.add(count, count.dtype.type(1))
        return ()
    return kernel


def _learning_rate(opt, state, step):
    from ..optimizers import schedules
    lr = opt._learning_rate
    if getattr(lr, "_symbolic", False):
        return float(_read(state, lr))
    if isinstance(lr, Variable):
        return float(lr._data)
    if isinstance(lr, schedules.LearningRateSchedule):
        return float(lr.value(step - 1))
    value = lr()
    return float(value.numpy() if hasattr(value, "numpy") else value)


def minimize(opt, loss, var_list=None, name=None):
    """gradients + apply_gradients, in the graph of ``loss``."""
    from .gradients import gradients
    from .variables import trainable_variables
    if callable(loss) and not isinstance(loss, GraphTensor):
        loss = loss()
    if var_list is None:
        var_list = trainable_variables()
    var_list = list(var_list() if callable(var_list) else var_list)
    if not var_list:
        raise ValueError("minimize: no variables to optimize")
    grads = gradients(loss, var_list)
    return opt.apply_gradients(zip(grads, var_list), name=name)

