"""gpugrad.distributed over MPI: all-reduce bandwidth and data-parallel scaling.

Run plainly, the script starts itself again under ``mpiexec -n 2`` (``--ranks
N`` for another count; mpiexec is looked for next to the Python executable,
then on PATH), with ``OMP_NUM_THREADS`` and the other thread-count variables
set to cores / ranks, so the ranks do not fight over the cores, and
``GPUGRAD_DEVICE=cpu`` unless it is set. Started by mpiexec itself with
several ranks, it runs as it is. Without mpi4py or mpiexec it prints
``skipped: ...`` and exits 0. Only rank 0 prints.

Part 1, bus bandwidth. ``gpugrad.distributed.grouped_allreduce`` (op
Average) on float32 tensors of 1, 4, 16, 64 and 256 MiB in all (quick: 1,
16, 64), (a) as one tensor and (b) as 100 tensors of the same total, against
raw mpi4py ``comm.Allreduce(MPI.IN_PLACE, buf)`` on a numpy buffer of that
size, in the same run, interleaved. Each repetition starts after a barrier;
a repetition's time is the slowest rank's; the median is reported. As
NCCL-tests define them: algbw = bytes / time, busbw = algbw * 2 (n - 1) / n
(= algbw on 2 ranks). Also the bucket collectives gpugrad launched per call
(the Reducer's count; 32 MiB buckets), and, to explain the gap, raw MPI
after a copy scaled by 1/n into its buffer: what a gpugrad bucket costs
without the framework (the pack, then the collective).

Part 2, scaling. One training step of a 784-256-256-10 ReLU MLP (full mode
also 784-1024-1024-10), batch 256 per rank, float32, sparse softmax
cross-entropy, Adam, traced with ``gpugrad.function``, its tape wrapped in
``hvd.DistributedGradientTape``. On 1 rank (rank 0 alone, the other ranks
asleep: once the plain step, once the same step over a 1-rank communicator)
and on all ranks at the same per-rank batch. Scaling efficiency =
throughput on N ranks / (N x throughput of the plain step on 1 rank).

Reports ratios, never asserts them; exit code 0.

    python benchmarks/allreduce.py [--quick] [--json PATH] [--ranks 2]
"""
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

MIB = 2 ** 20
SIZES_MIB = (1, 4, 16, 64, 256)
SIZES_MIB_QUICK = (1, 16, 64)
PIECES = 100
#: repetitions per size (full, quick): many for the fast sizes, few for the slow
REPS = {1: (40, 15), 4: (30, 10), 16: (20, 7), 64: (10, 5), 256: (7, 3)}
NETS = {"784-256-256-10": (784, 256, 256, 10), "784-1024-1024-10": (784, 1024, 1024, 10)}
NETS_QUICK = ("784-256-256-10",)
BATCH = 256
LR = 1e-3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
#: set by mpiexec for each rank (MPICH/Intel MPI's hydra, Open MPI, PMIx)
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


def parse(argv):
    p = C.parser(__doc__.split("\n")[0])
    p.add_argument("--ranks", type=int, default=2,
                   help="ranks to start when run plainly (default 2)")
    p.add_argument("--mpi-child", action="store_true", help=C.argparse.SUPPRESS)
    return p.parse_args(argv)


def _env_int(names):
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return None


# ---------------------------------------------------------------- launcher
def find_mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")


def launch(args):
    """Start this script under mpiexec; returns the exit code to leave with."""
    if importlib.util.find_spec("mpi4py") is None:
        print("skipped: mpi4py is not installed (pip install 'gpugrad[mpi]', which brings "
              "mpi4py and mpich)")
        return 0
    mpiexec = find_mpiexec()
    if mpiexec is None:
        print("skipped: no mpiexec next to the Python executable or on PATH "
              "(pip install mpich, or install the system's MPI)")
        return 0
    ranks = max(2, args.ranks)
    cores = os.cpu_count() or 1
    threads = max(1, cores // ranks)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "PMIX_", "OMPI_COMM_WORLD_", "MPI_LOCAL"))}
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    env.setdefault("GPUGRAD_DEVICE", "cpu")
    env.setdefault("GPUGRAD_DISTRIBUTED_TIMEOUT", "300")
    env["PYTHONUNBUFFERED"] = "1"
    env["GPUGRAD_BENCH_LAUNCHER"] = f"{ranks} {threads}"
    argv = (["--quick"] if args.quick else []) + (
        ["--json", os.path.abspath(args.json)] if args.json else [])
    command = [mpiexec, "-n", str(ranks), sys.executable, os.path.abspath(__file__),
               *argv, "--mpi-child"]
    print(f"starting {ranks} ranks: {' '.join(command[:3])} ... with "
          f"{', '.join(f'{n}={threads}' for n in THREAD_VARIABLES[:3])} etc. "
          f"({cores} cores / {ranks} ranks, so the ranks' BLAS threads do not oversubscribe "
          f"the cores), GPUGRAD_DEVICE={env['GPUGRAD_DEVICE']}", flush=True)
    try:
        result = subprocess.run(command, env=env, timeout=900 if not args.quick else 300)
    except subprocess.TimeoutExpired:
        print("allreduce.py: the ranks did not finish in time", file=sys.stderr)
        return 1
    return result.returncode


# ------------------------------------------------------------------ timing
class Clock:
    """Repetitions timed in lock step on every rank of ``comm``."""

    def __init__(self, comm):
        self.comm = comm

    def once(self, fn, calls=1):
        """Seconds per call of ``calls`` calls of ``fn`` after a barrier: the slowest rank's."""
        self.comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        return self.comm.allreduce((time.perf_counter() - t0) / calls, op=self._max())

    def _max(self):
        from mpi4py import MPI
        return MPI.MAX

    def repetitions(self, cases, reps, warmup=2):
        """``name -> fn``, each called once per repetition, round-robin."""
        for fn in cases.values():
            for _ in range(warmup):
                fn()
        samples = {name: [] for name in cases}
        for _ in range(reps):
            for name, fn in cases.items():
                samples[name].append(self.once(fn))
        return {name: summary(s) for name, s in samples.items()}

    def windows(self, cases, repeats, min_time, warmup=3):
        """``name -> fn``, timed in windows of at least ``min_time`` s, round-robin;
        the number of calls per window is the same on every rank."""
        numbers = {}
        for name, fn in cases.items():
            for _ in range(warmup):
                fn()
            number = 1
            while True:
                elapsed = self.once(fn, number) * number
                if elapsed >= min_time:
                    break
                number = max(number + 1, min(number * 10,
                                             int(number * 1.2 * min_time / max(elapsed, 1e-9))))
            numbers[name] = number
        samples = {name: [] for name in cases}
        for _ in range(repeats):
            for name, fn in cases.items():
                samples[name].append(self.once(fn, numbers[name]))
        return {name: dict(summary(s), calls=numbers[name]) for name, s in samples.items()}


def summary(samples):
    return {"median_s": statistics.median(samples), "min_s": min(samples),
            "max_s": max(samples), "repeats": len(samples)}


def idle_until_released(comm):
    """Wait, asleep, for the rank that works alone (a plain barrier would spin)."""
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.005)


# ------------------------------------------------------------ part 1
def split(total, pieces):
    """``pieces`` sizes summing to ``total``, as equal as can be."""
    base, extra = divmod(total, pieces)
    return [base + (i < extra) for i in range(pieces)]


def part1(tf, hvd, comm, sizes, quick, say):
    from mpi4py import MPI
    rank, n = comm.Get_rank(), comm.Get_size()
    clock = Clock(comm)
    factor = 2 * (n - 1) / n
    rows = []
    say(f"Part 1: all-reduce bus bandwidth, {n} ranks, float32, gpugrad op Average "
        f"(buckets of {hvd.DEFAULT_BUCKET_BYTES // MIB} MiB) vs raw mpi4py "
        f"comm.Allreduce(MPI.IN_PLACE, buf) (a sum) on a numpy buffer")
    say(f"  busbw = bytes / time * 2 (n-1)/n (NCCL-tests); time: median over the "
        f"repetitions, each after a barrier, of the slowest rank's time\n")
    for mib in sizes:
        # a multiple of 100 elements, so the 100 pieces are equal: 100 x 0.64 MiB of a
        # 64 MiB total fill exactly two 32 MiB buckets (a total 1 element over would not)
        count = mib * MIB // 4 // PIECES * PIECES
        nbytes = count * 4
        rng = np.random.default_rng(rank)
        data = rng.standard_normal(count).astype(np.float32)
        one = tf.constant(data)
        pieces = [tf.constant(p) for p in np.split(data, np.cumsum(split(count, PIECES))[:-1])]
        raw = np.zeros(count, np.float32)        # sums of zeros: no overflow, no denormals
        source = np.ones(count, np.float32)

        packed = np.zeros(count, np.float32)

        def raw_packed(source=source, packed=packed):
            np.multiply(source, 1.0 / n, out=packed)
            comm.Allreduce(MPI.IN_PLACE, packed)

        # agreement first: the average of every rank's data
        expected = sum(np.random.default_rng(r).standard_normal(count).astype(np.float32)
                       for r in range(n)) / n
        got_one = hvd.grouped_allreduce([one])[0].numpy()
        got_pieces = np.concatenate([t.numpy() for t in hvd.grouped_allreduce(pieces)])
        ok = bool(np.allclose(got_one, expected, rtol=1e-5, atol=1e-6) and
                  np.allclose(got_pieces, expected, rtol=1e-5, atol=1e-6))
        ok = all(comm.allgather(ok))
        del expected, got_one, got_pieces

        launched = {}
        for label, tensors in (("1", [one]), (str(PIECES), pieces)):
            before = hvd._reducer.collectives
            hvd.grouped_allreduce(tensors)
            launched[label] = hvd._reducer.collectives - before
        cases = {"raw": lambda: comm.Allreduce(MPI.IN_PLACE, raw),
                 "gpugrad 1": lambda: hvd.grouped_allreduce([one]),
                 f"gpugrad {PIECES}": lambda: hvd.grouped_allreduce(pieces),
                 "raw + copy": raw_packed}
        reps = REPS[mib][1 if quick else 0]
        timed = clock.repetitions(cases, reps)
        if rank == 0:
            C.noise_warning({f"{mib} MiB {k}": v for k, v in timed.items()})
        busbw = {k: nbytes / v["median_s"] / 1e9 * factor for k, v in timed.items()}
        for label in ("1", str(PIECES)):
            g = f"gpugrad {label}"
            rows.append({
                "mib": mib, "bytes": nbytes, "tensors": int(label),
                "collectives_per_call": launched[label],
                "gpugrad_ms": timed[g]["median_s"] * 1e3,
                "gpugrad_min_ms": timed[g]["min_s"] * 1e3,
                "raw_ms": timed["raw"]["median_s"] * 1e3,
                "raw_min_ms": timed["raw"]["min_s"] * 1e3,
                "raw_after_scaled_copy_ms": timed["raw + copy"]["median_s"] * 1e3,
                "gpugrad_busbw_gbs": busbw[g], "raw_busbw_gbs": busbw["raw"],
                "raw_after_scaled_copy_busbw_gbs": busbw["raw + copy"],
                "ratio_gpugrad_over_raw": C.ratio(busbw[g], busbw["raw"]),
                "repetitions": reps, "agrees": ok})
        say(f"  {mib:>3} MiB: {reps} repetitions, average checked against numpy: "
            f"{'ok' if ok else 'MISMATCH'}")
        del one, pieces, raw, source, data, packed
    if rank == 0:
        print()
        print(C.table(
            ["size", "tensors", "collectives", "gpugrad ms", "raw MPI ms", "gpugrad GB/s",
             "raw MPI GB/s", "gpugrad/raw", "raw + copy ms"],
            [[f"{r['mib']} MiB", r["tensors"], r["collectives_per_call"],
              C.fmt(r["gpugrad_ms"], 3), C.fmt(r["raw_ms"], 3),
              C.fmt(r["gpugrad_busbw_gbs"]), C.fmt(r["raw_busbw_gbs"]),
              C.fmt(r["ratio_gpugrad_over_raw"], 2, "x"), C.fmt(r["raw_after_scaled_copy_ms"], 3)]
             for r in rows]))
        print("  GB/s: bus bandwidth, 1e9 bytes/s. gpugrad/raw: the ratio of bus bandwidths "
              "(1.00x = as fast as raw MPI)")
        print(f"  collectives: the bucket all-reduces gpugrad launched per call "
              f"(hvd._reducer.collectives); each call also makes one small allgather that "
              f"compares the ranks' layouts")
        print("  raw + copy: a copy scaled by 1/n into the buffer, then the same Allreduce: "
              "gpugrad's pack and collective without the framework\n")
    return rows


# ------------------------------------------------------------ part 2
def make_net(sizes, rank, seed=0):
    """The same weights on every rank, each rank its own batch."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((fan_in, fan_out))
                       * np.sqrt(2.0 / fan_in)).astype(np.float32))
        params.append((rng.standard_normal(fan_out) * 0.1).astype(np.float32))
    data = np.random.default_rng(1000 + rank)
    x = data.standard_normal((BATCH, sizes[0])).astype(np.float32)
    labels = data.integers(0, sizes[-1], size=BATCH).astype(np.int32)
    return params, x, labels


def train_step(tf, hvd, sizes, rank, distributed):
    """(step, variables): one traced step of forward, backward, Adam."""
    from mlp_step import mlp_loss
    params, x_np, labels_np = make_net(sizes, rank)
    variables = [tf.Variable(p) for p in params]
    x, labels = tf.constant(x_np), tf.constant(labels_np)
    opt = tf.optimizers.Adam(LR)

    @tf.function
    def step(x, labels):
        with tf.GradientTape() as tape:
            loss = mlp_loss(tf, variables, x, labels)
        if distributed:
            tape = hvd.DistributedGradientTape(tape)
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        return loss

    return (lambda: step(x, labels)), variables


def part2(tf, hvd, comm, nets, repeats, min_time, say):
    """1 rank (rank 0, the others asleep), then every rank."""
    from mpi4py import MPI
    rank, n = comm.Get_rank(), comm.Get_size()
    single = {}
    if rank == 0:
        hvd.init(comm=MPI.COMM_SELF)
        clock = Clock(MPI.COMM_SELF)
        for net in nets:
            cases = {"plain": train_step(tf, hvd, NETS[net], 0, False)[0],
                     "distributed": train_step(tf, hvd, NETS[net], 0, True)[0]}
            single[net] = clock.windows(cases, repeats, min_time)
        hvd.shutdown()
        # the others wait in an Ibarrier; a blocking Barrier would never match it
        comm.Ibarrier().Wait()
    else:
        idle_until_released(comm)
    hvd.init()
    clock = Clock(comm)
    results = {}
    for net in nets:
        step, variables = train_step(tf, hvd, NETS[net], rank, True)
        hvd.broadcast_variables(variables, root_rank=0)
        grads = [tf.constant(np.ones(v.shape, np.float32)) for v in variables]
        cases = {"step": step, "allreduce": lambda g=grads: hvd.grouped_allreduce(g)}
        timed = clock.windows(cases, repeats, min_time)
        crc = int(np.sum([np.abs(v.numpy()).sum(dtype=np.float64) for v in variables]) * 1e6)
        same = len(set(comm.allgather(crc))) == 1
        if rank == 0:
            one = single[net]
            C.noise_warning({f"{net} 1 rank {k}": v for k, v in one.items()}
                            | {f"{net} {n} ranks {k}": v for k, v in timed.items()})
            plain_s, dist1_s = one["plain"]["median_s"], one["distributed"]["median_s"]
            step_s = timed["step"]["median_s"]
            params = sum(int(np.prod(v.shape)) for v in variables)
            results[net] = {
                "sizes": list(NETS[net]), "batch_per_rank": BATCH, "parameters": params,
                "gradient_bytes": params * 4,
                "ms_per_step": {"1 rank, plain step": plain_s * 1e3,
                                "1 rank, DistributedGradientTape": dist1_s * 1e3,
                                f"{n} ranks, DistributedGradientTape": step_s * 1e3},
                "spread_ms": {"1 rank, plain step": [one["plain"]["min_s"] * 1e3,
                                                     one["plain"]["max_s"] * 1e3],
                              "1 rank, DistributedGradientTape": [
                                  one["distributed"]["min_s"] * 1e3,
                                  one["distributed"]["max_s"] * 1e3],
                              f"{n} ranks, DistributedGradientTape": [
                                  timed["step"]["min_s"] * 1e3, timed["step"]["max_s"] * 1e3]},
                "gradient_allreduce_ms": timed["allreduce"]["median_s"] * 1e3,
                "samples_per_s": {"1 rank, plain step": BATCH / plain_s,
                                  f"{n} ranks": n * BATCH / step_s},
                "scaling_efficiency": plain_s / step_s,
                "scaling_efficiency_vs_1_rank_distributed": dist1_s / step_s,
                "weights_identical_on_all_ranks": same,
            }
    return results


def print_part2(results, n, threads, cores, repeats, min_time):
    print(f"Part 2: scaling of a training step (forward, backward, Adam; gpugrad.function, "
          f"DistributedGradientTape), batch {BATCH} per rank, float32")
    print(f"  {repeats} windows of >= {min_time * 1e3:.0f} ms, median. 1 rank: rank 0 alone, "
          f"the other rank(s) asleep; plain step = no gpugrad.distributed")
    print(f"  this machine has {cores} cores: the {n} ranks take them all, one BLAS thread "
          f"each ({threads} per rank), nothing left over; the 1-rank run uses the same "
          f"{threads} thread(s)\n")
    rows = []
    for net, r in results.items():
        ms = r["ms_per_step"]
        for k, v in ms.items():
            lo = r["spread_ms"][k][0]
            rows.append([f"{net}", k, C.fmt(v, 3), C.fmt(lo, 3),
                         C.fmt(BATCH * (n if k.startswith(f"{n} ranks") else 1) / v * 1e3, 0)])
    print(C.table(["net", "ms per step", "median", "min", "samples/s"], rows))
    print()
    rows = [[net, f"{r['parameters']:,}", C.fmt(r["gradient_allreduce_ms"], 3),
             C.fmt(r["scaling_efficiency"], 2), C.fmt(r["scaling_efficiency_vs_1_rank_distributed"],
                                                       2),
             "yes" if r["weights_identical_on_all_ranks"] else "NO"]
            for net, r in results.items()]
    print(C.table(["net", "parameters", f"gradient allreduce ms ({n} ranks)",
                   "efficiency", "vs 1-rank distributed", "same weights"], rows))
    print(f"  efficiency = samples/s on {n} ranks / ({n} x samples/s of the plain 1-rank step); "
          f"1.00 = perfect scaling. The gradient all-reduce is timed alone, on the same layout")
    print()


# ------------------------------------------------------------------- main
def worker(args):
    try:
        from mpi4py import MPI
    except ImportError as exc:
        if (_env_int(_RANK_VARIABLES) or 0) == 0:
            print(f"skipped: mpi4py.MPI does not import ({exc})")
        return 0
    comm = MPI.COMM_WORLD
    rank, n = comm.Get_rank(), comm.Get_size()

    def say(*words):
        if rank == 0:
            print(*words, flush=True)

    if n < 2:
        say("skipped: this benchmark needs at least 2 ranks (run it plainly, and it starts "
            "them itself)")
        return 0
    tf = C.import_gpugrad()
    import gpugrad.distributed as hvd
    cores = os.cpu_count() or 1
    launched = os.environ.get("GPUGRAD_BENCH_LAUNCHER")
    env = C.environment(tf)
    threads = env["numpy_blas_threads"]
    library = MPI.Get_library_version().strip().splitlines()[0]
    if rank == 0:
        C.print_environment(env, {"mpi4py": __import__("mpi4py").__version__,
                                  "MPI": library})
        print(f"{n} ranks ({'started by this script' if launched else 'started by mpiexec'}), "
              f"{threads} BLAS thread(s) per rank on {cores} cores"
              + (f" (set through OMP_NUM_THREADS and friends, so {n} ranks do not "
                 f"oversubscribe {cores} cores)" if launched else "")
              + ("; more ranks than cores: every number is inflated" if n > cores else ""))
        print()
    quick = args.quick
    repeats, min_time = (3, 0.1) if quick else (7, 0.5)
    sizes = SIZES_MIB_QUICK if quick else SIZES_MIB
    nets = NETS_QUICK if quick else tuple(NETS)
    results = {"benchmark": "allreduce", "quick": quick, "environment": env,
               "mpi": {"mpi4py": __import__("mpi4py").__version__, "library": library},
               "ranks": n, "blas_threads_per_rank": threads, "cores": cores,
               "started_by_script": bool(launched),
               "bucket_bytes": hvd.DEFAULT_BUCKET_BYTES}
    start = time.perf_counter()
    # part 2's single-rank run first: rank 0 initializes over COMM_SELF, then leaves
    scaling = part2(tf, hvd, comm, nets, repeats, min_time, say)
    rows = part1(tf, hvd, comm, sizes, quick, say)
    if rank == 0:
        print_part2(scaling, n, threads, cores, repeats, min_time)
        results["allreduce"] = rows
        results["scaling"] = {"repeats": repeats, "window_s": min_time, "nets": scaling}
        results["seconds"] = time.perf_counter() - start
        print(f"{results['seconds']:.1f} s")
        if args.json:
            C.write_json(args.json, results)
    comm.Barrier()
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    size = _env_int(_SIZE_VARIABLES)
    if args.mpi_child or (size is not None and size > 1):
        return worker(args)
    return launch(args)


if __name__ == "__main__":
    sys.exit(main())
