"""nadam on NVIDIA GPUs: one launch per dtype over every tensor's chunks."""
from .._multi_tensor_cuda import run
from .reference import _coefficients


def nadam(params, grads, m, v, lr, beta_1, beta_2, epsilon, step, u_product, decay):
    run(__file__, "nadam", [params, grads, m, v], _coefficients(lr, beta_1, beta_2, epsilon, step, u_product, decay,
                                            params[0].dtype if params else None))
