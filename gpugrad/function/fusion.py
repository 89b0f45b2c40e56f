"""Elementwise fusion: chains of elementwise steps become one kernel.

Two elementwise steps join one group when a value flows from one to the
other and nothing else reads it. A group is kept only if it can run as one
step at the place of its last member: no value it makes is read by an
outside step before that place, and no effect (an assignment, an optimizer
step) lies between its members, since moving a read of a variable past an
in-place update would change what it reads.

A group becomes a *program* (kernels/fused_elementwise/spec.md): its inputs
are the values it reads from outside, 0-d constants become literals, and its
outputs are the values read outside it. The kernel runs the whole program
in one pass over the broadcast shape. Where the work is small, a kernel
call costs more than the passes it saves: a group whose shapes are known
when the plan is made and whose elements times ops is below
PREPARED_MIN_WORK is left unfused; with unknown shapes each call decides
(FUSED_MIN_WORK) and runs the members one by one when small.
"""
from ..errors import InvalidArgumentError

#: a call of a group (shapes unknown when planned) whose elements times ops
#: is below this runs its members one by one: measured on 2 cores, relu(x + bias) fused costs 13.1 us against
#: numpy's 5.1 at 64x128, 19.7 against 15.9 at 256x128, 23.8 against 61.6
#: at 1024x128 (the kernel's per-call set-up is ~10 us of Python)
FUSED_MIN_WORK = 1 << 16
#: the same for a kernel prepared when the plan is made (every shape known):
#: 3.4 us (2.3 written over its input) against numpy's 5.0 at 64x128
PREPARED_MIN_WORK = 1 << 13


def _program_rules():
    """kernels/fused_elementwise/program.py (the op table and checks), or
    None in an installation without the fusion kernel."""
    try:
        from ..backend.kernels import load_module
        return load_module("fused_elementwise", "program")
    except (ImportError, FileNotFoundError):
        return None


def _fusible(op, names):
    rule = op._registry_op
    if rule is None or rule.name not in names or len(op.outputs) != 1:
        return False
    if rule.name == "cast":
        return set(op.attrs) == {"dtype"}
    return not op.attrs


class FusedOp:
    """A plan step standing for a group of elementwise ops. Its result is a
    new array, and it may write it into a dying input of the output's shape
    (``in_place_kernel``, used by the session's planner)."""
    _registry_op = None
    _fn = None
    attrs = {}
    shape_inputs = ()
    fresh_output = True

    def __init__(self, members, inputs, outputs, kernel):
        self.members = members
        self.type = "FusedElementwise"
        self.name = "fused(" + ", ".join(m.name for m in members) + ")"
        self.inputs = inputs
        self.outputs = outputs
        self._kernel = kernel
        self._site = members[-1]._site

    def in_place_kernel(self, k):
        return self._kernel.writing_into(k)


def fuse(executor, raw, protected, constants, counter):
    rules = _program_rules()
    if rules is None:
        return raw
    names = rules.SUPPORTED_OPS
    producer = {}
    consumers = {}
    for i, (op, ins, outs, shape_ins) in enumerate(raw):
        for s in outs:
            producer[s] = i
        for s in list(ins) + list(shape_ins):
            consumers.setdefault(s, set()).add(i)
    fusible = {i for i, (op, *_) in enumerate(raw) if _fusible(op, names)}
    effects = [i for i, (op, *_) in enumerate(raw)
               if op._registry_op is None and op.type not in ("ReadVariableOp", "Placeholder")]
    parent = {i: i for i in fusible}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    members = {i: [i] for i in fusible}

    def valid(group):
        last, first = max(group), min(group)
        inside = set(group)
        for m in group:
            for s in raw[m][2]:
                for c in consumers.get(s, ()):
                    if c not in inside and c < last:
                        return False
        return not any(first < e < last for e in effects)

    for i in sorted(fusible):
        op, ins, outs, shape_ins = raw[i]
        for s in ins:
            p = producer.get(s)
            if p is None or p not in fusible or s in protected or consumers.get(s) != {i}:
                continue
            a, b = find(p), find(i)
            if a == b:
                continue
            merged = sorted(members[a] + members[b])
            if valid(merged):
                parent[b] = a
                members[a] = merged
                del members[b]
    groups = [g for root, g in members.items() if find(root) == root and len(g) > 1]
    if not groups:
        return raw
    replaced = {}
    for group in groups:
        step = _fused_step(raw, group, consumers, protected, constants, rules)
        if step is None:
            continue
        replaced[max(group)] = step
        for m in group:
            replaced.setdefault(m, None)
        counter.fused_ops += len(group)
        counter.fused_kernels += 1
    out = []
    for i, step in enumerate(raw):
        if i in replaced:
            if replaced[i] is not None:
                out.append(replaced[i])
        else:
            out.append(step)
    return out


def _fused_step(raw, group, consumers, protected, constants, rules):
    inside = set(group)
    made = {}               # slot -> value number in the program
    external = []           # slots read from outside, in order
    instructions = []
    literal = {}

    def value_of(s):
        if s in made:
            return made[s]
        c = constants.get(s)
        if c is not None and getattr(c, "ndim", 1) == 0 and c.dtype.kind in "fiub":
            if s not in literal:
                literal[s] = (c.dtype.name, c.item())
            return ("literal", s)
        if s not in external:
            external.append(s)
        return ("input", external.index(s))

    body = []
    for m in group:
        op, ins, outs, _ = raw[m]
        args = [value_of(s) for s in ins]
        dtype = op.outputs[0].dtype.name
        body.append((op._registry_op.name, dtype, args, outs[0]))
        made[outs[0]] = ("made", len(body) - 1)
    n_in = len(external)
    # number the values: inputs, then literals, then the members' results
    numbers = {}
    for s in literal:
        numbers[("literal", s)] = n_in + len(instructions)
        instructions.append(("const", literal[s][0], (literal[s][1],)))
    offset = n_in + len(instructions)

    def number(ref):
        kind, key = ref
        if kind == "input":
            return key
        if kind == "literal":
            return numbers[("literal", key)]
        return offset + key

    for name, dtype, args, _ in body:
        instructions.append((name, dtype, tuple(number(a) for a in args)))
    outputs, out_slots = [], []
    for k, (_, _, _, slot) in enumerate(body):
        if slot in protected or any(c not in inside for c in consumers.get(slot, ())):
            outputs.append(offset + k)
            out_slots.append(slot)
    if not outputs:
        return None
    program = (n_in, tuple(instructions), tuple(outputs))
    members = [raw[m][0] for m in group]
    slot_tensor = {}
    for m in group:
        op, ins, outs, _ = raw[m]
        for t, s in zip(op.inputs, ins):
            slot_tensor.setdefault(s, t)
        slot_tensor[outs[0]] = op.outputs[0]
    try:         # the kernel's own dtype rules: a group they refuse stays unfused
        rules.check(program, [slot_tensor[s].dtype.name for s in external])
    except (ValueError, TypeError):
        return None
    shapes = [slot_tensor[s].shape for s in external]
    known = all(sh.rank is not None and sh.is_fully_defined() for sh in shapes)
    if known and max(_count(sh) for sh in shapes) * len(group) < PREPARED_MIN_WORK:
        return None         # too small to pay for a kernel: the steps stay as they are
    kernel = _kernel(program, [raw[m] for m in group], external, out_slots,
                     {s: constants[s] for s in literal},
                     (tuple(tuple(sh) for sh in shapes), tuple(slot_tensor[s].dtype.name
                                                          for s in external)) if known else None)
    op = FusedOp(members, [slot_tensor[s] for s in external],
                 [slot_tensor[s] for s in out_slots], kernel)
    return (op, list(external), list(out_slots), [])


def _kernel(program, steps, external, out_slots, literals, signature):
    """Run the program (or, below the size threshold, the members). With a
    ``signature`` (every input's shape and dtype known when the plan is
    made) the kernel is *prepared* once per device and writing target: its
    layout decided and its code loaded, so a call costs ~0.6 us of Python
    above the launch instead of ~10."""
    def one_by_one(run, arrays):
        vals = dict(literals)
        vals.update(zip(external, arrays))
        for op, ins, outs, _ in steps:
            (vals[outs[0]],) = op._kernel(run, [vals[s] for s in ins])
        return [vals[s] for s in out_slots]

    cache = {}

    n_ops = len(steps)
    n_out = len(program[2])
    if signature is not None:
        prepared = {}

        def make_prepared(target):
            over = None if target is None else (target,) + (None,) * (n_out - 1)

            def kernel(run, arrays):
                call = prepared.get((run.backend, target))
                if call is None:
                    prepare = run.backend.kernel("fused_elementwise", "prepare")
                    if prepare is None:
                        return one_by_one(run, arrays)
                    call = prepared[(run.backend, target)] = prepare(program, *signature, over)
                return call(arrays)
            kernel.writing_into = make_prepared
            return kernel
        return make_prepared(None)

    def make(target):
        def kernel(run, arrays):
            size = max((getattr(a, "size", 1) for a in arrays), default=1)
            if size * n_ops < FUSED_MIN_WORK:
                return one_by_one(run, arrays)
            fused = cache.get(run.backend)
            if fused is None:
                fused = cache[run.backend] = run.backend.kernel("fused_elementwise")
            if fused is None:
                return one_by_one(run, arrays)
            out = None
            if target is not None:      # the planner checked shape and dtype statically
                a = arrays[target]
                if a.flags.c_contiguous and a.flags.writeable:
                    out = (a,) + (None,) * (len(program[2]) - 1)
            try:
                return fused(program, arrays, out)
            except (ValueError, TypeError) as exc:
                raise InvalidArgumentError(f"fused elementwise kernel: {exc}") from exc
        kernel.writing_into = lambda k: make(k)
        return kernel
    return make(None)


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n

