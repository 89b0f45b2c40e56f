"""What the optimizer kernels' numpy references share: one variable at a
time, in the compute dtype (float32 for float16), rounded once on store."""
import numpy as np


def per_variable(update, params, grads, *slots):
    """``update(t, p, g, *state) -> (p, *state)`` over every variable; ``t``
    is the compute dtype, a slot list may be None (then its state is None)."""
    for i, (p, g) in enumerate(zip(params, grads)):
        t = np.float64 if p.dtype == np.float64 else np.float32
        state = [None if s is None else s[i].astype(t) for s in slots]
        new = update(t, p.astype(t), g.astype(t), *state)
        p[...] = new[0]
        for s, value in zip(slots, new[1:]):
            if s is not None:
                s[i][...] = value
