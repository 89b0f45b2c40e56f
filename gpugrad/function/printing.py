"""``gpugrad.print``: print tensors' values when the op runs.

Eagerly it prints at once. In a traced function it is an effect of the
graph, so it prints on every call, in program order, with the values of
that call (a Python ``print`` runs only while tracing).
"""
import sys

from .. import context, nest
from ..tensor import Tensor
from ..variable import Variable


def _format(value, summarize):
    if isinstance(value, (Tensor, Variable)):
        array = value._backend.to_host(value._data)
        np = type(array).__module__.startswith("numpy") and sys.modules["numpy"]
        if array.ndim == 0:
            return _scalar(array[()])
        edge = summarize if summarize is not None and summarize >= 0 else sys.maxsize
        return np.array2string(array, separator=" ", threshold=2 * edge if edge < sys.maxsize
                               else sys.maxsize, edgeitems=min(edge, 1000),
                               formatter={"float_kind": lambda v: _scalar(v)})
    return str(value)


def _scalar(v):
    if hasattr(v, "dtype") and v.dtype.kind == "f":
        return f"{float(v):g}"
    if hasattr(v, "dtype") and v.dtype.kind == "b":
        return "1" if v else "0"
    return str(v)


def print_(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """``tf.print``: the inputs' values (tensors, nested structures, Python
    objects) written to ``output_stream`` (sys.stderr by default, as in
    TensorFlow; sys.stdout works too) whenever the op runs."""
    graph = context.current_graph()
    leaves = nest.flatten(list(inputs))
    positions = [i for i, x in enumerate(leaves) if isinstance(x, (Tensor, Variable))]

    def emit(values):
        filled = list(leaves)
        for i, v in zip(positions, values):
            filled[i] = v
        parts = [_format(x, summarize) for x in nest.pack_sequence_as(list(inputs), filled)]
        stream = output_stream if output_stream is not None else sys.stderr
        stream.write(sep.join(parts) + end)
        if hasattr(stream, "flush"):
            stream.flush()

    if graph is None:
        emit([leaves[i] for i in positions])
        return None
    if not getattr(graph, "lifts_variables", False):
        raise NotImplementedError("gpugrad.print in a TensorFlow 1 graph is not supported; "
                                  "fetch the tensor with Session.run and print it")

    def kernel(run, arrays):
        emit([Tensor(a, run.backend) for a in arrays])
        return ()
    return graph._effect("PrintV2", [leaves[i] for i in positions], kernel, name=name)
