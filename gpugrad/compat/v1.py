"""TensorFlow 1 names, so ``import gpugrad.compat.v1 as tf`` runs TF1 code.

Everything public at gpugrad's top level is here too, plus the TF1-only
spellings (``random_normal``, ``train.AdamOptimizer``, ...).
"""
import gpugrad as _gg
from gpugrad import *  # noqa: F401,F403
from gpugrad import (Session, placeholder, placeholder_with_default, Variable, assign,  # noqa: F401
                     assign_add, assign_sub, get_default_graph, reset_default_graph,
                     global_variables_initializer, variables_initializer, global_variables,
                     trainable_variables, local_variables_initializer, initialize_all_variables,
                     gradients, group, no_op, tuple, control_dependencies, name_scope,
                     disable_eager_execution, enable_eager_execution, executing_eagerly,
                     get_default_session, train, errors, nn, random, math, linalg)
from gpugrad.random import normal as random_normal, uniform as random_uniform  # noqa: F401
from gpugrad.random import truncated_normal, set_seed as set_random_seed  # noqa: F401
from gpugrad.graph import GraphVariable as _GraphVariable  # noqa: F401

from gpugrad.graph import InteractiveSession  # noqa: F401
log = _gg.log


def to_float(x, name=None):
    return _gg.cast(x, _gg.float32)


def disable_v2_behavior():
    disable_eager_execution()
