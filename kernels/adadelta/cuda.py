"""adadelta on NVIDIA GPUs: one launch per dtype over every tensor's chunks."""
from .._multi_tensor_cuda import run


def adadelta(params, grads, accumulated_grads, accumulated_deltas, lr, rho, epsilon, decay):
    run(__file__, "adadelta", [params, grads, accumulated_grads, accumulated_deltas], (lr, rho, epsilon, decay, 1 - rho))
