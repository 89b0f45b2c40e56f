"""gpugrad.distributed's API in one process, without mpiexec: what is
refused, and with which message."""
import pytest

import gpugrad as tf
import gpugrad.distributed as hvd


def test_using_it_before_init_says_to_call_init():
    assert not hvd.is_initialized()
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"call init\(\) before rank"):
        hvd.rank()


@pytest.mark.parametrize("option, value", [("backward_passes_per_step", 4),
                                           ("compression", hvd.Compression.fp16),
                                           ("gradient_predivide_factor", 2.0)])
def test_horovod_options_that_change_the_result_are_refused_not_ignored(option, value):
    with pytest.raises(NotImplementedError, match=f"{option}="):
        hvd.DistributedOptimizer(tf.optimizers.SGD(0.1), **{option: value})
    with pytest.raises(NotImplementedError, match=f"{option}="):
        hvd.DistributedGradientTape(tf.GradientTape(), **{option: value})


def test_horovod_options_at_their_defaults_are_accepted():
    opt = hvd.DistributedOptimizer(tf.optimizers.SGD(0.1), compression=hvd.Compression.none,
                                   backward_passes_per_step=1, sparse_as_dense=True)
    assert isinstance(opt, tf.optimizers.SGD) and float(opt.learning_rate) == pytest.approx(0.1)
    hvd.DistributedGradientTape(tf.GradientTape(), device_dense="/gpu:0")


def test_a_misspelt_option_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'compresion'"):
        hvd.DistributedOptimizer(tf.optimizers.SGD(0.1), compresion=None)


def test_an_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="op must be one of"):
        hvd.DistributedGradientTape(tf.GradientTape(), op="mean")
