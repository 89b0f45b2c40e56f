"""A whole training step: forward, backward and an Adam update.

The 784-1024-1024-10 ReLU MLP at batch 256 and the 64-128-10 one at batch
64, float32, sparse softmax cross-entropy. Next to gpugrad, in the same run:
the hand-written numpy forward and backward of benchmarks/mlp_step.py
followed by a fused numba Adam over all parameters (the same kernel gpugrad
uses, called directly: the floor), PyTorch eager with
``torch.optim.Adam(fused=True)`` when installed, and the whole step as one
``jax.jit`` function when jax imports (the compiled-step peer: the gap a
traced gpugrad step has to close). gpugrad runs twice: eager
(GradientTape + apply_gradients) and in graph mode (the step built once with
placeholders and ``minimize``, one ``Session.run(train_op)`` per step).
Targets, reported and never asserted: the big network within 1.1x of the
numpy step, the small one no slower than PyTorch.

PyTorch is timed in a child process of its own (``--same-process-peers``
times it in this one): its OpenMP workers keep spinning after each op, and in
one process they take the CPU from numpy's BLAS threads and numba's pool.

Before timing, three steps of gpugrad and of PyTorch from the same start are
checked against three of numpy + fused Adam. That check runs with
``epsilon=1e-16`` for all of them; the timings use the usual 1e-7. Keras and
gpugrad add epsilon to sqrt(v) before the bias correction
(``lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+eps)``), PyTorch after it
(``lr * m_hat/(sqrt(v_hat)+eps)``), so with 1e-7 they differ wherever sqrt(v)
is not far above epsilon. 1e-12 is not small enough: one gradient of the big
net's first layer is rounding noise (6.6e-11 in numpy, 9.3e-10 in PyTorch;
Adam's first step turns either into a full lr-sized step), its sqrt(v) of
2e-12 is comparable to 1e-12, and it alone moves that weight 3e-4 apart.

    python benchmarks/train_step.py [--quick] [--json PATH] [--no-peers]
                                    [--same-process-peers]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
from mlp_step import NETS, SETTLE_S, make_data, mlp_loss, numpy_step  # noqa: E402

LR = 1e-3
EPS = 1e-7              # timing: the Keras and gpugrad default
AGREEMENT_EPS = 1e-16   # the 3-step check: where the two Adam formulas coincide
TORCH = "torch + Adam(fused)"
GRAPH = "gpugrad graph (sess.run)"
TRACED = "gpugrad traced (gg.function)"


def numpy_train_fn(params, x, labels, adam, eps=EPS):
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = [0]

    def run():
        step[0] += 1
        _, grads = numpy_step(params, x, labels)
        adam(params, grads, m, v, None, LR, 0.9, 0.999, eps, step[0], 0.0)
    return run


def gpugrad_train_fn(tf, params_np, x_np, labels_np, eps=EPS):
    variables = [tf.Variable(p.copy()) for p in params_np]
    x, labels = tf.constant(x_np), tf.constant(labels_np)
    opt = tf.optimizers.Adam(LR, epsilon=eps)
    on_gpu = not tf.get_device().startswith("cpu")

    def run():
        with tf.GradientTape() as tape:
            loss = mlp_loss(tf, variables, x, labels)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if on_gpu:
            loss.backend.synchronize()
    return run, variables


def gpugrad_traced_train_fn(tf, params_np, x_np, labels_np, eps=EPS):
    """The eager step traced with ``gpugrad.function``: one call per step."""
    variables = [tf.Variable(p.copy()) for p in params_np]
    x, labels = tf.constant(x_np), tf.constant(labels_np)
    opt = tf.optimizers.Adam(LR, epsilon=eps)
    on_gpu = not tf.get_device().startswith("cpu")

    @tf.function
    def step(x, labels):
        with tf.GradientTape() as tape:
            loss = mlp_loss(tf, variables, x, labels)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def run():
        loss = step(x, labels)
        if on_gpu:
            loss.backend.synchronize()
    return run, variables


def gpugrad_graph_train_fn(tf, params_np, x_np, labels_np, eps=EPS):
    """The same step in graph mode: built once (placeholders, ``minimize``),
    one ``Session.run(train_op)`` per step. Returns (run, values) where
    ``values`` reads the parameters back."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, x_np.shape[1]])
        labels = tf.placeholder(tf.int32, [None])
        variables = [tf.Variable(p.copy()) for p in params_np]
        loss = mlp_loss(tf, variables, x, labels)
        train = tf.optimizers.Adam(LR, epsilon=eps).minimize(loss)
        init = tf.global_variables_initializer()
        graph.finalize()
    sess = tf.Session(graph=graph)
    sess.run(init)
    feed = {x: x_np, labels: labels_np}

    values = [_SessionValue(sess, v) for v in variables]   # what ``compare`` reads
    return (lambda: sess.run(train, feed)), values


class _JaxValues(list):
    """The parameters of a jax run, read after its steps (``compare``)."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def __iter__(self):
        import numpy
        return iter([_Host(numpy.asarray(p)) for p in self.state[0]])


class _Host:
    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array


class _SessionValue:
    def __init__(self, sess, variable):
        self.sess, self.variable = sess, variable

    def numpy(self):
        return self.sess.run(self.variable)


def torch_train_fn(torch, params_np, x_np, labels_np, eps=EPS):
    import torch.nn.functional as F
    params = [torch.tensor(p.copy(), requires_grad=True) for p in params_np]
    x, labels = torch.tensor(x_np), torch.tensor(labels_np.astype(np.int64))
    opt = torch.optim.Adam(params, lr=LR, eps=eps, fused=True)
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


def jax_train_fn(jax, params_np, x_np, labels_np, eps=EPS):
    """The same step as one ``jax.jit`` function: value_and_grad of the loss
    and Keras's Adam arithmetic, written in jax.numpy (no optax needed)."""
    import jax.numpy as jnp
    params = [jnp.asarray(p) for p in params_np]
    x, labels = jnp.asarray(x_np), jnp.asarray(labels_np)
    n_layers = len(params) // 2

    def loss_fn(ps):
        h = x
        for i in range(n_layers):
            z = h @ ps[2 * i] + ps[2 * i + 1]
            h = jax.nn.relu(z) if i < n_layers - 1 else z
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    @jax.jit
    def step(ps, ms, vs, t):
        loss, grads = jax.value_and_grad(loss_fn)(ps)
        t = t + 1
        alpha = LR * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        ms = [m + (g - m) * 0.1 for m, g in zip(ms, grads)]
        vs = [v + (g * g - v) * 0.001 for v, g in zip(vs, grads)]
        ps = [p - m * alpha / (jnp.sqrt(v) + eps) for p, m, v in zip(ps, ms, vs)]
        return ps, ms, vs, t, loss

    state = [params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params],
             jnp.asarray(0.0, jnp.float32)]

    def run():
        ps, ms, vs, t, loss = step(*state)
        loss.block_until_ready()
        state[:] = [ps, ms, vs, t]
    return run, state


def reference_after_3_steps(params, x, labels, adam, eps=AGREEMENT_EPS):
    """The parameters after three steps of numpy + fused Adam."""
    reference = [p.copy() for p in params]
    run = numpy_train_fn(reference, x, labels, adam, eps)
    for _ in range(3):
        run()
    return reference


def compare(name, run, values, reference):
    """Three calls of ``run``, then ``values`` against ``reference``: prints
    ok or MISMATCH and returns max |diff| / max |param| over the parameters."""
    for _ in range(3):
        run()
    got = [np.asarray(v.detach().numpy() if hasattr(v, "detach") else v.numpy()) for v in values]
    worst = max(float(np.max(np.abs(g - r))) / (float(np.max(np.abs(r))) or 1.0)
                for g, r in zip(got, reference))
    status = "ok" if worst < 1e-4 else "MISMATCH"
    eps = "" if "epsilon" in name else f" (epsilon {AGREEMENT_EPS:g})"
    print(f"  {name}: parameters after 3 steps vs numpy + fused Adam{eps}: {status} "
          f"(max |diff| / max |param| = {worst:.1e})")
    return worst


def agreement(tf, torch, params, x, labels, reference):
    """Three steps of gpugrad (and of PyTorch, when given) from the same
    start as numpy + fused Adam; the parameters must agree."""
    worst = {"gpugrad": compare("gpugrad", *gpugrad_train_fn(tf, params, x, labels, AGREEMENT_EPS),
                                reference),
             GRAPH: compare(GRAPH, *gpugrad_graph_train_fn(tf, params, x, labels, AGREEMENT_EPS),
                            reference),
             TRACED: compare(TRACED, *gpugrad_traced_train_fn(tf, params, x, labels,
                                                              AGREEMENT_EPS), reference)}
    if torch is not None:
        worst[TORCH] = compare(TORCH, *torch_train_fn(torch, params, x, labels, AGREEMENT_EPS),
                               reference)
    return worst


def jax_worker(task, arrays):
    """In a child process: jax.jit's agreement check (with the timing
    epsilon, where jax's and numpy's rounding noise in near-zero gradients
    cannot be told apart) and timing for one net."""
    import jax
    spec = NETS[task["net"]]
    params, x, labels = make_data(spec["sizes"], spec["batch"])
    reference = [arrays[f"p{i}"] for i in range(len(params))]
    run, state = jax_train_fn(jax, params, x, labels)
    worst = compare("jax.jit (epsilon 1e-7)", run, _JaxValues(state), reference)
    cases = {"jax.jit": jax_train_fn(jax, params, x, labels)[0]}
    timed = C.time_all(cases, task["repeats"], task["window"], settle=SETTLE_S)
    return {"timed": timed, "agreement": {"jax.jit": worst}}


def child_worker(task, arrays):
    """In a child process: the peer the task names (torch by default)."""
    return (jax_worker if task.get("module") == "jax" else torch_worker)(task, arrays)


def torch_worker(task, arrays):
    """In the child process: PyTorch's agreement check and timing for one net."""
    import torch
    torch.set_num_threads(task["threads"])
    spec = NETS[task["net"]]
    params, x, labels = make_data(spec["sizes"], spec["batch"])
    reference = [arrays[f"p{i}"] for i in range(len(params))]
    worst = compare(TORCH, *torch_train_fn(torch, params, x, labels, AGREEMENT_EPS), reference)
    cases = {TORCH: torch_train_fn(torch, params, x, labels)[0]}
    timed = C.time_all(cases, task["repeats"], task["window"], settle=SETTLE_S)
    return {"timed": timed, "agreement": {TORCH: worst},
            "torch_threads": torch.get_num_threads()}


def main():
    args = C.parser(__doc__.splitlines()[0], peer_process=True).parse_args()
    if args.peer_worker:
        return C.peer_worker(args.peer_worker, child_worker)
    tf = C.import_gpugrad()
    from gpugrad.backend import kernels
    adam = kernels.load_module("adam", "cpu").adam
    in_process = args.same_process_peers
    jax_version = None if args.no_peers else C.installed_version("jax")
    torch = None if args.no_peers or not in_process else C.optional("torch")
    torch_version = (None if args.no_peers else
                     getattr(torch, "__version__", None) if in_process else
                     C.installed_version("torch"))
    env = C.environment(tf)
    threads = env["numpy_blas_threads"] or 2
    if torch is not None:
        torch.set_num_threads(threads)
    C.print_environment(env, {"torch": torch_version})
    if torch_version and not in_process:
        print(C.peer_process_note("network") + "\n")
    repeats, window = (3, 0.1) if args.quick else (9, 0.5)
    results = {"environment": env, "peers_in_own_process": not in_process, "nets": {}}
    for net, spec in NETS.items():
        params, x, labels = make_data(spec["sizes"], spec["batch"])
        print(f"{net}: {'-'.join(map(str, spec['sizes']))}, batch {spec['batch']}")
        cases = {"numpy + fused Adam": numpy_train_fn([p.copy() for p in params], x, labels, adam)}
        run, variables = gpugrad_train_fn(tf, params, x, labels)
        cases["gpugrad"] = run
        cases[GRAPH] = gpugrad_graph_train_fn(tf, params, x, labels)[0]
        cases[TRACED] = gpugrad_traced_train_fn(tf, params, x, labels)[0]
        if torch is not None:
            cases[TORCH] = torch_train_fn(torch, params, x, labels)[0]
        reference = reference_after_3_steps(params, x, labels, adam)
        agree = agreement(tf, torch, params, x, labels, reference)

        timed = C.time_all(cases, repeats, window, settle=SETTLE_S)
        if torch_version and not in_process:
            peer = C.run_peer_process(
                __file__, {"net": net, "threads": threads, "repeats": repeats, "window": window},
                {f"p{i}": p for i, p in enumerate(reference)})
            if "unavailable" in peer:
                print(f"  torch does not import in its process ({peer['unavailable']}): "
                      "column skipped")
            else:
                timed.update(peer["timed"])
                agree.update(peer["agreement"])
                env["torch_threads"] = peer["torch_threads"]
        if jax_version:
            peer = C.run_peer_process(
                __file__, {"module": "jax", "net": net, "repeats": repeats, "window": window},
                {f"p{i}": p for i, p in enumerate(reference_after_3_steps(params, x, labels,
                                                                          adam, EPS))})
            if "unavailable" not in peer:
                timed.update(peer["timed"])
                agree.update(peer["agreement"])
        C.noise_warning(timed)
        ms = {k: t["median_s"] * 1e3 for k, t in timed.items()}
        print(C.table(["ms per training step", "median", "min"],
                      [[k, C.fmt(v, 3), C.fmt(timed[k]["min_s"] * 1e3, 3)] for k, v in ms.items()]))
        vs_numpy = ms["gpugrad"] / ms["numpy + fused Adam"]
        line = f"gpugrad / numpy: {vs_numpy:.2f}x"
        if net == "big":
            line += f" (target <= 1.1: {'met' if vs_numpy <= 1.1 else 'missed'})"
        if TORCH in ms:
            vs_torch = ms["gpugrad"] / ms[TORCH]
            line += f"; gpugrad / torch: {vs_torch:.2f}x"
            if net == "small":
                line += f" (target <= 1: {'met' if vs_torch <= 1 else 'missed'})"
        line += f"\ngpugrad graph / gpugrad eager: {ms[GRAPH] / ms['gpugrad']:.2f}x"
        if TORCH in ms:
            line += f"; gpugrad graph / torch: {ms[GRAPH] / ms[TORCH]:.2f}x"
        traced_vs_numpy = ms[TRACED] / ms["numpy + fused Adam"]
        line += f"\ngpugrad traced / numpy: {traced_vs_numpy:.2f}x"
        bound = 1.0 if net == "big" else 1.5
        line += f" (target < {bound:g}: {'met' if traced_vs_numpy < bound else 'missed'})"
        if "jax.jit" in ms:
            line += f"; gpugrad traced / jax.jit: {ms[TRACED] / ms['jax.jit']:.2f}x"
        if TORCH in ms:
            traced_vs_torch = ms[TRACED] / ms[TORCH]
            line += f"; gpugrad traced / torch: {traced_vs_torch:.2f}x"
            if net == "big":
                line += f" (target < 1: {'met' if traced_vs_torch < 1 else 'missed'})"
        print(line + "\n")
        results["nets"][net] = {"ms_per_step": ms, "timed": timed,
                                "max_relative_difference_after_3_steps": agree,
                                "agreement_epsilon": AGREEMENT_EPS}
    if args.json:
        C.write_json(args.json, results)


if __name__ == "__main__":
    main()
