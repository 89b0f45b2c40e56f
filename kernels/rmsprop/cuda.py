"""rmsprop on NVIDIA GPUs: one launch per dtype over every tensor's chunks."""
from .._multi_tensor_cuda import run


def rmsprop(params, grads, velocities, momentums, average_grads, lr, rho, momentum, epsilon, decay):
    run(__file__, "rmsprop", [params, grads, velocities, momentums, average_grads], (lr, rho, momentum, epsilon, decay, float(momentums is not None), float(average_grads is not None), 1 - rho))
