"""nadam in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np

from .._reference import per_variable


def _coefficients(lr, beta_1, beta_2, epsilon, step, u_product, decay, dtype=np.float32):
    """Per-launch scalars, in the compute dtype as Keras computes them (unlike
    Adam's, Nadam's 1 - beta is taken in float32 too)."""
    t = np.float64 if dtype == np.float64 else np.float32
    b1, b2, one = t(beta_1), t(beta_2), t(1)
    u_t = b1 * (one - t(0.5) * t(0.96) ** t(step))
    u_next = b1 * (one - t(0.5) * t(0.96) ** t(step + 1))
    up = t(u_product)
    return tuple(float(x) for x in (lr, one - b1, one - b2, epsilon, decay, u_next,
                                    one - up * u_next, one - u_t, one - up, one - b2 ** t(step)))


def nadam(params, grads, m, v, lr, beta_1, beta_2, epsilon, step, u_product, decay):
    dtype = params[0].dtype if params else np.float32
    lr, c1, c2, eps, decay, u_next, d1, one_minus_u, d2, d3 = _coefficients(
        lr, beta_1, beta_2, epsilon, step, u_product, decay, dtype)

    def update(t, p, g, m, v):
        p = p - p * t(decay)
        m = m + (g - m) * t(c1)
        v = v + (g * g - v) * t(c2)
        m_hat = (t(u_next) * m) / t(d1) + (t(one_minus_u) * g) / t(d2)
        return p - (m_hat * t(lr)) / (np.sqrt(v / t(d3)) + t(eps)), m, v
    per_variable(update, params, grads, m, v)
