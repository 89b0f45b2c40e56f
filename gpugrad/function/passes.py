"""Graph passes: what runs between tracing a function and executing it.

They rewrite a plan's steps (op, input slots, output slots), never the
graph, so ``concrete.graph`` stays what the Python traced, and each pass can
be switched off to debug (``gpugrad.config.optimizer.set_experimental_options``):

- ``constant_folding``: a pure op whose inputs are all constants runs once,
  when the plan is made; its value is preloaded into every call.
- ``common_subexpression_elimination``: a pure op with the same inputs and
  parameters as an earlier one reuses that one's result.
- ``dead_code_elimination``: steps whose results nothing uses (after the
  two passes above) are dropped; effects always stay.
- ``elementwise_fusion``: chains of elementwise ops, broadcasting included,
  become one generated kernel (kernels/fused_elementwise: numba on the CPU,
  a CuPy elementwise kernel on the GPU), compiled once and cached on disk.

After the passes the session's planner frees each buffer after its last
use and lets elementwise steps write into a dying input's buffer.
"""
from .. import config

#: ops never folded or merged: their value is not a function of their inputs
_IMPURE = frozenset({"random_uniform", "random_normal", "truncated_normal"})
#: folded values larger than this stay computed per call (memory)
_FOLD_MAX_ELEMENTS = 1 << 22


class _Counter:
    """What the passes did to the latest plan (for tests and docs)."""

    def __init__(self):
        self.folded = self.merged = self.removed = self.fused_ops = self.fused_kernels = 0


stats = _Counter()


def _pure(op):
    rule = op._registry_op
    return rule is not None and rule.name not in _IMPURE and op.type != "Const"


def _hashable(value):
    try:
        hash(value)
        return value
    except TypeError:
        if isinstance(value, (list, tuple)):
            return tuple(_hashable(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
        return ("id", id(value))


def optimize(executor, raw, fetch_slots, feed_slots):
    """The passes switched on, over ``raw`` steps; returns (steps, constants)."""
    options = config.optimizer.get_experimental_options()
    off = options.get("disable_meta_optimizer", False)
    counter = _Counter()
    constants = {}
    protected = {s for s in fetch_slots if s is not None} | set(feed_slots)
    if not off and options.get("constant_folding", True):
        raw = _fold(executor, raw, constants, counter)
    if not off and options.get("common_subexpression_elimination", True):
        raw = _cse(raw, fetch_slots, counter)
    if not off and options.get("dead_code_elimination", True):
        raw = _dce(raw, protected, counter)
    if not off and options.get("elementwise_fusion", True):
        from .fusion import fuse
        raw = fuse(executor, raw, protected, constants, counter)
    stats.__dict__.update(counter.__dict__)
    used = {s for _, ins, _, shape_ins in raw for s in list(ins) + list(shape_ins)}
    used |= protected
    return raw, [(s, v) for s, v in constants.items() if s in used]


# ------------------------------------------------------------- folding
def _fold(executor, raw, constants, counter):
    from ..graph.session import _Run
    run = _Run(executor, [])
    kept = []
    for step in raw:
        op, ins, outs, shape_ins = step
        if op.type == "Const":
            constants[outs[0]] = op._kernel(run, [])[0]
            continue
        if _pure(op) and not shape_ins and ins and all(s in constants for s in ins):
            try:
                values = op._kernel(run, [constants[s] for s in ins])
            except Exception:            # leave the error to the call, with its context
                kept.append(step)
                continue
            if all(getattr(v, "size", 0) <= _FOLD_MAX_ELEMENTS for v in values):
                for s, v in zip(outs, values):
                    constants[s] = v
                counter.folded += 1
                continue
        kept.append(step)
    return kept


# ----------------------------------------------------------------- CSE
def _cse(raw, fetch_slots, counter):
    seen, rename, kept = {}, {}, []
    for op, ins, outs, shape_ins in raw:
        ins = [rename.get(s, s) for s in ins]
        shape_ins = [rename.get(s, s) for s in shape_ins]
        if _pure(op) and not any(s in fetch_slots for s in outs):
            key = (op._registry_op.name, tuple(ins), tuple(shape_ins), _hashable(op.attrs))
            earlier = seen.get(key)
            if earlier is not None:
                for a, b in zip(outs, earlier):
                    rename[a] = b
                counter.merged += 1
                continue
            seen[key] = outs
        kept.append((op, ins, outs, shape_ins))
    return kept


# ----------------------------------------------------------------- DCE
def _dce(raw, protected, counter):
    needed = set(protected)
    kept = []
    for op, ins, outs, shape_ins in reversed(raw):
        effect = op._registry_op is None and op.type not in ("Const", "ReadVariableOp",
                                                             "Placeholder")
        if effect or any(s in needed for s in outs):
            needed.update(ins)
            needed.update(shape_ins)
            kept.append((op, ins, outs, shape_ins))
        else:
            counter.removed += 1
    return kept[::-1]
