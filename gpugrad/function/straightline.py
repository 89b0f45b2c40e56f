"""A plan as one straight-line Python function.

The session's executor walks a list of steps, looking each slot up in a
list: about half a microsecond per step, which is a fifth of a small
network's training step. A traced function's plan never changes once made,
so it is written out as Python source instead: one local variable per slot,
one call per step, ``del`` where a value dies. The kernels are the same
objects the list-walking executor calls.
"""
from ..graph import session as _session
from ..graph.core import ShapeOnly


class StepFailed(Exception):
    def __init__(self, index, exc):
        super().__init__(str(exc))
        self.index, self.exc = index, exc


def compile_plan(plan):
    """``run(run, feeds) -> fetched values`` for ``plan``."""
    names = {"ShapeOnly": ShapeOnly, "StepFailed": StepFailed}
    lines = ["def run_plan(run, feeds):", "    i = -1", "    try:"]
    body = []
    for k, (s, value) in enumerate(plan.constants):
        names[f"c{k}"] = value         # folded once: the same array every call
        body.append(f"s{s} = c{k}")
    for k, s in enumerate(plan.feed_slots):
        body.append(f"s{s} = feeds[{k}]")
    for s in plan.watched_feeds:
        body.append(f"w{s} = ShapeOnly(s{s})")
    for i, (kernel, ins, outs, dies, op, shape_ins, watch) in enumerate(plan.steps):
        if _session.check_kernel is not None:   # gpugrad.debugging: checked kernels
            kernel = _session.check_kernel(op)   # (switching it remakes every plan)
        names[f"k{i}"] = kernel
        args = [f"s{s}" for s in ins] + [f"w{s}" for s in shape_ins]
        body.append(f"i = {i}")
        call = f"k{i}(run, [{', '.join(args)}])"
        if not outs:
            body.append(call)
        elif len(outs) == 1:
            body.append(f"s{outs[0]}, = {call}")
        else:
            body.append(f"{', '.join(f's{s}' for s in outs)}, = {call}")
        for s in watch:
            body.append(f"w{s} = ShapeOnly(s{s})")
        if dies:
            body.append("del " + ", ".join(f"s{s}" for s in dies))
    fetched = ", ".join("None" if s is None else f"s{s}" for s in plan.fetch_slots)
    body.append(f"return [{fetched}]")
    lines += ["        " + line for line in body]
    lines += ["    except Exception as exc:", "        raise StepFailed(i, exc) from exc"]
    source = "\n".join(lines)
    exec(compile(source, f"<gpugrad plan {id(plan):#x}>", "exec"), names)
    return names["run_plan"]
