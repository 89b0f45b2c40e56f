"""adagrad in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np

from .._reference import per_variable


def adagrad(params, grads, accumulators, lr, epsilon, decay):
    def update(t, p, g, acc):
        p = p - p * t(decay)
        acc = acc + g * g
        return p - (t(lr) * g) / np.sqrt(acc + t(epsilon)), acc
    per_variable(update, params, grads, accumulators)
