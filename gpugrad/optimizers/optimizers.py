"""The optimizers, each a thin layer over its fused kernel in kernels/.
Names, arguments and defaults are Keras 3's."""
from ..dtypes import float32
from ..variable import Variable
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slots = ("momentum",) if momentum else ()

    def _hyper(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _update(self, backend, params, grads, slots, lr, step, decay):
        backend.kernel("sgd")(params, grads, slots.get("momentum"), lr, self.momentum,
                              self.nesterov, decay)


class Adam(Optimizer):
    """Adam; ``amsgrad=True`` keeps the running maximum of v."""
    _decoupled_default = None

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.amsgrad = bool(amsgrad)
        self.slots = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}

    def _update(self, backend, params, grads, slots, lr, step, decay):
        backend.kernel("adam")(params, grads, slots["momentum"], slots["velocity"],
                               slots.get("velocity_hat"), lr, self.beta_1, self.beta_2,
                               self.epsilon, step, decay)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.004, as in Keras)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay (use Adam for none)")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """RMSprop, with optional momentum and centering."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, bool(centered)
        self.slots = ("velocity",) + (("momentum",) if momentum > 0 else ()) + \
            (("average_gradient",) if centered else ())

    def _hyper(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}

    def _update(self, backend, params, grads, slots, lr, step, decay):
        backend.kernel("rmsprop")(params, grads, slots["velocity"], slots.get("momentum"),
                                  slots.get("average_gradient"), lr, self.rho, self.momentum,
                                  self.epsilon, decay)


class Adagrad(Optimizer):
    """Adagrad: steps shrink with the accumulated squared gradients."""
    slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _initial_slot_value(self, slot):
        return self.initial_accumulator_value

    def _hyper(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}

    def _update(self, backend, params, grads, slots, lr, step, decay):
        backend.kernel("adagrad")(params, grads, slots["accumulator"], lr, self.epsilon, decay)


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running update and gradient RMS."""
    slots = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _hyper(self):
        return {"rho": self.rho, "epsilon": self.epsilon}

    def _update(self, backend, params, grads, slots, lr, step, decay):
        backend.kernel("adadelta")(params, grads, slots["accumulated_grad"],
                                   slots["accumulated_delta_var"], lr, self.rho, self.epsilon,
                                   decay)


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Keras' momentum schedule)."""
    slots = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = Variable(1.0, dtype=float32, trainable=False, name="u_product")

    @property
    def variables(self):
        return super().variables[:2] + [self._u_product] + super().variables[2:]

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False):
        self._stepped = False
        return super().apply_gradients(grads_and_vars, name, skip_gradients_aggregation)

    def _update(self, backend, params, grads, slots, lr, step, decay):
        if not self._stepped:  # once per step, however many groups
            u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** step)
            self._u_product.assign(float(self._u_product.numpy()) * u_t)
            self._stepped = True
        backend.kernel("nadam")(params, grads, slots["momentum"], slots["velocity"], lr,
                                self.beta_1, self.beta_2, self.epsilon, step,
                                float(self._u_product.numpy()), decay)
