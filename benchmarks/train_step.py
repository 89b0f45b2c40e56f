"""A whole training step: forward, backward and an Adam update.

The 784-1024-1024-10 ReLU MLP at batch 256 and the 64-128-10 one at batch
64, float32, sparse softmax cross-entropy. Next to gpugrad, in the same run:
the hand-written numpy forward and backward of benchmarks/mlp_step.py
followed by a fused numba Adam over all parameters (the same kernel gpugrad
uses, called directly: the floor), and PyTorch eager with
``torch.optim.Adam(fused=True)`` when installed. Targets, reported and never
asserted: the big network within 1.1x of the numpy step, the small one no
slower than PyTorch.

    python benchmarks/train_step.py [--quick] [--json PATH] [--no-peers]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
from mlp_step import NETS, SETTLE_S, make_data, numpy_step  # noqa: E402

LR = 1e-3


def numpy_train_fn(params, x, labels, adam):
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = [0]

    def run():
        step[0] += 1
        _, grads = numpy_step(params, x, labels)
        adam(params, grads, m, v, None, LR, 0.9, 0.999, 1e-7, step[0], 0.0)
    return run


def gpugrad_train_fn(tf, params_np, x_np, labels_np):
    variables = [tf.Variable(p.copy()) for p in params_np]
    x, labels = tf.constant(x_np), tf.constant(labels_np)
    opt = tf.optimizers.Adam(LR)
    n_layers = len(variables) // 2
    on_gpu = not tf.get_device().startswith("cpu")

    def run():
        with tf.GradientTape() as tape:
            h = x
            for i in range(n_layers):
                z = tf.matmul(h, variables[2 * i]) + variables[2 * i + 1]
                h = tf.nn.relu(z) if i < n_layers - 1 else z
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if on_gpu:
            loss.backend.synchronize()
    return run, variables


def torch_train_fn(torch, params_np, x_np, labels_np):
    import torch.nn.functional as F
    params = [torch.tensor(p.copy(), requires_grad=True) for p in params_np]
    x, labels = torch.tensor(x_np), torch.tensor(labels_np.astype(np.int64))
    opt = torch.optim.Adam(params, lr=LR, eps=1e-7, fused=True)
    n_layers = len(params) // 2

    def run():
        opt.zero_grad(set_to_none=True)
        h = x
        for i in range(n_layers):
            z = h @ params[2 * i] + params[2 * i + 1]
            h = torch.relu(z) if i < n_layers - 1 else z
        F.cross_entropy(h, labels).backward()
        opt.step()
    return run, params


def agreement(tf, torch, params, x, labels, adam):
    """Three steps of each from the same start; the parameters must agree."""
    reference = [p.copy() for p in params]
    run = numpy_train_fn(reference, x, labels, adam)
    others = {"gpugrad": gpugrad_train_fn(tf, params, x, labels)}
    if torch is not None:
        others["torch + Adam(fused)"] = torch_train_fn(torch, params, x, labels)
    for _ in range(3):
        run()
        for fn, _ in others.values():
            fn()
    worst = {}
    for name, (_, values) in others.items():
        got = [np.asarray(v.detach().numpy() if hasattr(v, "detach") else v.numpy()) for v in values]
        worst[name] = max(float(np.max(np.abs(g - r))) / (float(np.max(np.abs(r))) or 1.0)
                          for g, r in zip(got, reference))
        status = "ok" if worst[name] < 1e-4 else "MISMATCH"
        print(f"  {name}: parameters after 3 steps vs numpy + fused Adam: {status} "
              f"(max |diff| / max |param| = {worst[name]:.1e})")
    return worst


def main():
    args = C.parser(__doc__.splitlines()[0]).parse_args()
    tf = C.import_gpugrad()
    from gpugrad.backend import kernels
    adam = kernels.load_module("adam", "cpu").adam
    torch = None if args.no_peers else C.optional("torch")
    env = C.environment(tf)
    if torch is not None:
        torch.set_num_threads(env["numpy_blas_threads"] or 2)
    C.print_environment(env, {"torch": getattr(torch, "__version__", None)})
    repeats, window = (3, 0.1) if args.quick else (9, 0.5)
    results = {"environment": env, "nets": {}}
    for net, spec in NETS.items():
        params, x, labels = make_data(spec["sizes"], spec["batch"])
        cases = {"numpy + fused Adam": numpy_train_fn([p.copy() for p in params], x, labels, adam)}
        run, variables = gpugrad_train_fn(tf, params, x, labels)
        cases["gpugrad"] = run
        if torch is not None:
            cases["torch + Adam(fused)"] = torch_train_fn(torch, params, x, labels)[0]
        agree = agreement(tf, torch, params, x, labels, adam)
        timed = C.time_all(cases, repeats, window, settle=SETTLE_S)
        C.noise_warning(timed)
        ms = {k: t["median_s"] * 1e3 for k, t in timed.items()}
        print(f"{net}: {'-'.join(map(str, spec['sizes']))}, batch {spec['batch']}")
        print(C.table(["ms per training step", "median", "min"],
                      [[k, C.fmt(v, 3), C.fmt(timed[k]["min_s"] * 1e3, 3)] for k, v in ms.items()]))
        vs_numpy = ms["gpugrad"] / ms["numpy + fused Adam"]
        line = f"gpugrad / numpy: {vs_numpy:.2f}x"
        if net == "big":
            line += f" (target <= 1.1: {'met' if vs_numpy <= 1.1 else 'missed'})"
        if "torch + Adam(fused)" in ms:
            vs_torch = ms["gpugrad"] / ms["torch + Adam(fused)"]
            line += f"; gpugrad / torch: {vs_torch:.2f}x"
            if net == "small":
                line += f" (target <= 1: {'met' if vs_torch <= 1 else 'missed'})"
        print(line + "\n")
        results["nets"][net] = {"ms_per_step": ms, "timed": timed,
                                "max_relative_difference_after_3_steps": agree}
    if args.json:
        C.write_json(args.json, results)


if __name__ == "__main__":
    main()
