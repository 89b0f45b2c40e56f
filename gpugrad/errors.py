"""Exceptions with TensorFlow's names. Each is also the matching builtin
(ValueError, RuntimeError, ...) so plain Python handlers catch them."""


class OpError(Exception):
    def __init__(self, message, op=None):
        super().__init__(message)
        self.message = message
        self.op = op


class InvalidArgumentError(OpError, ValueError):
    """An op got inputs it cannot work with (shapes, dtypes, values)."""


class FailedPreconditionError(OpError, RuntimeError):
    """State is not ready, e.g. a variable read before it was initialized."""


class NotFoundError(OpError, LookupError):
    pass


class UnimplementedError(OpError, NotImplementedError):
    pass


class InternalError(OpError, RuntimeError):
    pass


class ResourceExhaustedError(OpError, MemoryError):
    pass


class InvalidIndexError(InvalidArgumentError, IndexError):
    """An index outside a tensor's bounds."""


class DTypeConversionError(InvalidArgumentError, TypeError):
    """A value cannot take the dtype it must have (a float for an integer
    tensor). TensorFlow raises TypeError or InvalidArgumentError depending on
    the operator; this is both."""


class OperatorNotAllowedInGraphError(TypeError):
    """A symbolic tensor used where Python needs a value (``if t:``) while
    a function is traced."""


class DataLossError(OpError, ValueError):
    """Stored data cannot be read back: a corrupt or truncated checkpoint."""


class AbortedError(OpError, RuntimeError):
    """The work was abandoned: in distributed training, another rank failed.
    ``rank`` names it (None when unknown)."""

    def __init__(self, message, op=None, rank=None):
        super().__init__(message, op)
        self.rank = rank


class DeadlineExceededError(OpError, TimeoutError):
    """An operation did not finish in time: in distributed training, a
    collective that the other ranks did not join within the timeout."""
