"""TensorFlow 1's ``tf.train`` optimizers, as thin spellings of gpugrad's.

Their updates equal TensorFlow 1's for a constant learning rate (Momentum's
accumulator is Keras SGD's velocity divided by -lr; Adam's formula is the
same, with TensorFlow 1's epsilon default). ``minimize`` takes TF1's
``global_step``, incremented after each update.

TensorFlow 2's checkpoints (``Checkpoint``, ``CheckpointManager``,
``latest_checkpoint``) come from gpugrad/checkpoint.py.
"""
from . import context
from .checkpoint import Checkpoint, CheckpointManager, latest_checkpoint  # noqa: F401
from .dtypes import int64
from .optimizers import SGD, Adam


class _TF1Minimize:
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=None,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None, tape=None):
        if context.executing_eagerly() and not getattr(loss, "_symbolic", False):
            train = super().minimize(loss, var_list, tape=tape)
            if global_step is not None:
                global_step.assign_add(1)
            return train
        train = super().minimize(loss, var_list, name=name)
        if global_step is None:
            return train
        from .graph import control_dependencies
        with control_dependencies([train]):
            return global_step.assign_add(1, read_value=False)

    def compute_gradients(self, loss, var_list=None, **unused):
        from .graph import gradients, trainable_variables
        var_list = list(var_list if var_list is not None else trainable_variables())
        return list(zip(gradients(loss, var_list), var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        train = super().apply_gradients(grads_and_vars, name=name)
        if global_step is None or context.executing_eagerly():
            if global_step is not None:
                global_step.assign_add(1)
            return train
        from .graph import control_dependencies
        with control_dependencies([train]):
            return global_step.assign_add(1, read_value=False)


class GradientDescentOptimizer(_TF1Minimize, SGD):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(learning_rate, name=name)


class MomentumOptimizer(_TF1Minimize, SGD):
    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(learning_rate, momentum=momentum, nesterov=use_nesterov, name=name)


class AdamOptimizer(_TF1Minimize, Adam):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
                 use_locking=False, name="Adam"):
        super().__init__(learning_rate, beta_1=beta1, beta_2=beta2, epsilon=epsilon, name=name)


def get_or_create_global_step(graph=None):
    """The graph's int64 step counter, made on first call."""
    from .graph import get_default_graph
    from .variable import Variable
    graph = graph or get_default_graph()
    found = graph.get_collection("global_step")
    if found:
        return found[0]
    with graph.as_default(), graph.control_dependencies(None):
        step = Variable(0, dtype=int64, trainable=False, name="global_step",
                        collections=["variables", "global_step"])
    return step


def get_global_step(graph=None):
    from .graph import get_default_graph
    found = (graph or get_default_graph()).get_collection("global_step")
    return found[0] if found else None
