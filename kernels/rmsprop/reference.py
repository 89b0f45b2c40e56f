"""rmsprop in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np

from .._reference import per_variable


def rmsprop(params, grads, velocities, momentums, average_grads, lr, rho, momentum, epsilon,
            decay):
    def update(t, p, g, v, m, a):
        p = p - p * t(decay)
        v = t(rho) * v + t(1 - rho) * (g * g)
        if a is not None:
            a = t(rho) * a + t(1 - rho) * g
            denominator = v - a * a + t(epsilon)
        else:
            denominator = v + t(epsilon)
        increment = (t(lr) * g) / np.sqrt(denominator)
        if m is not None:
            m = t(momentum) * m + increment
            return p - m, v, m, a
        return p - increment, v, m, a
    per_variable(update, params, grads, velocities, momentums, average_grads)
