"""TensorFlow 1 names, so ``import gpugrad.compat.v1 as tf`` runs TF1 code.

Everything public at gpugrad's top level is here (the TF1 spellings such as
``random_normal``, ``InteractiveSession`` and ``train.AdamOptimizer`` live
there too), plus the few names TensorFlow 2 dropped entirely.
"""
import gpugrad as _gg
from gpugrad import *  # noqa: F401,F403


def to_float(x, name=None):
    return _gg.cast(x, _gg.float32)


def disable_v2_behavior():
    _gg.disable_eager_execution()
