"""adagrad in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np


def adagrad(params, grads, accumulators, lr, epsilon, decay):
    lr, eps, decay, *_ = (lr, epsilon, decay)
    for i, (p, g) in enumerate(zip(params, grads)):
        t = np.float64 if p.dtype == np.float64 else np.float32
        pw, gw = p.astype(t), g.astype(t)
        S = [None, None] + [None if s is None else s[i] for s in (accumulators,)]
        S = [s if s is None or s.dtype == t else s.astype(t) for s in S]
        narrow = [None, None] + [None if s is None else s[i] for s in (accumulators,)]
        pw = pw - pw * t(decay)
        aw = S[2] + gw * gw
        S[2][...] = aw
        pw = pw - (t(lr) * gw) / np.sqrt(aw + t(eps))
        p[...] = pw
        for j in range(2, len(S)):  # float16 slots: write the float32 work back
            if narrow[j] is not None and narrow[j] is not S[j]:
                narrow[j][...] = S[j]
