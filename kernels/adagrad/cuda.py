"""adagrad on NVIDIA GPUs: one launch per dtype over every tensor's chunks."""
from .._multi_tensor_cuda import run


def adagrad(params, grads, accumulators, lr, epsilon, decay):
    run(__file__, "adagrad", [params, grads, accumulators], (lr, epsilon, decay))
