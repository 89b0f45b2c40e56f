"""sgd on NVIDIA GPUs: one launch per dtype over every tensor's chunks."""
from .._multi_tensor_cuda import run


def sgd(params, grads, momentums, lr, momentum, nesterov, decay):
    run(__file__, "sgd", [params, grads, momentums], (lr, momentum, float(bool(nesterov)), decay, float(momentums is not None)))
