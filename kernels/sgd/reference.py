"""sgd in plain numpy, one variable at a time: the oracle for the twins."""
from .._reference import per_variable


def sgd(params, grads, momentums, lr, momentum, nesterov, decay):
    def update(t, p, g, m):
        p = p - p * t(decay)
        if m is None:
            return (p - g * t(lr), None)
        m = m * t(momentum) - g * t(lr)
        p = p + (m * t(momentum) - g * t(lr)) if nesterov else p + m
        return p, m
    per_variable(update, params, grads, momentums)
