"""rmsprop in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np


def rmsprop(params, grads, velocities, momentums, average_grads, lr, rho, momentum, epsilon, decay):
    lr, rho, mu, eps, decay, has_m, centered, *_ = (lr, rho, momentum, epsilon, decay, float(momentums is not None), float(average_grads is not None))
    for i, (p, g) in enumerate(zip(params, grads)):
        t = np.float64 if p.dtype == np.float64 else np.float32
        pw, gw = p.astype(t), g.astype(t)
        S = [None, None] + [None if s is None else s[i] for s in (velocities, momentums, average_grads,)]
        S = [s if s is None or s.dtype == t else s.astype(t) for s in S]
        narrow = [None, None] + [None if s is None else s[i] for s in (velocities, momentums, average_grads,)]
        pw = pw - pw * t(decay)
        vw = t(rho) * S[2] + t(1 - rho) * (gw * gw)
        S[2][...] = vw
        if average_grads is not None:
            aw = t(rho) * S[4] + t(1 - rho) * gw
            S[4][...] = aw
            den = vw - aw * aw + t(eps)
        else:
            den = vw + t(eps)
        inc = (t(lr) * gw) / np.sqrt(den)
        if momentums is not None:
            mw = t(mu) * S[3] + inc
            S[3][...] = mw
            pw = pw - mw
        else:
            pw = pw - inc
        p[...] = pw
        for j in range(2, len(S)):  # float16 slots: write the float32 work back
            if narrow[j] is not None and narrow[j] is not S[j]:
                narrow[j][...] = S[j]
