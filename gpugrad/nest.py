"""Nested structures of lists, tuples, named tuples and dicts (TensorFlow's
``tf.nest``, reduced to what gpugrad needs). Dicts flatten in sorted key order."""


def _is_sequence(x):
    return isinstance(x, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten(structure):
    if not _is_sequence(structure):
        return [structure]
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
        return type(like)((k, v) for k, v in zip(keys, values)) if type(like) is not dict \
            else dict(zip(keys, values))
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*values)
    return type(like)(values)


def pack_sequence_as(structure, flat):
    """The leaves ``flat`` arranged like ``structure``."""
    flat = list(flat)
    if not _is_sequence(structure):
        if len(flat) != 1:
            raise ValueError(f"expected 1 value for a leaf, got {len(flat)}")
        return flat[0]
    position = 0

    def build(node):
        nonlocal position
        if not _is_sequence(node):
            position += 1
            return flat[position - 1]
        return _rebuild(node, [build(c) for c in _children(node)])

    result = build(structure)
    if position != len(flat):
        raise ValueError(f"structure has {position} leaves, got {len(flat)} values")
    return result


def map_structure(fn, structure):
    return pack_sequence_as(structure, [fn(x) for x in flatten(structure)])
