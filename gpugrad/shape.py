"""TensorShape: a tuple of dimensions (None where unknown)."""


class TensorShape(tuple):
    __slots__ = ()

    def __new__(cls, dims=()):
        if dims is None:  # a graph tensor whose rank is not known yet
            return UNKNOWN_RANK if cls is TensorShape else tuple.__new__(cls)
        if isinstance(dims, _UnknownRank):
            return dims
        return tuple.__new__(cls, (None if d is None else int(d) for d in dims))

    @property
    def rank(self):
        return len(self)

    ndims = rank

    def as_list(self):
        return list(self)

    def num_elements(self):
        n = 1
        for d in self:
            if d is None:
                return None
            n *= d
        return n

    def is_fully_defined(self):
        return None not in self

    def is_compatible_with(self, other):
        other = TensorShape(other)
        if other.rank is None:
            return True
        return len(self) == len(other) and all(
            a is None or b is None or a == b for a, b in zip(self, other))

    def __getitem__(self, key):
        result = tuple.__getitem__(self, key)
        return TensorShape(result) if isinstance(key, slice) else result

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return "(" + ", ".join("None" if d is None else str(d) for d in self) + \
            ("," if len(self) == 1 else "") + ")"


class _UnknownRank(TensorShape):
    """The shape of a graph tensor whose rank is not known (a placeholder
    made without a shape): compatible with every shape."""
    __slots__ = ()

    @property
    def rank(self):
        return None

    ndims = rank

    def __len__(self):
        raise ValueError("Cannot take the length of a shape with unknown rank")

    def __iter__(self):
        raise ValueError("Cannot iterate over a shape with unknown rank")

    def as_list(self):
        raise ValueError("as_list() is not defined on a shape of unknown rank")

    def num_elements(self):
        return None

    def is_fully_defined(self):
        return False

    def is_compatible_with(self, other):
        return True

    def __eq__(self, other):
        return isinstance(other, _UnknownRank)

    def __ne__(self, other):
        return not self == other

    __hash__ = tuple.__hash__

    def __repr__(self):
        return "TensorShape(None)"

    def __str__(self):
        return "<unknown>"


UNKNOWN_RANK = tuple.__new__(_UnknownRank)
