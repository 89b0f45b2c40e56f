"""sgd in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np


def sgd(params, grads, momentums, lr, momentum, nesterov, decay):
    lr, mu, nesterov, decay, has_m, *_ = (lr, momentum, nesterov, decay, float(momentums is not None))
    for i, (p, g) in enumerate(zip(params, grads)):
        t = np.float64 if p.dtype == np.float64 else np.float32
        pw, gw = p.astype(t), g.astype(t)
        S = [None, None] + [None if s is None else s[i] for s in (momentums,)]
        S = [s if s is None or s.dtype == t else s.astype(t) for s in S]
        narrow = [None, None] + [None if s is None else s[i] for s in (momentums,)]
        pw = pw - pw * t(decay)
        if momentums is not None:
            mw = S[2] * t(mu) - gw * t(lr)
            S[2][...] = mw
            pw = pw + (mw * t(mu) - gw * t(lr)) if nesterov else pw + mw
        else:
            pw = pw - gw * t(lr)
        p[...] = pw
        for j in range(2, len(S)):  # float16 slots: write the float32 work back
            if narrow[j] is not None and narrow[j] is not S[j]:
                narrow[j][...] = S[j]
