"""Learning-rate schedules: a function of the optimizer's step (Keras 3's
``keras.optimizers.schedules``)."""
import math

from ..dtypes import float32
from ..tensor import constant


class LearningRateSchedule:
    """Subclass and implement ``value(step) -> float``."""

    def value(self, step):
        raise NotImplementedError

    def __call__(self, step):
        return constant(self.value(int(step)), float32)

    def get_config(self):
        return dict(self._config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be positive, got {decay_steps}")
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                            decay_rate=decay_rate, staircase=staircase, name=name)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, staircase

    def value(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] up to and including boundaries[0], values[1] up to
    boundaries[1], ..., values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name=None):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: {len(boundaries)} boundaries need "
                             f"{len(boundaries) + 1} values, got {len(values)}")
        self._config = dict(boundaries=list(boundaries), values=list(values), name=name)
        self.boundaries, self.values = list(boundaries), list(values)

    def value(self, step):
        for boundary, v in zip(self.boundaries, self.values):
            if step <= boundary:
                return v
        return self.values[-1]


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or, after a linear warm-up of
    ``warmup_steps``, from ``warmup_target``) down to ``alpha`` times it."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be positive, got {decay_steps}")
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                            alpha=alpha, name=name, warmup_target=warmup_target,
                            warmup_steps=warmup_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decay(self, step, start):
        done = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * done))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def value(self, step):
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate)
        if step < self.warmup_steps:
            start = self.initial_learning_rate
            return start + (self.warmup_target - start) * step / self.warmup_steps
        return self._decay(step - self.warmup_steps, self.warmup_target)


_ALL = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule):
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    return _ALL[config["class_name"]].from_config(config["config"])
