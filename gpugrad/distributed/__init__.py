"""``gpugrad.distributed``: data-parallel training over MPI (CPUs) and NCCL
(NVIDIA GPUs), with the API TensorFlow users know from Horovod.

    import gpugrad as tf
    import gpugrad.distributed as hvd

    hvd.init()                                    # one process per rank, under mpiexec
    with tf.GradientTape() as tape:
        loss = ...
    tape = hvd.DistributedGradientTape(tape)
    grads = tape.gradient(loss, variables)        # averaged over the ranks
    hvd.broadcast_variables(variables, root_rank=0)

``init()`` over MPI's world (``mpiexec -n N python train.py``). On a machine
with GPUs each process takes ``gpu:<local_rank % GPUs>`` as its default
device, and tensors on a GPU are reduced with NCCL (its unique id sent over
MPI); host tensors with MPI. Gradients travel in a few large buckets, one
collective each (see ``buckets.py``). After ``init()`` with several ranks,
``Model.fit`` trains data-parallel by itself: each rank reads its shard,
gradients are averaged, only rank 0 prints and writes checkpoints.

A rank that raises makes the others fail with ``AbortedError`` naming it;
a collective not joined within the timeout raises ``DeadlineExceededError``.
"""
import math as _math

from .. import backend as _backends
from .. import context as _context
from .. import nest as _nest
from ..tensor import Tensor as _Tensor
from ..variable import Variable as _Variable
from . import runtime as _runtime
from .buckets import DEFAULT_BUCKET_BYTES, Reducer as _Reducer

__all__ = ["init", "shutdown", "is_initialized", "rank", "size", "local_rank", "local_size",
           "allreduce", "grouped_allreduce", "allgather", "broadcast", "broadcast_variables",
           "allgather_object", "broadcast_object",
           "barrier", "DistributedGradientTape", "DistributedOptimizer", "Average", "Sum",
           "Min", "Max", "Product", "Compression", "DEFAULT_BUCKET_BYTES"]

#: reduction operations (Horovod's names)
Average, Sum, Min, Max, Product = "average", "sum", "min", "max", "product"

_reducer = None


def _check_op(op):
    if op not in (Average, Sum, Min, Max, Product):
        raise ValueError(f"op must be one of gpugrad.distributed.Average, Sum, Min, Max or "
                         f"Product; got {op!r}")


def init(comm=None, timeout=None, bucket_bytes=None, device="auto"):
    """Join the run: MPI's world, or the mpi4py communicator ``comm``.

    ``timeout``: seconds a collective may wait for the other ranks (default
    600, or ``GPUGRAD_DISTRIBUTED_TIMEOUT``). ``bucket_bytes``: the size of
    gradient buckets (default 32 MiB). ``device``: ``"auto"`` makes
    ``gpu:<local_rank % GPUs>`` the default device where GPUs are usable,
    ``None`` leaves the default device alone. Calling it again changes
    nothing but the timeout and bucket size given."""
    global _reducer
    rt = _runtime.start(comm, timeout)
    if _reducer is None:
        _reducer = _Reducer(rt, bucket_bytes)
        if device == "auto" and _device_left_to_init() and _backends.gpu_available():
            gpus = len(_backends.list_devices()) - 1
            _backends.set_default(f"gpu:{rt.local_rank % gpus}")
    elif bucket_bytes is not None:
        _reducer = _Reducer(rt, bucket_bytes)
    return rt


def _device_left_to_init():
    """False when GPUGRAD_DEVICE names a device: the user chose it."""
    import os
    return os.environ.get("GPUGRAD_DEVICE", "auto").strip().lower() in ("", "auto")


def shutdown():
    """Leave the run (init() may be called again later)."""
    global _reducer
    _runtime.stop()
    _reducer = None


def is_initialized():
    return _runtime._runtime is not None


def rank():
    """This process's rank, 0 to size() - 1."""
    return _runtime.current("rank()").rank


def size():
    """The number of ranks."""
    return _runtime.current("size()").size


def local_rank():
    """This process's rank among those on its machine (picks its GPU)."""
    return _runtime.current("local_rank()").local_rank


def local_size():
    return _runtime.current("local_size()").local_size


def barrier():
    _runtime.current("barrier()").barrier()


def _reducer_for(what):
    _runtime.current(what)
    return _reducer


# ------------------------------------------------------------- tensors in
def _as_tensors(values):
    from ..tensor import convert_to_tensor
    return [v.read_value() if isinstance(v, _Variable) else convert_to_tensor(v) for v in values]


def _run(kind, tensors, names, arrays_fn):
    """Run ``arrays_fn(arrays, backends) -> arrays`` now, or, while a graph
    is built (a traced function, a TensorFlow 1 graph), as one node of it
    that runs on every call, in the order the graph was built."""
    graph = _context.current_graph()
    if graph is None:
        backends = [t._backend for t in tensors]
        out = arrays_fn([t._data for t in tensors], backends)
        return [_Tensor(a, b) for a, b in zip(out, backends)]
    inputs = [graph._as_graph_tensor(t) for t in tensors]
    specs = [(t.shape, t.dtype) for t in inputs]

    def kernel(run, arrays):
        return arrays_fn(list(arrays), [run.backend] * len(arrays))

    def call(*ts):           # the same, on tensors (for a tape replaying the node)
        return _run(kind, list(ts), names, arrays_fn)

    node = graph._function_node(kind, call, inputs, specs, False, kernel=kernel)
    return list(node.outputs)


def grouped_allreduce(tensors, op=Average, names=None, name=None):
    """Reduce a list of tensors over the ranks, in buckets; returns a list.
    ``op``: Average (default), Sum, Min, Max or Product."""
    tensors = _as_tensors(tensors)
    if not tensors:
        return []
    reducer = _reducer_for("allreduce")
    names = list(names) if names is not None else [getattr(t, "name", None) or f"tensor {i}"
                                                   for i, t in enumerate(tensors)]
    what = name or "allreduce"
    return _run("DistributedAllreduce", tensors, names,
                lambda arrays, backends: reducer.allreduce(arrays, backends, op, names, what))


def allreduce(tensor, op=Average, name=None):
    """``tensor`` reduced over the ranks (the average, by default)."""
    return grouped_allreduce([tensor], op, [name or "tensor"], name)[0]


def broadcast(tensor, root_rank=0, name=None):
    """``root_rank``'s value of ``tensor``, on every rank."""
    reducer = _reducer_for("broadcast")
    names = [name or "tensor"]
    return _run("DistributedBroadcast", _as_tensors([tensor]), names,
                lambda arrays, backends: reducer.broadcast(arrays, backends, root_rank, names,
                                                           name or "broadcast"))[0]


def broadcast_variables(variables, root_rank=0):
    """Assign ``root_rank``'s values to ``variables`` on every rank (before
    training, so all ranks start from the same weights and slots)."""
    variables = list(variables)
    if not variables:
        return None
    reducer = _reducer_for("broadcast_variables")
    for v in variables:
        if not isinstance(v, _Variable):
            raise TypeError(f"broadcast_variables: expected variables, got a "
                            f"{type(v).__name__}")
    names = [v.name for v in variables]
    # through _run: in a traced function or a graph the broadcast is a node
    # that reads the variables when it runs, not their values at tracing time
    values = _run("DistributedBroadcast", _as_tensors(variables), names,
                  lambda arrays, backends: reducer.broadcast(arrays, backends, root_rank, names,
                                                             "broadcast_variables"))
    assigns = [v.assign(value) for v, value in zip(variables, values)]
    # in a TensorFlow 1 graph an assign is an op to run: hand back one op for
    # all of them (eager, and in a traced function, assign runs in order)
    ops = [a for a in assigns if not isinstance(a, _Variable)]
    if _context.current_graph() is None or not ops:
        return None
    from ..graph import group
    return group(*ops, name="broadcast_variables")


def allgather(tensor, name=None):
    """Every rank's ``tensor`` joined along the first axis, in rank order.
    The first dimension may differ between ranks; the others may not."""
    reducer = _reducer_for("allgather")
    rt = reducer.runtime
    what = name or "allgather"

    def gather(arrays, backends):
        (a,), (backend,) = arrays, backends
        shapes = rt.allgather_object((tuple(a.shape), str(a.dtype)), f"the shapes of {what}")
        rest = {s[1:] for s, _ in shapes}
        dtypes = {d for _, d in shapes}
        if len({len(s) for s, _ in shapes}) > 1 or len(rest) > 1 or len(dtypes) > 1 or \
                not a.ndim:
            listed = ", ".join(f"rank {r}: {list(s)} {d}" for r, (s, d) in enumerate(shapes))
            from ..errors import InvalidArgumentError
            raise InvalidArgumentError(f"{what}: tensors must agree in every dimension but the "
                                       f"first, and in dtype, and have at least one "
                                       f"dimension; got {listed}")
        rows = [s[0] for s, _ in shapes]
        width = max(rows)
        engine = backend.collectives(rt)
        xp = backend.xp
        row = _math.prod(a.shape[1:])
        send = engine.empty(width * row, str(a.dtype))
        send[:a.size] = a.reshape(-1)
        recv = engine.empty(width * row * rt.size, str(a.dtype))
        rt.wait(engine.allgather(send, recv), what)
        parts = [recv[r * width * row:(r * width + rows[r]) * row] for r in range(rt.size)]
        return [xp.concatenate(parts).reshape((sum(rows),) + tuple(a.shape[1:]))]
    return _run("DistributedAllgather", _as_tensors([tensor]), [what], gather)[0]


def allgather_object(obj, name=None):
    """Every rank's picklable ``obj``, as a list in rank order."""
    return _runtime.current("allgather_object").allgather_object(obj, name or "allgather_object")


def broadcast_object(obj, root_rank=0, name=None):
    """``root_rank``'s picklable ``obj``, on every rank."""
    rt = _runtime.current("broadcast_object")
    if not 0 <= root_rank < rt.size:
        raise ValueError(f"root_rank {root_rank} is not a rank of this run "
                         f"(0 to {rt.size - 1})")
    return rt.broadcast_object(obj, root_rank, name or "broadcast_object")


# ------------------------------------------------------------ wrappers
def _reduce_gradients(grads, sources, op, what):
    """``grads`` (a nested structure with None where a source got no
    gradient) reduced over the ranks, None kept."""
    flat = _nest.flatten(grads)
    flat_sources = _nest.flatten(sources) if sources is not None else [None] * len(flat)
    if len(flat_sources) != len(flat):
        flat_sources = [None] * len(flat)
    present = [i for i, g in enumerate(flat) if g is not None]
    if not present:
        return grads
    names = [getattr(flat_sources[i], "name", None) or f"gradient {i}" for i in present]
    reduced = grouped_allreduce([flat[i] for i in present], op, names, what)
    for i, r in zip(present, reduced):
        flat[i] = r
    return _nest.pack_sequence_as(grads, flat)


class Compression:
    """Horovod's gradient compression choices: only ``none`` is supported."""
    none = None
    fp16 = "fp16"


#: Horovod keyword arguments and the one value each may take here; other
#: values ask for something gpugrad does not do, and are refused rather
#: than silently ignored. (device_* and sparse_as_dense change nothing: there
#: is one device per rank and gradients are dense.)
_HOROVOD_DEFAULTS = {"compression": (None,), "backward_passes_per_step": (1,),
                     "gradient_predivide_factor": (1, 1.0), "process_set": (None,),
                     "scale_local_gradients": (True,), "average_aggregated_gradients": (False,),
                     "num_groups": (0,), "groups": (None,)}
_HOROVOD_IGNORED = {"device_dense", "device_sparse", "sparse_as_dense", "name", "use_locking"}


def _check_horovod_options(what, options):
    for key, value in options.items():
        if key in _HOROVOD_IGNORED:
            continue
        if key not in _HOROVOD_DEFAULTS:
            raise TypeError(f"{what}() got an unexpected keyword argument {key!r}")
        if not any(value is ok or (type(value) is type(ok) and value == ok)
                   for ok in _HOROVOD_DEFAULTS[key]):
            raise NotImplementedError(
                f"{what}({key}={value!r}) is not supported by gpugrad.distributed (only "
                f"{key}={_HOROVOD_DEFAULTS[key][0]!r}); see docs/distributed.md, 'What is not "
                f"there'")


class DistributedGradientTape:
    """A GradientTape whose ``gradient`` averages (``op``) over the ranks.

    Wrap a tape after recording (``tape = DistributedGradientTape(tape)``)
    or use it as the tape itself (``with DistributedGradientTape(
    tf.GradientTape()) as tape:``). Everything else is the wrapped tape's."""

    def __init__(self, tape, op=Average, **horovod_options):
        _check_op(op)
        _check_horovod_options("DistributedGradientTape", horovod_options)
        object.__setattr__(self, "_tape", tape)
        object.__setattr__(self, "_op", op)

    def __enter__(self):
        self._tape.__enter__()
        return self

    def __exit__(self, *exc):
        return self._tape.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._tape, name)

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=None,
                 **kwargs):
        extra = dict(kwargs)
        if unconnected_gradients is not None:
            extra["unconnected_gradients"] = unconnected_gradients
        grads = self._tape.gradient(target, sources, output_gradients, **extra)
        _runtime.current("DistributedGradientTape.gradient")
        return _reduce_gradients(grads, sources, self._op, "DistributedGradientTape.gradient")


def DistributedOptimizer(optimizer, op=Average, **horovod_options):
    """``optimizer`` whose ``apply_gradients`` (and so ``minimize`` and
    ``Model.fit``) first reduces the gradients over the ranks.

    The result is the same optimizer seen through a subclass that shares
    its state (slots, iterations, learning rate): use it from then on."""
    _check_op(op)
    _check_horovod_options("DistributedOptimizer", horovod_options)
    base = type(optimizer)
    if getattr(base, "_distributed_op", None) is not None:
        return optimizer

    def apply_gradients(self, grads_and_vars, *args, **kwargs):
        pairs = list(grads_and_vars)
        grads = _reduce_gradients([g for g, _ in pairs], [v for _, v in pairs],
                                  type(self)._distributed_op,
                                  f"{base.__name__}.apply_gradients")
        # the step itself through the plain optimizer (same state): a traced
        # step then runs its fused kernel and never reduces a second time
        plain = object.__new__(base)
        plain.__dict__ = self.__dict__
        return base.apply_gradients(plain, list(zip(grads, [v for _, v in pairs])), *args,
                                    **kwargs)

    cls = type(base.__name__, (base,), {"apply_gradients": apply_gradients,
                                        "_distributed_op": op, "__module__": base.__module__})
    wrapped = object.__new__(cls)
    wrapped.__dict__ = optimizer.__dict__
    return wrapped


# ------------------------------------------------------------- for fit
def fit_runtime():
    """The runtime Model.fit trains over, or None (not initialized, one rank)."""
    return _runtime.active()


def fit_gradients(grads, variables, optimizer):
    """Model.train_step's gradients, averaged over the ranks when several
    run (unless the optimizer is a DistributedOptimizer: it does that)."""
    if _runtime.active() is None or getattr(type(optimizer), "_distributed_op", None):
        return grads
    return _reduce_gradients(list(grads), list(variables), Average, "Model.fit")
