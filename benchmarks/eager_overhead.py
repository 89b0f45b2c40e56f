"""Per-op eager overhead: microseconds per recorded op.

A chain of 100 elementwise ops on a tiny float32 input, cycling through

    x * c      (c: a constant tensor of x's shape)
    x + 0.5    (a Python scalar)
    sin(x)
    x * 0.75   (a Python float)

on a 0-d and on a 10-element array: the arrays are so small that the time is
almost all framework overhead (dispatch, wrapping, recording, backward
bookkeeping), not arithmetic.

Measured, per op of the chain (total time / 100):

    numpy            the same forward chain on bare numpy arrays (no autodiff)
    gpugrad          no tape; under a GradientTape watching x (fwd); and fwd
                     plus tape.gradient(y, x) (fwd+bwd)
    torch            no_grad; autograd fwd (x.requires_grad); fwd+bwd
                     (torch.autograd.grad)         -- if `import torch` works
    autograd         make_vjp (fwd, traced); fwd+bwd (vjp(ones))
                                                   -- if `import autograd` works

Reports the ratios gpugrad/PyTorch and gpugrad/autograd for fwd+bwd against
the targets (at most 1.5x PyTorch, below autograd); it never asserts them.
gpugrad also runs the chain traced (``tf.function``, fwd and fwd+bwd with a
tape inside): the trace replaces per-op dispatch by one call.

A second part times a 10-op elementwise chain over 1M float32 elements
(LARGE_CHAIN below): numpy op by op, gpugrad eager, gpugrad traced (the
graph passes fuse the chain into one generated kernel), and jax.jit when jax
imports. Target: traced at least 2x faster than eager.

    python benchmarks/eager_overhead.py [--quick] [--json PATH] [--profile]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

N_OPS = 100
SIZES = {"0-d": (), "10": (10,)}
TARGET_VS_TORCH = 1.5     # fwd+bwd gpugrad / PyTorch, at most
TARGET_VS_AUTOGRAD = 1.0  # fwd+bwd gpugrad / autograd, below


def chain(x, c, sin):
    """The 100-op chain, written once for every framework."""
    for _ in range(N_OPS // 4):
        x = x * c
        x = x + 0.5
        x = sin(x)
        x = x * 0.75
    return x


def reference(x0, c):
    """(value, d value / d x) of the chain in float64, elementwise."""
    x = np.asarray(x0, np.float64)
    c = np.asarray(c, np.float64)
    d = np.ones_like(x)
    for _ in range(N_OPS // 4):
        x = x * c
        d = d * c
        x = x + 0.5
        d = d * np.cos(x)
        x = np.sin(x)
        x = x * 0.75
        d = d * 0.75
    return x, d


def inputs(shape):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, size=shape).astype(np.float32)
    c = rng.uniform(0.8, 1.2, size=shape).astype(np.float32)
    return np.asarray(x), np.asarray(c)


# ---------------------------------------------------------------- cases
def numpy_cases(x, c):
    return {("numpy", "fwd"): lambda: chain(x, c, np.sin)}, None


def gpugrad_cases(tf, x_np, c_np):
    x = tf.constant(x_np)
    c = tf.constant(c_np)

    def fwd():
        with tf.GradientTape() as tape:
            tape.watch(x)
            chain(x, c, tf.sin)

    def fwd_bwd():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = chain(x, c, tf.sin)
        return tape.gradient(y, x)

    def check():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = chain(x, c, tf.sin)
        g = tape.gradient(y, x)
        return np.asarray(y), np.asarray(g)

    traced_fwd = tf.function(lambda x: chain(x, c, tf.sin))

    @tf.function
    def traced_fwd_bwd(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = chain(x, c, tf.sin)
        return y, tape.gradient(y, x)

    cases = {("gpugrad", "fwd, no tape"): lambda: chain(x, c, tf.sin),
             ("gpugrad", "fwd"): fwd,
             ("gpugrad", "fwd+bwd"): fwd_bwd,
             ("gpugrad", "traced fwd"): lambda: traced_fwd(x),
             ("gpugrad", "traced fwd+bwd"): lambda: traced_fwd_bwd(x)}
    return cases, check


def torch_cases(torch, x_np, c_np):
    x = torch.tensor(x_np, requires_grad=True)
    x_plain = torch.tensor(x_np)
    c = torch.tensor(c_np)

    def no_grad():
        with torch.no_grad():
            chain(x_plain, c, torch.sin)

    def fwd():
        chain(x, c, torch.sin)

    def fwd_bwd():
        y = chain(x, c, torch.sin)
        return torch.autograd.grad(y, x, torch.ones_like(y))

    def check():
        y = chain(x, c, torch.sin)
        (g,) = torch.autograd.grad(y, x, torch.ones_like(y))
        return y.detach().numpy(), g.numpy()

    cases = {("torch", "fwd, no_grad"): no_grad,
             ("torch", "fwd"): fwd,
             ("torch", "fwd+bwd"): fwd_bwd}
    return cases, check


def autograd_cases(autograd, x, c):
    import autograd.numpy as anp

    def f(v):
        return chain(v, c, anp.sin)

    make = autograd.make_vjp(f)

    def fwd():
        make(x)

    def fwd_bwd():
        vjp, ans = make(x)
        return vjp(np.ones_like(ans))

    def check():
        vjp, ans = make(x)
        return np.asarray(ans), np.asarray(vjp(np.ones_like(ans)))

    cases = {("autograd", "fwd (traced)"): fwd,
             ("autograd", "fwd+bwd"): fwd_bwd}
    return cases, check


# ------------------------------------------------------------------ main
def main(argv=None):
    args = C.parser(__doc__.split("\n")[0]).parse_args(argv)
    tf = C.import_gpugrad()
    torch = None if args.no_peers else C.optional("torch")
    autograd = None if args.no_peers else C.optional("autograd")
    repeats, min_time = (3, 0.05) if args.quick else (9, 0.25)

    env = C.environment(tf)
    peers = {"torch": torch and torch.__version__,
             "autograd": autograd and _version("autograd")}
    if torch is not None:
        env["torch_threads"] = torch.get_num_threads()
    C.print_environment(env, peers)
    if not tf.get_device().startswith("cpu"):
        print(f"note: gpugrad runs on {tf.get_device()}: its column includes kernel launches "
              f"and is not comparable with the CPU peers per op; run with "
              f"GPUGRAD_DEVICE=cpu for the CPU overhead\n")
    print(f"chain of {N_OPS} elementwise float32 ops (x*c, x+0.5, sin, x*0.75); "
          f"{repeats} timing windows of >= {min_time * 1e3:.0f} ms each, median\n")

    results = {"benchmark": "eager_overhead", "quick": args.quick, "environment": env,
               "peers": peers, "n_ops": N_OPS, "repeats": repeats,
               "window_s": min_time, "sizes": {}}
    for label, shape in SIZES.items():
        x, c = inputs(shape)
        ref_y, ref_g = reference(x, c)
        cases, checks = {}, {}
        for name, (more, check) in {
                "numpy": numpy_cases(x, c),
                "gpugrad": gpugrad_cases(tf, x, c),
                "torch": torch_cases(torch, x, c) if torch else ({}, None),
                "autograd": autograd_cases(autograd, x, c) if autograd else ({}, None)}.items():
            cases.update(more)
            if check is not None:
                checks[name] = check
        # every framework computes the same value and gradient (float32 vs float64)
        agreement = {}
        for name, check in checks.items():
            y, g = check()
            ok = np.allclose(y, ref_y, rtol=1e-4, atol=1e-5) and \
                np.allclose(g, ref_g, rtol=1e-3, atol=1e-6)
            agreement[name] = bool(ok)
            if not ok:
                print(f"WARNING: {name} disagrees with the float64 reference on size {label}: "
                      f"value {np.asarray(y).ravel()[:3]} vs {ref_y.ravel()[:3]}, "
                      f"grad {np.asarray(g).ravel()[:3]} vs {ref_g.ravel()[:3]}")
        timed = C.time_all(cases, repeats, min_time)
        noisy = C.noise_warning(timed, f" ({label} array)")
        per_op = {f"{impl}: {mode}": t["median_s"] / N_OPS * 1e6
                  for (impl, mode), t in timed.items()}
        results["sizes"][label] = {
            "shape": list(shape),
            "us_per_op": per_op,
            "spread_us_per_op": {f"{impl}: {mode}": [t["min_s"] / N_OPS * 1e6,
                                                    t["max_s"] / N_OPS * 1e6]
                                 for (impl, mode), t in timed.items()},
            "gradients_agree_with_reference": agreement,
            "noisy": [f"{impl}: {mode}" for impl, mode in noisy],
        }

    # ----------------------------------------------------------- report
    labels = list(SIZES)
    keys = list(results["sizes"][labels[0]]["us_per_op"])
    rows = [[k] + [C.fmt(v) for l in labels for v in (
                results["sizes"][l]["us_per_op"].get(k),
                results["sizes"][l]["spread_us_per_op"][k][0])]
            for k in keys]
    print(C.table(["us per op"] + [f"{l} {w}" for l in labels for w in ("median", "min")], rows))
    print()

    ratio_rows = []
    summary = {}
    for l in labels:
        us = results["sizes"][l]["us_per_op"]
        g_fb = us.get("gpugrad: fwd+bwd")
        s = {
            "gpugrad fwd / numpy fwd": C.ratio(us.get("gpugrad: fwd"), us.get("numpy: fwd")),
            "gpugrad fwd+bwd / torch fwd+bwd": C.ratio(g_fb, us.get("torch: fwd+bwd")),
            "gpugrad fwd+bwd / autograd fwd+bwd": C.ratio(g_fb, us.get("autograd: fwd+bwd")),
            "gpugrad fwd / torch fwd": C.ratio(us.get("gpugrad: fwd"), us.get("torch: fwd")),
            "gpugrad fwd / autograd fwd": C.ratio(us.get("gpugrad: fwd"),
                                                  us.get("autograd: fwd (traced)")),
            "gpugrad traced fwd+bwd / gpugrad fwd+bwd": C.ratio(us.get("gpugrad: traced fwd+bwd"),
                                                                g_fb),
            "gpugrad traced fwd+bwd / torch fwd+bwd": C.ratio(us.get("gpugrad: traced fwd+bwd"),
                                                              us.get("torch: fwd+bwd")),
        }
        summary[l] = s
    for name in summary[labels[0]]:
        target = {"gpugrad fwd+bwd / torch fwd+bwd": f"<= {TARGET_VS_TORCH}",
                  "gpugrad fwd+bwd / autograd fwd+bwd": f"< {TARGET_VS_AUTOGRAD}"}.get(name, "")
        verdicts = []
        for l in labels:
            r = summary[l][name]
            if target and r is not None:
                ok = r <= TARGET_VS_TORCH if "torch" in name else r < TARGET_VS_AUTOGRAD
                verdicts.append("met" if ok else "missed")
        ratio_rows.append([name] + [C.fmt(summary[l][name], 2, "x") for l in labels]
                          + [target or "-", ", ".join(verdicts) or "-"])
    print(C.table(["ratio"] + [f"{l} array" for l in labels] + ["target", "verdict"], ratio_rows))
    print()
    results["ratios"] = summary
    results["targets"] = {"gpugrad fwd+bwd / torch fwd+bwd": {"at_most": TARGET_VS_TORCH},
                          "gpugrad fwd+bwd / autograd fwd+bwd": {"below": TARGET_VS_AUTOGRAD}}
    if torch is None or autograd is None:
        print("(a missing peer leaves its ratios as '-')\n")

    results["large_chain"] = large_chain(tf, repeats, min_time)

    if args.profile:
        x, c = inputs(SIZES["10"])
        cases, _ = gpugrad_cases(tf, x, c)
        results["profile"] = {}
        for mode in ("fwd", "fwd+bwd"):
            print(f"cProfile: gpugrad {mode}, 10-element chain, own time (tottime) first")
            results["profile"][mode] = C.profile(cases[("gpugrad", mode)],
                                                 calls=100 if args.quick else 400,
                                                 units_per_call=N_OPS, unit="op")
    if args.json:
        C.write_json(args.json, results)
    return results


LARGE_ELEMENTS = 1 << 20
TARGET_TRACED_VS_EAGER = 2.0   # eager / traced on the large chain, at least


def large_chain(tf, repeats, min_time):
    """The 10-op chain over 1M elements: numpy, gpugrad eager and traced,
    jax.jit when installed. Returns the timings and the speed-up."""
    def chain10(x, c, m):
        y = x * c
        y = y + 0.5
        y = m.tanh(y)
        y = y * y
        y = m.maximum(y, 0.1)
        y = y - x
        y = m.exp(y * -0.5)
        y = y * c
        y = m.minimum(y, 2.0)
        return y + x

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(LARGE_ELEMENTS).astype(np.float32)
    c_np = rng.standard_normal(LARGE_ELEMENTS).astype(np.float32)
    x, c = tf.constant(x_np), tf.constant(c_np)

    class TfMath:
        tanh, maximum, exp, minimum = tf.tanh, tf.maximum, tf.exp, tf.minimum
    traced = tf.function(lambda x, c: chain10(x, c, TfMath))
    on_gpu = not tf.get_device().startswith("cpu")

    def gpugrad_run(fn):
        def run():
            y = fn(x, c)
            if on_gpu:
                y.backend.synchronize()
            return y
        return run
    cases = {"numpy, op by op": lambda: chain10(x_np, c_np, np),
             "gpugrad eager": gpugrad_run(lambda x, c: chain10(x, c, TfMath)),
             "gpugrad traced": gpugrad_run(traced)}
    expected = chain10(x_np, c_np, np)
    worst = float(np.max(np.abs(traced(x, c).numpy() - expected)))
    jax = C.optional("jax")
    if jax is not None:
        import jax.numpy as jnp
        jitted = jax.jit(lambda x, c: chain10(x, c, jnp))
        xj, cj = jnp.asarray(x_np), jnp.asarray(c_np)
        jitted(xj, cj).block_until_ready()
        cases["jax.jit"] = lambda: jitted(xj, cj).block_until_ready()
    timed = C.time_all(cases, repeats, min_time)
    ms = {k: t["median_s"] * 1e3 for k, t in timed.items()}
    print(f"10-op elementwise chain over {LARGE_ELEMENTS} float32 elements "
          f"(traced vs numpy: max |diff| {worst:.1e})")
    print(C.table(["ms per chain", "median", "min"],
                  [[k, C.fmt(v, 3), C.fmt(timed[k]["min_s"] * 1e3, 3)] for k, v in ms.items()]))
    speedup = ms["gpugrad eager"] / ms["gpugrad traced"]
    line = (f"gpugrad eager / traced: {speedup:.2f}x (target >= {TARGET_TRACED_VS_EAGER:g}: "
            f"{'met' if speedup >= TARGET_TRACED_VS_EAGER else 'missed'})")
    if "jax.jit" in ms:
        line += f"; gpugrad traced / jax.jit: {ms['gpugrad traced'] / ms['jax.jit']:.2f}x"
    print(line + "\n")
    return {"ms": ms, "eager_over_traced": speedup, "max_abs_diff_vs_numpy": worst,
            "target_at_least": TARGET_TRACED_VS_EAGER}


def _version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return "installed"


if __name__ == "__main__":
    main()
