"""Adam in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np

from .._reference import per_variable


def coefficients(lr, beta_1, beta_2, epsilon, step, decay, dtype):
    """The per-launch scalars. As in Keras, the bias corrections are computed
    in the compute dtype (float32 for float16/32): 1 - 0.999**t rounds
    differently in float32, and over 100 steps that shows."""
    t = np.float64 if dtype == np.float64 else np.float32
    b1_power, b2_power = t(beta_1) ** t(step), t(beta_2) ** t(step)
    alpha = t(lr) * np.sqrt(t(1) - b2_power) / (t(1) - b1_power)
    return float(alpha), 1 - beta_1, 1 - beta_2, epsilon, decay


def adam(params, grads, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, decay):
    alpha, c1, c2, eps, dec = coefficients(lr, beta_1, beta_2, epsilon, step, decay,
                                           params[0].dtype if params else np.float32)

    def update(t, p, g, m, v, vh):
        p = p - p * t(dec)
        m = m + (g - m) * t(c1)
        v = v + (g * g - v) * t(c2)
        if vh is not None:
            vh = np.maximum(vh, v)
        return p - (m * t(alpha)) / (np.sqrt(v if vh is None else vh) + t(eps)), m, v, vh
    per_variable(update, params, grads, m, v, v_hat)
