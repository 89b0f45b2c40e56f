"""Nested structures of lists, tuples, named tuples and dicts (TensorFlow's
``tf.nest``, reduced to what gpugrad needs). Dicts flatten in sorted key order."""


def _is_sequence(x):
    return isinstance(x, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def _is_flat(structure):
    return type(structure) in (list, tuple) and not any(_is_sequence(x) for x in structure)


def flatten(structure):
    if not _is_sequence(structure):
        return [structure]
    if _is_flat(structure):
        return list(structure)
    out = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if _is_sequence(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def _rebuild(like, values):
    if isinstance(like, dict):
        keys = sorted(like)
        return dict(zip(keys, values)) if type(like) is dict else type(like)(zip(keys, values))
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*values)
    return type(like)(values)


def _build(node, leaves):
    # module level, not a closure: a self-referencing closure would make a
    # reference cycle that keeps the leaves (gradients) alive until the next
    # garbage collection
    if not _is_sequence(node):
        return next(leaves)
    return _rebuild(node, [_build(child, leaves) for child in _children(node)])


def pack_sequence_as(structure, flat):
    """The leaves ``flat`` arranged like ``structure``."""
    flat = list(flat)
    if not _is_sequence(structure):
        if len(flat) != 1:
            raise ValueError(f"expected 1 value for a leaf, got {len(flat)}")
        return flat[0]
    if _is_flat(structure):
        if len(flat) != len(structure):
            raise ValueError(f"structure has {len(structure)} leaves, got {len(flat)} values")
        return type(structure)(flat)
    leaves = iter(flat)
    try:
        result = _build(structure, leaves)
    except StopIteration:
        raise ValueError(f"structure has more leaves than the {len(flat)} values given") from None
    if next(leaves, leaves) is not leaves:
        raise ValueError(f"structure has fewer leaves than the {len(flat)} values given")
    return result


def map_structure(fn, structure):
    return pack_sequence_as(structure, [fn(x) for x in flatten(structure)])


def assert_same_structure(a, b):
    """Raise ValueError unless ``a`` and ``b`` nest the same way."""
    def shape(x):
        if isinstance(x, dict):
            return ("dict", tuple(sorted(x)), tuple(shape(x[k]) for k in sorted(x)))
        if isinstance(x, (list, tuple)):
            return (type(x).__name__ if hasattr(x, "_fields") else "seq",
                    tuple(shape(c) for c in x))
        return "leaf"
    if shape(a) != shape(b):
        raise ValueError(f"the two structures differ: {a!r} and {b!r}")
