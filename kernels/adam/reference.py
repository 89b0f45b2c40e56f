"""Adam in plain numpy, one variable at a time: the oracle for the twins."""
import math

import numpy as np


def coefficients(lr, beta_1, beta_2, epsilon, step, decay):
    alpha = lr * math.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    return alpha, 1 - beta_1, 1 - beta_2, epsilon, decay


def adam(params, grads, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, decay):
    alpha, c1, c2, eps, dec = coefficients(lr, beta_1, beta_2, epsilon, step, decay)
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
