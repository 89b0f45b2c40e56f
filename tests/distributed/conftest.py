"""Distributed tests run for real: each starts ``mpiexec -n N`` on a program
in ``programs/`` and checks what the ranks printed, wrote and returned.

They skip, with the reason, where mpi4py or mpiexec is missing (and fail
instead when GPUGRAD_REQUIRE_MPI is set, as CI does, so that they cannot
silently stop running). The ranks
run on the CPU with one thread each, so 2 ranks fit a 2-core machine.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


def _mpiexec():
    beside = pathlib.Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def skip_reason():
    try:
        import mpi4py  # noqa: F401
    except ImportError as exc:
        return f"mpi4py is not installed ({exc}): pip install 'gpugrad[mpi]'"
    if _mpiexec() is None:
        return "no mpiexec (pip install mpich, or an MPI of the system)"
    return None


class Run:
    def __init__(self, result, seconds, directory):
        self.directory = directory
        self.returncode = result.returncode
        self.stdout, self.stderr = result.stdout, result.stderr
        self.seconds = seconds

    def records(self):
        """What each rank reported (programs/_report.py), by rank."""
        found = [json.loads(p.read_text()) for p in self.directory.glob("rank-*.json")]
        return {r["rank"]: r for r in found}

    def __repr__(self):
        return (f"<exit {self.returncode} after {self.seconds:.1f} s>\n--- stdout\n{self.stdout}"
                f"\n--- stderr\n{self.stderr[-4000:]}")


@pytest.fixture
def mpirun(tmp_path):
    """``mpirun(ranks, program, *args, timeout=120, device="cpu")`` -> Run
    (``device``: the ranks' GPUGRAD_DEVICE)."""
    reason = skip_reason()
    if reason and os.environ.get("GPUGRAD_REQUIRE_MPI"):
        pytest.fail(f"GPUGRAD_REQUIRE_MPI is set (CI) but {reason}")
    if reason:
        pytest.skip(reason)

    def run(ranks, program, *args, timeout=120, device="cpu"):
        env = dict(os.environ, GPUGRAD_DEVICE=device, OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        command = [_mpiexec(), "-n", str(ranks), sys.executable, str(PROGRAMS / program),
                   *map(str, args)]
        directory = pathlib.Path(tempfile.mkdtemp(dir=tmp_path, prefix=f"{ranks}-ranks-"))
        start = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                cwd=directory, env=env)
        return Run(result, time.monotonic() - start, directory)
    return run
