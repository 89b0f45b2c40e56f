"""One training step (forward + backward, no update) of a ReLU MLP.

Two networks, float32, sparse softmax cross-entropy averaged over the batch:

    big    784-1024-1024-10, batch 256   (BLAS time dominates)
    small  64-128-10,        batch 64    (per-op overhead dominates)

Measured, in ms per step:

    numpy             a hand-written forward and backward of the same network:
                      the floor a numpy-based library starts from (no autodiff,
                      in-place where it saves a pass, no gradient for the input)
    gpugrad (+ b)     tf.matmul(h, W) + b, tf.nn.relu, reduce_mean of
                      tf.nn.sparse_softmax_cross_entropy_with_logits, under a
                      GradientTape; tape.gradient(loss, [W1, b1, W2, b2, ...])
    gpugrad (bias_add) the same with tf.nn.bias_add(tf.matmul(h, W), b)
    gpugrad graph     the (+ b) step in graph mode: placeholders, tf.gradients,
                      built once; one Session.run per step (target: faster
                      than the eager step, for both nets)
    gpugrad traced    the (+ b) step in a ``tf.function`` (tape inside,
                      returns the loss and gradients): traced once, then one
                      call per step through the graph passes
    torch             h @ W + b, relu, F.cross_entropy, torch.autograd.grad,
                      with torch.set_num_threads(numpy's BLAS threads), in a
                      child process of its own -- if torch is installed

Before timing, gpugrad's loss and gradients are checked against the numpy
ones (np.allclose). gpugrad runs on tf.get_device(); when that is a GPU the
numpy baseline still runs on the CPU (both are reported; the ratio is then a
GPU-vs-CPU comparison, not an overhead measure).

PyTorch is checked and timed in a child process, one per network, right
after the numpy and gpugrad cases (``--same-process-peers`` times it in this
process instead): its OpenMP workers keep spinning after each op, and in one
process they take the CPU from numpy's BLAS threads and numba's pool.

Reports gpugrad/numpy (target for the big net: at most 1.1x) and
gpugrad/PyTorch; it never asserts them.

    python benchmarks/mlp_step.py [--quick] [--json PATH] [--profile] [--no-peers]
                                  [--same-process-peers]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

NETS = {
    "big": {"sizes": (784, 1024, 1024, 10), "batch": 256},
    "small": {"sizes": (64, 128, 10), "batch": 64},
}
TARGET_BIG_VS_NUMPY = 1.1
# idle time before each timing window: lets OpenBLAS's and PyTorch's OpenMP
# spinning threads go to sleep before the other library's pool starts
SETTLE_S = 0.2


def make_data(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        b = (rng.standard_normal(fan_out) * 0.1).astype(np.float32)
        params += [w, b]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], size=batch).astype(np.int32)
    return params, x, labels


def mlp_loss(tf, variables, x, labels):
    """The (+ b) network's mean cross-entropy, written once for every
    gpugrad variant: eager, graph, traced."""
    n_layers = len(variables) // 2
    h = x
    for i in range(n_layers):
        z = tf.matmul(h, variables[2 * i]) + variables[2 * i + 1]
        h = tf.nn.relu(z) if i < n_layers - 1 else z
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))


# ------------------------------------------------------------------ numpy
def numpy_step(params, x, labels):
    """Loss and [dW1, db1, ...] by hand: each pass over the data done once.

    Forward keeps each layer's post-ReLU activation (its own mask); the loss
    reuses the shifted logits' exp for the softmax; backward forms dlogits in
    place and masks each hidden gradient in place.
    """
    n_layers = len(params) // 2
    batch = x.shape[0]
    acts = [x]
    h = x
    for i in range(n_layers):
        w, b = params[2 * i], params[2 * i + 1]
        z = h @ w
        z += b
        if i < n_layers - 1:
            np.maximum(z, 0, out=z)
        acts.append(z)
        h = z
    logits = h                       # (batch, classes), ours to overwrite
    rows = np.arange(batch)
    logits -= logits.max(axis=1, keepdims=True)
    picked = logits[rows, labels]    # a copy (fancy indexing)
    np.exp(logits, out=logits)
    total = logits.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - picked)
    logits /= total                  # softmax
    logits[rows, labels] -= 1.0
    logits *= np.float32(1.0 / batch)
    g = logits                       # dloss/dlogits
    grads = [None] * len(params)
    for i in reversed(range(n_layers)):
        w, a = params[2 * i], acts[i]
        grads[2 * i] = a.T @ g
        grads[2 * i + 1] = g.sum(axis=0)
        if i > 0:
            g = g @ w.T
            np.multiply(g, a > 0, out=g)   # ReLU: a is the layer's output
    return loss, grads


# ---------------------------------------------------------------- gpugrad
def gpugrad_step_fn(tf, params_np, x_np, labels_np, bias_add):
    variables = [tf.Variable(p, name=f"{'Wb'[i % 2]}{i // 2 + 1}")
                 for i, p in enumerate(params_np)]
    x = tf.constant(x_np)
    labels = tf.constant(labels_np)
    n_layers = len(variables) // 2
    on_gpu = not tf.get_device().startswith("cpu")

    def step():
        with tf.GradientTape() as tape:
            h = x
            for i in range(n_layers):
                w, b = variables[2 * i], variables[2 * i + 1]
                z = tf.nn.bias_add(tf.matmul(h, w), b) if bias_add else tf.matmul(h, w) + b
                h = tf.nn.relu(z) if i < n_layers - 1 else z
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
        grads = tape.gradient(loss, variables)
        if on_gpu:
            loss.backend.synchronize()
        return loss, grads

    return step


def gpugrad_traced_step_fn(tf, params_np, x_np, labels_np):
    """The (+ b) step traced with ``tf.function``."""
    variables = [tf.Variable(p) for p in params_np]
    x, labels = tf.constant(x_np), tf.constant(labels_np)
    on_gpu = not tf.get_device().startswith("cpu")

    @tf.function
    def traced(x, labels):
        with tf.GradientTape() as tape:
            loss = mlp_loss(tf, variables, x, labels)
        return loss, tape.gradient(loss, variables)

    def step():
        loss, grads = traced(x, labels)
        if on_gpu:
            loss.backend.synchronize()
        return loss, grads
    return step


def gpugrad_graph_step_fn(tf, params_np, x_np, labels_np):
    """The same step in graph mode: built once (placeholders with an unknown
    batch, as TensorFlow 1 code writes them), then one ``sess.run`` per step
    fetching the loss and every gradient."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, x_np.shape[1]], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        variables = [tf.Variable(p) for p in params_np]
        loss = mlp_loss(tf, variables, x, labels)
        grads = tf.gradients(loss, variables)
        graph.finalize()
    sess = tf.Session(graph=graph)
    sess.run([v.initializer for v in variables])
    fetches, feed = [loss, grads], {x: x_np, labels: labels_np}

    def step():
        return sess.run(fetches, feed)
    return step


# ------------------------------------------------------------------ torch
def torch_step_fn(torch, params_np, x_np, labels_np, device):
    import torch.nn.functional as F
    params = [torch.tensor(p, device=device, requires_grad=True) for p in params_np]
    x = torch.tensor(x_np, device=device)
    labels = torch.tensor(labels_np.astype(np.int64), device=device)
    n_layers = len(params) // 2
    sync = torch.cuda.synchronize if device == "cuda" else None

    def step():
        h = x
        for i in range(n_layers):
            z = h @ params[2 * i] + params[2 * i + 1]
            h = torch.relu(z) if i < n_layers - 1 else z
        loss = F.cross_entropy(h, labels)
        grads = torch.autograd.grad(loss, params)
        if sync is not None:
            sync()
        return loss, grads

    return step


# ------------------------------------------------------------------- main
def check(name, loss, grads, ref_loss, ref_grads):
    """allclose against numpy; returns (ok, worst relative difference)."""
    worst = abs(float(loss) - float(ref_loss)) / max(abs(float(ref_loss)), 1e-12)
    ok = np.allclose(float(loss), float(ref_loss), rtol=1e-5, atol=1e-6)
    for g, r in zip(grads, ref_grads):
        g = np.asarray(g)
        scale = float(np.max(np.abs(r))) or 1.0
        worst = max(worst, float(np.max(np.abs(g - r))) / scale)
        ok = ok and g.shape == r.shape and np.allclose(g, r, rtol=1e-4, atol=1e-5 * scale)
    status = "ok" if ok else "MISMATCH"
    print(f"  {name}: loss and {len(grads)} gradients vs numpy: {status} "
          f"(max |diff| / max |grad| = {worst:.1e})")
    return ok, worst


def torch_checked_step(torch, params, x, labels, device):
    """PyTorch's step for one net, its gradients checked against numpy's:
    (step, case name, agrees)."""
    fn = torch_step_fn(torch, params, x, labels, device)
    name = f"torch ({device})"
    ref_loss, ref_grads = numpy_step(params, x, labels)
    loss, grads = fn()
    ok = check(name, loss.item(), [g.cpu().numpy() for g in grads], ref_loss, ref_grads)[0]
    return fn, name, ok


def torch_worker(task, arrays):
    """In the child process: PyTorch's check and timing for one net."""
    import torch
    torch.set_num_threads(task["threads"])
    device = "cuda" if task["gpu"] and torch.cuda.is_available() else "cpu"
    spec = NETS[task["net"]]
    params, x, labels = make_data(spec["sizes"], spec["batch"])
    fn, name, ok = torch_checked_step(torch, params, x, labels, device)
    timed = C.time_all({name: fn}, task["repeats"], task["min_time"], settle=SETTLE_S)
    return {"timed": timed, "agree": {name: ok}, "torch_threads": torch.get_num_threads(),
            "torch_device": device}


def main(argv=None):
    args = C.parser(__doc__.split("\n")[0], peer_process=True).parse_args(argv)
    if args.peer_worker:
        return C.peer_worker(args.peer_worker, torch_worker)
    tf = C.import_gpugrad()
    in_process = args.same_process_peers
    torch = None if args.no_peers or not in_process else C.optional("torch")
    torch_version = (None if args.no_peers else
                     torch and torch.__version__ if in_process else
                     C.installed_version("torch"))
    repeats, min_time = (3, 0.1) if args.quick else (9, 0.5)

    env = C.environment(tf)
    threads = env["numpy_blas_threads"]
    device = tf.get_device()
    on_gpu = not device.startswith("cpu")
    torch_device = "cpu"
    peers = {"torch": torch_version}
    if torch is not None:
        torch.set_num_threads(threads)
        if on_gpu and torch.cuda.is_available():
            torch_device = "cuda"
        env["torch_threads"] = torch.get_num_threads()
        env["torch_device"] = torch_device
    C.print_environment(env, peers)
    if torch_version and not in_process:
        print(C.peer_process_note("network"))
    if torch_version and not in_process:
        torch_device = "cuda if torch has CUDA" if on_gpu else "cpu"
    print(f"gpugrad device: {device}; numpy baseline: cpu (BLAS threads {threads})"
          + (f"; torch: {torch_device}, torch.set_num_threads({threads}) to match numpy's BLAS"
             if torch_version else ""))
    if on_gpu:
        print("gpugrad runs on the GPU and numpy on the CPU: gpugrad/numpy compares devices, "
              "not overhead (GPUGRAD_DEVICE=cpu gives the overhead measure)")
    print(f"{repeats} timing windows of >= {min_time * 1e3:.0f} ms each, round-robin with "
          f"{SETTLE_S * 1e3:.0f} ms idle before each, median; "
          f"a step is forward + backward (gradients of all weights and biases), no update\n")

    results = {"benchmark": "mlp_step", "quick": args.quick, "environment": env,
               "peers": peers, "peers_in_own_process": not in_process, "repeats": repeats,
               "window_s": min_time, "settle_s": SETTLE_S, "nets": {}}
    steps = {}
    for net, spec in NETS.items():
        sizes, batch = spec["sizes"], spec["batch"]
        params, x, labels = make_data(sizes, batch)
        print(f"{net}: {'-'.join(map(str, sizes))} ReLU MLP, batch {batch}, float32")
        ref_loss, ref_grads = numpy_step(params, x, labels)
        cases = {"numpy (cpu)": lambda p=params, x=x, y=labels: numpy_step(p, x, y)}
        agree = {}
        for label, bias_add in (("gpugrad (+ b)", False), ("gpugrad (bias_add)", True)):
            fn = gpugrad_step_fn(tf, params, x, labels, bias_add)
            name = f"{label} ({device})"
            agree[name] = check(name, *fn(), ref_loss, ref_grads)[0]
            cases[name] = fn
        fn = gpugrad_graph_step_fn(tf, params, x, labels)
        name = f"gpugrad graph, sess.run ({device})"
        agree[name] = check(name, *fn(), ref_loss, ref_grads)[0]
        cases[name] = fn
        fn = gpugrad_traced_step_fn(tf, params, x, labels)
        name = f"gpugrad traced, tf.function ({device})"
        agree[name] = check(name, *fn(), ref_loss, ref_grads)[0]
        cases[name] = fn
        if torch is not None:
            fn, name, agree[name] = torch_checked_step(torch, params, x, labels, torch_device)
            cases[name] = fn
        steps[net] = cases
        timed = C.time_all(cases, repeats, min_time, settle=SETTLE_S)
        if torch_version and not in_process:
            peer = C.run_peer_process(__file__, {"net": net, "threads": threads, "gpu": on_gpu,
                                                 "repeats": repeats, "min_time": min_time})
            if "unavailable" in peer:
                print(f"  torch does not import in its process ({peer['unavailable']}): "
                      "column skipped")
            else:
                timed.update(peer["timed"])
                agree.update(peer["agree"])
                torch_device = env["torch_device"] = peer["torch_device"]
                env["torch_threads"] = peer["torch_threads"]
        noisy = C.noise_warning(timed)
        ms = {k: t["median_s"] * 1e3 for k, t in timed.items()}
        results["nets"][net] = {
            "sizes": list(sizes), "batch": batch,
            "ms_per_step": ms,
            "spread_ms": {k: [t["min_s"] * 1e3, t["max_s"] * 1e3] for k, t in timed.items()},
            "steps_per_window": {k: t["calls"] for k, t in timed.items()},
            "gradients_agree_with_numpy": agree,
            "noisy": noisy,
        }
        print()

    # ----------------------------------------------------------- report
    names = list(results["nets"]["big"]["ms_per_step"])
    rows = [[k] + [C.fmt(v, 3) for n in NETS for v in (
                results["nets"][n]["ms_per_step"].get(k), results["nets"][n]["spread_ms"][k][0])]
            for k in names]
    print(C.table(["ms per step"] + [f"{n} net {w}" for n in NETS for w in ("median", "min")],
                  rows))
    print()

    ratio_rows = []
    summary = {}
    torch_name = f"torch ({torch_device})"
    for n in NETS:
        ms = results["nets"][n]["ms_per_step"]
        numpy_ms = ms["numpy (cpu)"]
        s = {}
        for k in names:
            if k.startswith("gpugrad"):
                s[f"{k} / numpy"] = C.ratio(ms[k], numpy_ms)
                if torch_name in ms:
                    s[f"{k} / torch"] = C.ratio(ms[k], ms[torch_name])
                s[f"{k} - numpy, us per step"] = (ms[k] - numpy_ms) * 1e3
        if torch_name in ms:
            s["torch / numpy"] = C.ratio(ms[torch_name], numpy_ms)
        s["gpugrad graph / gpugrad eager (+ b)"] = C.ratio(
            ms[f"gpugrad graph, sess.run ({device})"], ms[f"gpugrad (+ b) ({device})"])
        s["gpugrad traced / gpugrad eager (+ b)"] = C.ratio(
            ms[f"gpugrad traced, tf.function ({device})"], ms[f"gpugrad (+ b) ({device})"])
        summary[n] = s
    for key in summary["big"]:
        is_us = key.endswith("us per step")
        target = f"<= {TARGET_BIG_VS_NUMPY} (big)" if key.endswith("/ numpy") and \
            key.startswith("gpugrad") and not on_gpu else "-"
        verdict = "-"
        if target != "-" and summary["big"][key] is not None:
            verdict = "met" if summary["big"][key] <= TARGET_BIG_VS_NUMPY else "missed"
        if key.startswith("gpugrad graph /") or key.startswith("gpugrad traced /"):
            target = "< 1 (both)"
            verdict = "met" if all((summary[n][key] or 9) < 1 for n in NETS) else "missed"
        ratio_rows.append([key] + [C.fmt(summary[n].get(key), 0 if is_us else 2,
                                         "" if is_us else "x") for n in NETS]
                          + [target, verdict])
    print(C.table(["ratio"] + [f"{n} net" for n in NETS] + ["target", "verdict"], ratio_rows))
    print()
    results["ratios"] = summary
    results["targets"] = {"gpugrad / numpy, big net": {"at_most": TARGET_BIG_VS_NUMPY,
                                                        "applies": not on_gpu}}

    if args.profile:
        results["profile"] = {}
        for net, calls in (("small", 300 if args.quick else 1000), ("big", 5 if args.quick else 20)):
            name = f"gpugrad (+ b) ({device})"
            print(f"cProfile: {name}, {net} net, own time (tottime) first")
            results["profile"][net] = C.profile(steps[net][name], calls, unit="step")
    if args.json:
        C.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
