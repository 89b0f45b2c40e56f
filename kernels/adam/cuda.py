"""Adam on NVIDIA GPUs: one launch per dtype over every tensor's chunks."""
from .._multi_tensor_cuda import run
from .reference import coefficients


def adam(params, grads, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, decay):
    dtype = params[0].dtype if params else None
    hyper = coefficients(lr, beta_1, beta_2, epsilon, step, decay, dtype) + (float(v_hat is not None),)
    run(__file__, "adam", [params, grads, m, v, v_hat], hyper)
