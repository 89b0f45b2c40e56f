"""adadelta in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np


def adadelta(params, grads, accumulated_grads, accumulated_deltas, lr, rho, epsilon, decay):
    lr, rho, eps, decay, *_ = (lr, rho, epsilon, decay)
    for i, (p, g) in enumerate(zip(params, grads)):
        t = np.float64 if p.dtype == np.float64 else np.float32
        pw, gw = p.astype(t), g.astype(t)
        S = [None, None] + [None if s is None else s[i] for s in (accumulated_grads, accumulated_deltas,)]
        S = [s if s is None or s.dtype == t else s.astype(t) for s in S]
        narrow = [None, None] + [None if s is None else s[i] for s in (accumulated_grads, accumulated_deltas,)]
        pw = pw - pw * t(decay)
        agw = t(rho) * S[2] + t(1 - rho) * (gw * gw)
        S[2][...] = agw
        delta = -(np.sqrt(S[3] + t(eps)) * gw) / np.sqrt(agw + t(eps))
        S[3][...] = t(rho) * S[3] + t(1 - rho) * (delta * delta)
        pw = pw + t(lr) * delta
        p[...] = pw
        for j in range(2, len(S)):  # float16 slots: write the float32 work back
            if narrow[j] is not None and narrow[j] is not S[j]:
                narrow[j][...] = S[j]
