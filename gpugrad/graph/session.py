"""Session: runs parts of a graph on one device and holds its variables.

``run(fetches, feed_dict)`` finds the ops the fetches need (stopping at fed
tensors), orders them, and caches that *plan* per distinct fetch and feed
set, so a training loop pays for planning once. A plan is a flat list of
steps over numbered value slots; each step says which slots die after it,
and the step drops them there. An intermediate is released right after its
last use, so the device allocator (CuPy's pool, the C heap) hands its memory
to the next op: peak memory is the live set, not the whole graph. An
elementwise op whose input dies at that op (add after matmul, relu after
add) writes its result into that input's buffer instead of a new one.

Variable values live in the session (``state``), so two sessions on one
graph hold separate values, as in TensorFlow 1.
"""
import threading

from .. import backend as _backends
from .. import context, nest
from ..errors import InvalidArgumentError, OpError
from ..tensor import Tensor
from ..variable import Variable
from .core import GraphTensor, Operation, ShapeOnly, get_default_graph

_default_sessions = threading.local()
#: gpugrad.debugging.enable_check_numerics sets this to ``op -> kernel``: the
#: op's kernel, checking its outputs for NaN and Inf (None: off). Read once
#: per run here, once per compiled plan in function/straightline.py
check_kernel = None


def get_default_session():
    stack = getattr(_default_sessions, "stack", None)
    return stack[-1] if stack else None


def _session_for(session, op):
    session = session or get_default_session()
    if session is None:
        raise ValueError(f"no session to evaluate {op.name} with: pass session=..., or call "
                         f"it inside `with gpugrad.Session() as sess:` (or sess.as_default())")
    return session


class _DefaultSession:
    def __init__(self, session):
        self.session = session

    def __enter__(self):
        stack = getattr(_default_sessions, "stack", None)
        if stack is None:
            stack = _default_sessions.stack = []
        stack.append(self.session)
        return self.session

    def __exit__(self, *exc):
        _default_sessions.stack.pop()
        return False


class _Run:
    """What kernels see: the session, its device and its variable state."""
    __slots__ = ("session", "backend", "xp", "state", "feeds")

    def __init__(self, session, feeds):
        self.session = session
        self.backend = session._backend
        self.xp = session._backend.xp
        self.state = session._state
        self.feeds = feeds      # the fed arrays: a variable assigned one keeps a copy


class _Plan:
    __slots__ = ("steps", "n_slots", "feed_slots", "fetch_slots", "watched_feeds", "constants",
                 "compiled")

    def __init__(self, steps, n_slots, feed_slots, fetch_slots):
        self.watched_feeds = ()
        self.constants = ()     # (slot, array) set before the first step (folded values)
        self.compiled = None    # the plan as straight-line Python (traced functions)
        self.steps = steps
        self.n_slots = n_slots
        self.feed_slots = feed_slots
        self.fetch_slots = fetch_slots


class Session:
    """``Session(graph=None, device=None)``: runs ``graph`` (the default
    graph) on ``device`` (the current device)."""

    def __init__(self, target="", graph=None, config=None, device=None):
        self.graph = graph if graph is not None else get_default_graph()
        self._backend = _backends.get(device) if device is not None else _backends.current()
        self._state = {}
        self._constants = {}
        self._plans = {}
        self._closed = False
        self._context = []

    @property
    def device(self):
        return self._backend.name

    # --------------------------------------------------------------- context
    def as_default(self):
        """Make this the session ``Tensor.eval`` and ``Operation.run`` use."""
        return _DefaultSession(self)

    def __enter__(self):
        graph_ctx, session_ctx = self.graph.as_default(), self.as_default()
        graph_ctx.__enter__()
        session_ctx.__enter__()
        self._context.append((graph_ctx, session_ctx))
        return self

    def __exit__(self, *exc):
        graph_ctx, session_ctx = self._context.pop()
        session_ctx.__exit__(*exc)
        graph_ctx.__exit__(*exc)
        self.close()
        return False

    def close(self):
        """Release the variable values and cached plans."""
        self._closed = True
        self._state.clear()
        self._constants.clear()
        self._plans.clear()

    # ------------------------------------------------------------------- run
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """The values of ``fetches`` (tensors, ops, variables, or nested
        lists, tuples, dicts and named tuples of them), after running every
        op they need once. Ops come back as None."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        flat = nest.flatten(fetches)
        targets = [self._fetch_target(f) for f in flat]
        in_graph = [t for t in targets if isinstance(t, (GraphTensor, Operation))]
        fed, feed_values = self._feeds(feed_dict)
        key = (tuple(map(id, in_graph)), tuple(map(id, fed)))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(in_graph, fed)
        values = iter(self._execute(plan, feed_values))
        # arrays the session keeps (variables) or was given (feeds) are copied
        # before they are handed out; fresh results are not
        kept = {id(a) for a in self._state.values()}.union(
            map(id, feed_values), map(id, self._constants.values()))
        results = []
        for target in targets:
            if isinstance(target, Operation):
                next(values)
                results.append(None)
            elif isinstance(target, GraphTensor):
                results.append(self._to_host(next(values), kept))
            else:                                # an eager tensor: its value
                results.append(target.numpy())
        return nest.pack_sequence_as(fetches, results)

    def _to_host(self, value, kept):
        host = self._backend.to_host(value)
        if host is value and (id(value) in kept or value.base is not None):
            host = host.copy()                 # a variable's buffer, a feed, or a view
        return host[()] if host.ndim == 0 else host

    def _fetch_target(self, fetch):
        if isinstance(fetch, str):
            fetch = self.graph.as_graph_element(fetch)
        if isinstance(fetch, GraphTensor) or isinstance(fetch, Operation):
            graph = fetch.graph
            if graph is not self.graph:
                raise ValueError(f"fetch {fetch.name} is not an element of this session's graph")
            return fetch
        if getattr(fetch, "_symbolic", False):   # a graph variable: its value
            return fetch._graph_op.outputs[0]
        if isinstance(fetch, (Tensor, Variable)):
            return fetch.read_value() if isinstance(fetch, Variable) else fetch
        raise TypeError(f"Session.run: fetch {fetch!r} has invalid type {type(fetch).__name__}; "
                        f"expected a tensor, an operation, a variable or a name")

    def _feeds(self, feed_dict):
        if not feed_dict:
            return [], []
        fed, values = [], []
        for key, value in feed_dict.items():
            if isinstance(key, str):
                key = self.graph.as_graph_element(key)
            if not isinstance(key, GraphTensor):
                raise TypeError(f"feed_dict keys must be tensors of the graph (or their "
                                f"names), got {type(key).__name__}: {key!r}")
            if key.graph is not self.graph:
                raise ValueError(f"cannot feed {key.name}: it is not an element of this "
                                 f"session's graph")
            fed.append(key)
            values.append(self._feed_value(key, value))
        return fed, values

    def _feed_value(self, tensor, value):
        backend = self._backend
        if isinstance(value, (Tensor, Variable)):
            value = value.numpy()
        host = _backends.cpu().xp
        array = host.asarray(value)
        target = host.dtype(tensor.dtype.name)
        if array.dtype != target:
            if not host.can_cast(array.dtype, target, "same_kind") and array.size:
                raise TypeError(f"Cannot feed a value of dtype {array.dtype} to {tensor.name}, "
                                f"which has dtype {tensor.dtype.name}")
            array = array.astype(target)
        if not tensor.shape.is_compatible_with(array.shape):
            raise ValueError(f"Cannot feed value of shape {tuple(array.shape)} for Tensor "
                             f"{tensor.name}, which has shape {tensor.shape}")
        return backend.asarray(array)

    # ------------------------------------------------------------- planning
    def _plan(self, targets, fed):
        fed_ids = {id(t) for t in fed}
        needed, stack = {}, []
        for t in targets:
            if isinstance(t, Operation):
                stack.append(t)
            elif isinstance(t, GraphTensor) and id(t) not in fed_ids:
                stack.append(t._op)
        while stack:
            op = stack.pop()
            if id(op) in needed:
                continue
            needed[id(op)] = op
            stack.extend(t._op for t in op.inputs if id(t) not in fed_ids)
            stack.extend(t._op for t in op.shape_inputs if id(t) not in fed_ids)
            stack.extend(op.control_inputs)
        ops = sorted(needed.values(), key=lambda op: op._index)
        for op in ops:
            if op.type == "Placeholder":
                t = op.outputs[0]
                raise InvalidArgumentError(
                    f"You must feed a value for placeholder tensor '{op.name}' with dtype "
                    f"{t.dtype.name} and shape {t.shape} (created at {op._site})", op)
        slot = {}

        def slot_of(t):
            if id(t) not in slot:
                slot[id(t)] = len(slot)
            return slot[id(t)]

        feed_slots = [slot_of(t) for t in fed]
        fetch_slots = []
        for t in targets:
            fetch_slots.append(None if isinstance(t, Operation) else slot_of(t))
        raw = []
        junk = len(slot) + len(targets) + sum(len(op.outputs) for op in ops) + len(fed)
        for i, op in enumerate(ops):
            ins = [slot_of(t) for t in op.inputs]
            shape_ins = [slot_of(t) for t in op.shape_inputs]
            # an op runs for its other outputs: a fed one keeps the fed value
            outs = [junk if id(t) in fed_ids else slot_of(t) for t in op.outputs]
            raw.append((op, ins, outs, shape_ins))
        return self._finish(raw, max(len(slot), junk + 1), feed_slots, fetch_slots, junk)

    def _finish(self, raw, n_slots, feed_slots, fetch_slots, junk):
        """The plan for ``raw`` steps (op, input slots, output slots, shape
        input slots) in execution order: when each slot dies, and which
        elementwise steps may write into a dying input."""
        last_use = {}
        watched = set()      # slots whose shape a later op needs (not their value)
        for i, (op, ins, outs, shape_ins) in enumerate(raw):
            watched.update(shape_ins)
            for s in ins:
                last_use[s] = i
        keep = set(s for s in fetch_slots if s is not None)
        fed_slots = set(feed_slots)
        producer = {}
        for op, ins, outs, shape_ins in raw:
            for s in outs:
                producer[s] = op
        steps = []
        for i, (op, ins, outs, shape_ins) in enumerate(raw):
            dies = [s for s in set(ins) | set(outs)
                    if s not in keep and s != junk and last_use.get(s, i) <= i]
            watch = tuple(s for s in outs if s in watched)
            kernel = op._kernel
            reuse = _reusable_input(op, ins, dies, producer, fed_slots | keep)
            if reuse is not None:
                kernel = _in_place_kernel(op, reuse)
            steps.append((kernel, tuple(ins), tuple(outs), tuple(dies), op,
                          tuple(shape_ins), watch))
        plan = _Plan(steps, n_slots, feed_slots, fetch_slots)
        plan.watched_feeds = tuple(s for s in feed_slots if s in watched)
        return plan

    def _execute(self, plan, feed_values):
        vals = [None] * plan.n_slots
        for s, v in plan.constants:
            vals[s] = v
        for s, v in zip(plan.feed_slots, feed_values):
            vals[s] = v
        shapes = {s: ShapeOnly(vals[s]) for s in plan.watched_feeds}
        run = _Run(self, feed_values)
        op = args = None
        context.push(None)                  # kernels run eagerly
        scope = self._backend.device_scope() if self._backend.scoped else None
        if scope is not None:
            scope.__enter__()
        steps = plan.steps
        if check_kernel is not None:        # gpugrad.debugging: checked kernels
            steps = [(check_kernel(step[4]),) + step[1:] for step in steps]
        try:
            for kernel, ins, outs, dies, op, shape_ins, watch in steps:
                args = [vals[s] for s in ins]
                if shape_ins:
                    args.extend([shapes[s] for s in shape_ins])
                res = kernel(run, args)
                for s, r in zip(outs, res):
                    vals[s] = r
                for s in watch:
                    shapes[s] = ShapeOnly(vals[s])
                for s in dies:
                    vals[s] = None
        except Exception as exc:
            raise _op_error(op, args, exc) from exc
        finally:
            context.pop()
            if scope is not None:
                scope.__exit__(None, None, None)
        return [None if s is None else vals[s] for s in plan.fetch_slots]

    # ---------------------------------------------------------- state help
    def _constant(self, op, value):
        array = self._constants.get(op)
        if array is None:
            if value._backend is self._backend:
                array = value._data
            else:
                array = self._backend.asarray(value._backend.to_host(value._data))
            self._constants[op] = array
        return array

    def _load(self, variable, value):
        array = self._feed_value(variable._graph_op.outputs[0], value)
        if array is value or getattr(array, "base", None) is not None:
            array = array.copy()
        self._state[variable._key] = array


# --------------------------------------------------------- buffer reuse
#: elementwise ops that can write into a dying input: the ufunc, and which
#: argument positions may be overwritten (both, where the op commutes)
_IN_PLACE = {"add": ("add", (0, 1)), "subtract": ("subtract", (0,)),
             "multiply": ("multiply", (0, 1)), "relu": ("maximum", (0,))}
#: ops whose result is always a new array (not a view of an input)
_FRESH = {"matmul", "add", "subtract", "multiply", "relu", "bias_add"}


def _reusable_input(op, ins, dies, producer, pinned):
    """The position of an input whose buffer ``op`` may overwrite: it dies
    here, a fresh-array op of this run made it, and the output has its
    shape whatever the unknown dimensions turn out to be."""
    rule = op._registry_op
    custom = getattr(op, "in_place_kernel", None)     # a fused step: any input position
    if custom is None and (rule is None or rule.name not in _IN_PLACE or op.attrs):
        return None
    if custom is not None and len(op.outputs) != 1:
        return None
    out = op.outputs[0]
    for k in (range(len(ins)) if custom is not None else _IN_PLACE[rule.name][1]):
        if k >= len(ins):
            continue
        s, t = ins[k], op.inputs[k]
        maker = producer.get(s)
        fresh = getattr(maker, "fresh_output", False) or maker is not None and \
            maker._registry_op is not None and maker._registry_op.name in _FRESH
        if s not in dies or s in pinned or ins.count(s) > 1 or not fresh:
            continue
        others = [x for j, x in enumerate(op.inputs) if j != k]
        if t.shape.rank is None or out.shape.rank is None or tuple(t.shape) != tuple(out.shape):
            continue
        if any(o.shape.rank is None or not o.shape.is_fully_defined() for o in others):
            continue
        if t.dtype is not out.dtype:
            continue
        return k
    return None


def _in_place_kernel(op, k):
    if getattr(op, "in_place_kernel", None) is not None:
        return op.in_place_kernel(k)
    ufunc_name = _IN_PLACE[op._registry_op.name][0]
    fallback = op._kernel

    def kernel(run, args):
        target = args[k]
        if not isinstance(target, run.xp.ndarray) or target.ndim == 0:
            return fallback(run, args)
        ufunc = getattr(run.xp, ufunc_name)
        if len(args) == 1:                       # relu: maximum(x, 0)
            return (ufunc(target, target.dtype.type(0), out=target),)
        return (ufunc(args[0], args[1], out=target),)
    return kernel


class InteractiveSession(Session):
    """A Session that makes itself the default when made (for shells and
    notebooks: ``t.eval()`` and ``op.run()`` need no ``with`` block)."""

    def __init__(self, target="", graph=None, config=None, device=None):
        super().__init__(target, graph, config, device)
        self._default = self.as_default()
        self._default.__enter__()

    def close(self):
        super().close()
        if self._default is not None:
            stack = getattr(_default_sessions, "stack", [])
            if self in stack:
                stack.remove(self)
            self._default = None


def _op_error(op, args, exc):
    if op is None:
        return exc
    shapes = ", ".join(f"{list(a.shape)} {a.dtype}" if hasattr(a, "shape") else repr(a)
                       for a in (args or ()))
    where = f"{op.type} op '{op.name}' (created at {op._site})"
    if isinstance(exc, OpError):
        return type(exc)(f"{exc.message}\n  [[{where}]]", op)
    if isinstance(exc, (ValueError, IndexError, TypeError, ArithmeticError, KeyError)):
        return InvalidArgumentError(f"{where} failed on inputs ({shapes}): {exc}", op)
    return exc
