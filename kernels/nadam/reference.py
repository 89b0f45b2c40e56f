"""nadam in plain numpy, one variable at a time: the oracle for the twins."""
import numpy as np


def _coefficients(lr, beta_1, beta_2, epsilon, step, u_product, decay, dtype=np.float32):
    """Per-launch scalars, in the compute dtype as Keras computes them (unlike
    Adam's, Nadam's 1 - beta is taken in float32 too)."""
    t = np.float64 if dtype == np.float64 else np.float32
    b1, b2, one = t(beta_1), t(beta_2), t(1)
    u_t = b1 * (one - t(0.5) * t(0.96) ** t(step))
    u_next = b1 * (one - t(0.5) * t(0.96) ** t(step + 1))
    up = t(u_product)
    return tuple(float(x) for x in (lr, one - b1, one - b2, epsilon, decay, u_next,
                                    one - up * u_next, one - u_t, one - up, one - b2 ** t(step)))


def nadam(params, grads, m, v, lr, beta_1, beta_2, epsilon, step, u_product, decay):
    lr, c1, c2, eps, decay, u_next, d1, one_minus_u, d2, d3, *_ = _coefficients(lr, beta_1, beta_2, epsilon, step, u_product, decay,
                                   params[0].dtype if params else np.float32)
    for i, (p, g) in enumerate(zip(params, grads)):
        t = np.float64 if p.dtype == np.float64 else np.float32
        pw, gw = p.astype(t), g.astype(t)
        S = [None, None] + [None if s is None else s[i] for s in (m, v,)]
        S = [s if s is None or s.dtype == t else s.astype(t) for s in S]
        narrow = [None, None] + [None if s is None else s[i] for s in (m, v,)]
        pw = pw - pw * t(decay)
        mw = S[2] + (gw - S[2]) * t(c1)
        vw = S[3] + (gw * gw - S[3]) * t(c2)
        S[2][...] = mw
        S[3][...] = vw
        m_hat = (t(u_next) * mw) / t(d1) + (t(one_minus_u) * gw) / t(d2)
        pw = pw - (m_hat * t(lr)) / (np.sqrt(vw / t(d3)) + t(eps))
        p[...] = pw
        for j in range(2, len(S)):  # float16 slots: write the float32 work back
            if narrow[j] is not None and narrow[j] is not S[j]:
                narrow[j][...] = S[j]
