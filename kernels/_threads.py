"""numba's worker threads next to numpy's BLAS threads.

numba's default OpenMP layer (GNU libgomp) keeps idle workers spinning for a
while after each parallel kernel. On a machine with few cores they take whole
scheduler slices from OpenBLAS's threads, and back: measured on 2 cores, a
0.05 ms training step became 8 ms (two handoffs of one ~4 ms scheduler tick),
and a 24 ms step became 36 ms. Two remedies, both applied here:

- ``start_pool`` starts numba's pool with ``OMP_WAIT_POLICY=PASSIVE`` (workers
  sleep when idle), unless the user set a wait policy or the pool already
  runs, then restores the environment so child processes and OpenMP
  libraries loaded later are untouched. libgomp reads the variable once, when
  it loads, which is when the pool starts.
- ``twins`` compiles each launch function twice: parallel, and serial (numba
  runs ``prange`` as ``range``) for work below ``SERIAL_BELOW`` elements,
  where a parallel launch costs more than it saves (measured crossover on 2
  cores: 64k-256k elements) and where no pool is woken at all.
"""
import os
import types

import numba

#: launches over fewer elements run serially
SERIAL_BELOW = 1 << 17

FLAGS = dict(error_model="numpy", cache=True)

_started = False


def start_pool():
    """Start numba's thread pool with passive waiting (see the module doc)."""
    global _started
    if _started:
        return
    _started = True
    try:
        numba.threading_layer()
        return  # the pool already runs (the user's own kernels): leave it
    except ValueError:
        pass
    if {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & os.environ.keys():
        numba.get_num_threads()
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        numba.get_num_threads()  # loads the threading layer now
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def twins(launch):
    """(parallel, serial) compilations of one launch function."""
    serial = types.FunctionType(launch.__code__, launch.__globals__, launch.__name__ + "_serial",
                                launch.__defaults__, launch.__closure__)
    serial.__qualname__ = launch.__qualname__ + "_serial"  # its own on-disk cache entry
    return numba.njit(parallel=True, **FLAGS)(launch), numba.njit(**FLAGS)(serial)


def pick(pair, elements):
    """The launch to use for ``elements`` elements of work."""
    if elements < SERIAL_BELOW:
        return pair[1]
    start_pool()
    return pair[0]
