"""The process group of a distributed run: who we are, how to wait, how to fail.

One ``Runtime`` per process, made by ``gpugrad.distributed.init()`` over
MPI's world. It holds two duplicates of the world communicator: one for
data (every collective), one for notices (a failing rank tells the others).

Every collective is nonblocking and waited on by ``wait``, which polls it
together with the notice channel and a deadline. So when a rank raises, the
others stop with ``AbortedError`` naming it; when a collective never
completes (a rank stuck, or gone without a word), ``DeadlineExceededError``
after ``timeout`` seconds. Never a silent hang.

A failing rank's ``sys.excepthook`` prints its traceback, notifies the
others, waits (briefly) for each to acknowledge, then ends the process
without MPI's finalize, which could block on collectives that will never
complete.
"""
import array
import atexit
import os
import pickle
import sys
import time

from ..errors import AbortedError, DeadlineExceededError, FailedPreconditionError

_NOTICE, _ACK = 7301, 7302
_NOTICE_BYTES = 8192
#: spin (each test drives MPI's progress) this long before sleeping between tests
_SPIN_SECONDS = 0.05
_SLEEP_SECONDS = 0.0002

_runtime = None


def active():
    """The runtime when ``init()`` was called and more than one rank runs, else None."""
    return _runtime if _runtime is not None and _runtime.size > 1 else None


def current(what="this"):
    if _runtime is None:
        raise FailedPreconditionError(f"gpugrad.distributed: call init() before {what}")
    return _runtime


def _default_timeout():
    value = os.environ.get("GPUGRAD_DISTRIBUTED_TIMEOUT", "")
    return float(value) if value.strip() else 600.0


class Runtime:
    def __init__(self, comm=None, timeout=None):
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise ImportError(
                f"gpugrad.distributed needs mpi4py and an MPI library ({exc}); install them "
                f"with pip install 'gpugrad[mpi]' (mpi4py and mpich) and start the program "
                f"with mpiexec -n N python ...") from None
        from ..backend.collectives import MpiCollectives
        self.MPI = MPI
        world = MPI.COMM_WORLD if comm is None else comm
        self.comm = world.Dup()
        self.notices = world.Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        local = world.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.timeout = float(timeout) if timeout is not None else _default_timeout()
        self.host = MpiCollectives(self.comm)
        self.engines = {}           # device name -> collective engine (NCCL)
        self.failed = None          # (rank, message) once a notice came
        self.closed = False
        self._notice = bytearray(_NOTICE_BYTES)
        self._notice_request = self.notices.Irecv([self._notice, MPI.BYTE],
                                                  source=MPI.ANY_SOURCE, tag=_NOTICE)

    def __repr__(self):
        return f"<gpugrad.distributed rank {self.rank} of {self.size}>"

    # -------------------------------------------------------------- waiting
    def check(self):
        """Raise AbortedError if another rank has reported a failure."""
        if self.failed is None:
            status = self.MPI.Status()
            if not self._notice_request.Test(status):
                return
            self.failed = (status.Get_source(),
                           self._notice[:status.Get_count(self.MPI.BYTE)].decode(errors="replace"))
        rank, message = self.failed
        self._abort_engines()
        raise AbortedError(f"rank {rank} failed: {message}", rank=rank)

    def _abort_engines(self):
        """Abort the device engines (NCCL): their kernels may be waiting on
        the rank that failed, and would hold the GPU stream forever."""
        for engine in self.engines.values():
            try:
                engine.abort()
            except Exception:       # already broken: nothing more to release
                pass

    def wait(self, done, what):
        """Poll ``done()`` until it is true; fail if a rank failed or time ran out."""
        self.check()
        if done():
            return
        start = time.monotonic()
        spins = 0
        while not done():
            spins += 1
            if spins & 63:
                continue
            self.check()
            waited = time.monotonic() - start
            if waited > self.timeout:
                self._abort_engines()
                raise DeadlineExceededError(
                    f"rank {self.rank}: {what} did not complete within {self.timeout:g} s; "
                    f"another rank is stuck, died without a word, or never called it "
                    f"(set the limit with init(timeout=...) or GPUGRAD_DISTRIBUTED_TIMEOUT)")
            if waited > _SPIN_SECONDS:
                time.sleep(_SLEEP_SECONDS)

    # ------------------------------------------------------ small messages
    def allgather_object(self, obj, what):
        """Every rank's picklable ``obj``, in rank order."""
        data = pickle.dumps(obj)
        sizes = array.array("q", [0] * self.size)
        self.wait(self.comm.Iallgather(array.array("q", [len(data)]), sizes).Test,
                  f"exchanging the sizes of {what}")
        width = max(sizes)
        send = bytearray(data.ljust(width, b"\0"))
        recv = bytearray(width * self.size)
        self.wait(self.comm.Iallgather([send, self.MPI.BYTE], [recv, self.MPI.BYTE]).Test,
                  f"exchanging {what}")
        return [pickle.loads(bytes(recv[r * width:r * width + sizes[r]]))
                for r in range(self.size)]

    def digests_agree(self, digest, count, what):
        """One small allgather: do all ranks hold the same (digest, count)?"""
        mine = array.array("q", [digest, count])
        every = array.array("q", [0] * (2 * self.size))
        self.wait(self.comm.Iallgather(mine, every).Test, f"comparing {what}")
        return all(every[2 * r:2 * r + 2] == mine for r in range(self.size))

    def broadcast_object(self, obj, root, what):
        size = array.array("q", [len(pickle.dumps(obj)) if self.rank == root else 0])
        self.wait(self.comm.Ibcast(size, root=root).Test, f"broadcasting the size of {what}")
        buffer = bytearray(pickle.dumps(obj)) if self.rank == root else bytearray(size[0])
        self.wait(self.comm.Ibcast([buffer, self.MPI.BYTE], root=root).Test,
                  f"broadcasting {what}")
        return pickle.loads(bytes(buffer))

    def any(self, flag, what):
        """True on every rank when ``flag`` is true on some rank (one small
        all-reduce), so that decisions such as stopping are taken together."""
        mine = array.array("q", [1 if flag else 0])
        every = array.array("q", [0])
        self.wait(self.comm.Iallreduce(mine, every, op=self.MPI.MAX).Test, f"agreeing on {what}")
        return bool(every[0])

    def barrier(self, what="a barrier"):
        self.wait(self.comm.Ibarrier().Test, what)

    # ------------------------------------------------------------- failing
    def notify_failure(self, message, grace=None):
        """Tell every other rank that this one failed; wait up to ``grace``
        seconds for each to acknowledge (so they can report it first)."""
        data = message.encode()[:_NOTICE_BYTES]
        others = [r for r in range(self.size) if r != self.rank]
        sends = [self.notices.Isend([data, self.MPI.BYTE], dest=r, tag=_NOTICE) for r in others]
        acks = [(bytearray(1), r) for r in others]
        receives = [self.notices.Irecv([b, self.MPI.BYTE], source=r, tag=_ACK) for b, r in acks]
        deadline = time.monotonic() + (min(self.timeout, 30.0) if grace is None else grace)
        answered = set()            # acknowledged, or failing too (it will not answer)
        while time.monotonic() < deadline and len(answered) < len(others):
            status = self.MPI.Status()
            if self._notice_request.Test(status):
                answered.add(status.Get_source())
                self._notice_request = self.notices.Irecv(
                    [self._notice, self.MPI.BYTE], source=self.MPI.ANY_SOURCE, tag=_NOTICE)
            answered.update(r for (_, r), request in zip(acks, receives) if request.Test())
            time.sleep(0.001)
        self.MPI.Request.Testall(sends)

    def acknowledge(self, rank):
        request = self.notices.Isend([bytearray(1), self.MPI.BYTE], dest=rank, tag=_ACK)
        deadline = time.monotonic() + 5.0
        while not request.Test() and time.monotonic() < deadline:
            time.sleep(0.001)

    def close(self):
        """Release the notice channel (a clean end: no rank failed)."""
        if self.closed:
            return
        self.closed = True
        for engine in self.engines.values():
            destroy = getattr(engine.comm, "destroy", None)
            if destroy is not None:
                destroy()
        self._notice_request.Cancel()
        self._notice_request.Wait()
        self.notices.Free()
        self.comm.Free()


# ------------------------------------------------------- process hooks
_original_excepthook = None


def _excepthook(kind, value, tb):
    _original_excepthook(kind, value, tb)
    runtime = _runtime
    if runtime is None or runtime.closed or runtime.size == 1:
        return
    try:
        if isinstance(value, AbortedError) and value.rank is not None:
            runtime.acknowledge(value.rank)       # the failure started elsewhere
        else:
            runtime.notify_failure(f"{kind.__name__}: {value}")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # MPI_Finalize could wait forever on collectives the others left open
        os._exit(1)


def _at_exit():
    runtime = _runtime
    if runtime is None or runtime.closed:
        return
    try:
        runtime.check()
    except AbortedError as exc:                  # a rank failed after we finished
        print(f"gpugrad.distributed: rank {runtime.rank} finished, but {exc}",
              file=sys.stderr, flush=True)
        runtime.acknowledge(exc.rank)
        sys.stdout.flush()
        os._exit(1)
    runtime.close()


def start(comm=None, timeout=None):
    global _runtime, _original_excepthook
    if _runtime is not None:
        if timeout is not None:
            _runtime.timeout = float(timeout)
        return _runtime
    _runtime = Runtime(comm, timeout)
    if _original_excepthook is None:
        _original_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    atexit.register(_at_exit)      # after mpi4py's own hook, so it runs before it
    return _runtime


def stop():
    """Tear the runtime down (tests and interactive use)."""
    global _runtime, _original_excepthook
    if _runtime is not None:
        _runtime.close()
        _runtime = None
    if _original_excepthook is not None:
        sys.excepthook = _original_excepthook
        _original_excepthook = None
    atexit.unregister(_at_exit)
