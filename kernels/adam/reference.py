"""Adam in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np


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
    for i, (p, g) in enumerate(zip(params, grads)):
        work = np.float64 if p.dtype == np.float64 else np.float32
        t = work
        pw, gw, mw, vw = (a.astype(work) for a in (p, g, m[i], v[i]))
        pw = pw - pw * t(dec)
        mw = mw + (gw - mw) * t(c1)
        vw = vw + (gw * gw - vw) * t(c2)
        denom = vw
        if v_hat is not None:
            denom = np.maximum(v_hat[i].astype(work), vw)
            v_hat[i][...] = denom
        pw = pw - (mw * t(alpha)) / (np.sqrt(denom) + t(eps))
        p[...] = pw
        m[i][...] = mw
        v[i][...] = vw
