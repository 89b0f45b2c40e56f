"""Graph mode: TensorFlow 1's Graph, Session, placeholders, deferred
assignment, control dependencies, initializers and symbolic gradients, over
the same op registry and variables as eager mode."""
from .core import (Graph, GraphTensor, Operation, get_default_graph, reset_default_graph,  # noqa: F401
                   disable_eager_execution, enable_eager_execution, executing_eagerly,
                   name_scope, control_dependencies, placeholder, placeholder_with_default)
from .variables import (GraphVariable, global_variables, trainable_variables,  # noqa: F401
                        variables_initializer, global_variables_initializer,
                        local_variables_initializer, initialize_all_variables)
from .ops import group, no_op, tuple  # noqa: F401
from .session import Session, InteractiveSession, get_default_session  # noqa: F401
from .gradients import gradients  # noqa: F401
