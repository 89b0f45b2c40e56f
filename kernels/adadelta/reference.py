"""adadelta in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np

from .._reference import per_variable


def adadelta(params, grads, accumulated_grads, accumulated_deltas, lr, rho, epsilon, decay):
    def update(t, p, g, ag, ad):
        p = p - p * t(decay)
        ag = t(rho) * ag + t(1 - rho) * (g * g)
        delta = -(np.sqrt(ad + t(epsilon)) * g) / np.sqrt(ag + t(epsilon))
        ad = t(rho) * ad + t(1 - rho) * (delta * delta)
        return p + t(lr) * delta, ag, ad
    per_variable(update, params, grads, accumulated_grads, accumulated_deltas)
