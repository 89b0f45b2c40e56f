"""``custom_gradient``: a function that supplies its own gradient."""
import functools
import inspect

from . import nest
from .tape import GradientTape, custom_record, stop_all_recording, _recording
from .tensor import Tensor, convert_to_tensor


def custom_gradient(f=None):
    """Decorate ``f(*x) -> (y, grad_fn)``; ``grad_fn(*dy)`` returns the
    gradients of the inputs. If ``f`` reads trainable variables, ``grad_fn``
    takes ``variables=`` and returns ``(input_grads, variable_grads)``, as in
    TensorFlow."""
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        inputs = [convert_to_tensor(a) if isinstance(a, Tensor) or hasattr(a, "_read")
                  or isinstance(a, (int, float, list)) else a for a in args]
        if not _recording:
            return f(*inputs, **kwargs)[0]
        with stop_all_recording():
            with GradientTape() as probe:  # finds the variables f reads
                result, grad_fn = f(*inputs, **kwargs)
        variables = list(probe.watched_variables())
        for tape in _recording:  # the reads were hidden from the outer tapes
            for v in variables:
                if tape._watch_accessed and v.trainable:
                    tape._watch_variable(v)
        outputs = [convert_to_tensor(o) for o in nest.flatten(result)]
        tensors = [x for x in inputs if isinstance(x, Tensor)]
        takes_variables = "variables" in inspect.signature(grad_fn).parameters
        if variables and not takes_variables:
            raise TypeError(f"custom_gradient: {f.__name__} reads variables "
                            f"{[v.name for v in variables]} but its grad_fn has no "
                            f"'variables' argument to return their gradients")

        def grads(*dys):
            dys = [d for d in dys]
            if takes_variables:
                in_grads, var_grads = grad_fn(*dys, variables=variables)
            else:
                in_grads, var_grads = grad_fn(*dys), []
            in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
            return [None if g is None else convert_to_tensor(g) for g in in_grads] + \
                [None if g is None else convert_to_tensor(g) for g in var_grads]

        custom_record(tensors + variables, outputs, grads)
        return nest.pack_sequence_as(result, outputs)
    return wrapper
