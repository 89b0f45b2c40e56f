"""Helpers shared by the benchmark scripts: timing, environment facts,
optional peers, cProfile summaries and JSON output. (Not a benchmark itself:
run as a script it does nothing.)

Nothing here asserts a timing: the scripts report numbers and ratios
against baselines measured in the same run.
"""
import argparse
import cProfile
import ctypes
import gc
import importlib.metadata
import importlib.util
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def import_gpugrad():
    """``import gpugrad``, from the checkout when it is not installed."""
    try:
        import gpugrad
    except ImportError:
        sys.path.insert(0, _REPO)
        import gpugrad
    return gpugrad


def optional(name):
    """The module, or None when it does not import (the column is skipped)."""
    try:
        return __import__(name)
    except Exception:  # ImportError, or a broken install
        return None


def parser(description, peer_process=False):
    """The shared command line; ``peer_process=True`` adds the flags of the
    scripts that time PyTorch in a child process (see ``run_peer_process``)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="a short run: fewer repeats, shorter timing windows")
    p.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    p.add_argument("--profile", action="store_true",
                   help="after the timings, profile gpugrad's workload with cProfile and "
                        "print where its time goes")
    p.add_argument("--no-peers", action="store_true",
                   help="skip PyTorch and HIPS autograd even when they import")
    if peer_process:
        p.add_argument("--same-process-peers", action="store_true",
                       help="time PyTorch in this process, next to numpy and gpugrad, instead "
                            "of in a child process (shows how its threads slow the others down)")
        p.add_argument("--peer-worker", metavar="DIR", help=argparse.SUPPRESS)
    return p


# ------------------------------------------------------------------ timing
def calibrate(fn, min_time):
    """How many calls of ``fn`` make one timing window of at least ``min_time`` s."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return number
        # aim a little past min_time, at most 10x more per try
        number = max(number + 1, min(number * 10, int(number * 1.2 * min_time / max(elapsed, 1e-9))))


def time_all(cases, repeats, min_time, warmup=3, settle=0.0):
    """Median seconds per call for each ``name -> fn``.

    Each case is warmed up and calibrated to a window of ``min_time`` seconds;
    then the cases are timed round-robin, ``repeats`` windows each, so a slow
    drift of the machine touches all of them alike. ``settle`` seconds of
    sleep before each window let the previous case's worker threads go idle:
    numpy's OpenBLAS and PyTorch's OpenMP pools both spin-wait after work,
    and on a 2-core machine a switch between them otherwise slows whichever
    runs next several times over. Returns
    ``{name: {"median_s", "min_s", "max_s", "calls", "repeats"}}``.
    """
    numbers = {}
    for name, fn in cases.items():
        time.sleep(settle)
        for _ in range(warmup):
            fn()
        numbers[name] = calibrate(fn, min_time)
    samples = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            n = numbers[name]
            time.sleep(settle)
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
        gc.collect()
    return {name: {"median_s": statistics.median(s), "min_s": min(s), "max_s": max(s),
                   "calls": numbers[name], "repeats": repeats}
            for name, s in samples.items()}


# ------------------------------------------------------- peers in a child
def peer_process_note(per):
    """The header line of a script whose PyTorch cases run in a child."""
    return (f"PyTorch runs in its own process (one per {per}, timed right after gpugrad): "
            "in this process its spinning OpenMP workers would take the CPU from numpy's "
            "BLAS threads and numba's pool and inflate their times (--same-process-peers "
            "shows that)")


def installed_version(name):
    """The installed version of package ``name``, found without importing it
    (None when it is not installed)."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except (ImportError, ValueError):
        return None
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def run_peer_process(script, task, arrays=None):
    """Time a script's PyTorch cases in a fresh Python process; returns the
    dict that the script's worker returned (timings in ``time_all``'s format).

    Runs ``python SCRIPT --peer-worker DIR``, where DIR holds ``task`` (a
    JSON-able dict) as task.json and ``arrays`` (name -> numpy array) as
    arrays.npz; the script's main hands ``--peer-worker`` to ``peer_worker``.
    The child shares this process's stdout and stderr, so the lines it
    prints appear in order; this process waits idle while it runs. A child
    that fails raises ``subprocess.CalledProcessError`` (its traceback is
    printed above)."""
    with tempfile.TemporaryDirectory(prefix="gpugrad-bench-") as folder:
        with open(os.path.join(folder, "task.json"), "w") as f:
            json.dump(task, f)
        if arrays:
            import numpy
            numpy.savez(os.path.join(folder, "arrays.npz"), **arrays)
        sys.stdout.flush()
        sys.stderr.flush()
        subprocess.run([sys.executable, os.path.abspath(script), "--peer-worker", folder],
                       check=True)
        with open(os.path.join(folder, "result.json")) as f:
            return json.load(f)


def peer_worker(folder, work):
    """The child's side of ``run_peer_process``: ``work(task, arrays)``
    builds and times the cases and returns a JSON-able dict, written back for
    the parent. When the peer (``task["module"]``, torch by default) does not
    import here, the parent gets ``{"unavailable": reason}``."""
    import numpy
    with open(os.path.join(folder, "task.json")) as f:
        task = json.load(f)
    path = os.path.join(folder, "arrays.npz")
    arrays = dict(numpy.load(path)) if os.path.exists(path) else {}
    try:
        importlib.import_module(task.get("module", "torch"))
    except Exception as e:  # ImportError, or a broken install
        result = {"unavailable": f"{type(e).__name__}: {e}"}
    else:
        result = work(task, arrays)
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(result, f)
    sys.stdout.flush()


# ------------------------------------------------------------- environment
def blas_threads():
    """(threads numpy's BLAS uses, how that was found)."""
    tpc = optional("threadpoolctl")
    if tpc is not None:
        for info in tpc.threadpool_info():
            if info.get("user_api") == "blas":
                return int(info["num_threads"]), f"threadpoolctl ({info.get('internal_api')})"
    # numpy's wheels bundle OpenBLAS (scipy-openblas): ask it directly
    importlib.import_module("numpy")  # loads the library
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps
                     if "openblas" in line.lower() and ".so" in line.split()[-1]}
    except OSError:
        paths = set()
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                       "openblas_get_num_threads64_", "openblas_get_num_threads"):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_int
                return int(fn()), f"{symbol}() in {os.path.basename(path)}"
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), f"${var}"
    return os.cpu_count() or 1, "os.cpu_count() (BLAS default; not verified)"


def environment(tf):
    import numpy
    threads, how = blas_threads()
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "numpy_blas_threads": threads,
        "numpy_blas_threads_source": how,
        "gpugrad": getattr(tf, "__version__", "?"),
        "gpugrad_device": tf.get_device(),
        "gpugrad_path": os.path.dirname(tf.__file__),
        "git": _git_state(),
    }
    return env


def _git_state():
    """The checkout's commit, and whether gpugrad/ has uncommitted changes."""
    import subprocess
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=_REPO,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "gpugrad"], cwd=_REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' + uncommitted changes in gpugrad/' if dirty else ''}" if head else None


def print_environment(env, peers):
    print(f"python {env['python']} on {env['platform']}, {env['cpu_count']} CPU(s)")
    print(f"numpy {env['numpy']} (BLAS threads: {env['numpy_blas_threads']}, "
          f"from {env['numpy_blas_threads_source']})")
    print(f"gpugrad {env['gpugrad']} on device {env['gpugrad_device']}"
          + (f" (checkout {env['git']})" if env.get("git") else ""))
    for name, version in peers.items():
        print(f"{name}: {version or 'not installed, column skipped'}")
    print()


# ----------------------------------------------------------------- output
def table(headers, rows):
    """A plain-text table; numbers are printed as given (strings)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths)))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


def noise_warning(timed, label=""):
    """Print a warning for cases whose timing windows spread widely (a busy
    or oversubscribed machine); returns the names."""
    noisy = [name for name, t in timed.items() if t["max_s"] > 1.5 * t["min_s"]]
    if noisy:
        names = ", ".join(" ".join(n) if isinstance(n, tuple) else str(n) for n in noisy)
        print(f"  note{label}: timing windows spread by more than 1.5x for {names}: "
              f"the machine was busy; the medians may be inflated, consider a rerun")
    return noisy


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt(x, digits=2, suffix=""):
    return "-" if x is None else f"{x:.{digits}f}{suffix}"


def write_json(path, results):
    with open(path, "w") as f:
        json.dump(results, f, indent=2, sort_keys=False)
    print(f"results written to {path}")


# ---------------------------------------------------------------- profile
def profile(fn, calls, top=30, units_per_call=1, unit="call"):
    """Run ``fn`` ``calls`` times under cProfile; print the top functions by
    own time and the own time per source file, per ``unit`` (a call of ``fn``
    is ``units_per_call`` units: 100 ops of a chain, one training step).
    cProfile slows small Python functions down several times: read the
    shares, not the absolute times. Returns a summary for the JSON."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    stream = io.StringIO()
    stats = pstats.Stats(prof, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    text = stream.getvalue()
    # keep the table, drop pstats' preamble
    start = text.find("   ncalls")
    print(text[start:] if start >= 0 else text)
    total = 0.0
    by_file = {}
    for (path, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        total += tottime
        key = _short(path)
        by_file[key] = by_file.get(key, 0.0) + tottime
    units = calls * units_per_call
    print(f"own time by file ({total * 1e3:.1f} ms profiled over {units} {unit}s; "
          f"times under the profiler):")
    for key, t in sorted(by_file.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {100 * t / total:5.1f}%  {t / units * 1e6:9.2f} us/{unit}  {key}")
    print()
    top_funcs = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    return {"total_s": total, "units": units, "unit": unit,
            "by_file_share": {k: v / total for k, v in
                              sorted(by_file.items(), key=lambda kv: -kv[1])},
            "top_functions": [{"function": f"{_short(path)}:{line}({func})", "ncalls": nc,
                               "tottime_share": tt / total, "cumtime_share": ct / total}
                              for (path, line, func), (_cc, nc, tt, ct, _c) in top_funcs]}


def _short(path):
    if path.startswith("~") or path.startswith("<"):
        return "builtins (C: numpy ufuncs, isinstance, ...)"
    marker = os.sep + "gpugrad" + os.sep
    if marker in path:
        return "gpugrad" + os.sep + path.split(marker, 1)[1]
    return os.path.basename(path)
