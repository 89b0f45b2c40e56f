"""Collective engines: how one device's arrays are reduced, broadcast and
gathered across the processes of a distributed run.

``gpugrad.distributed`` decides *what* to communicate (buckets, averages,
checks); an engine only moves arrays. Every call starts the collective and
returns a ``done()`` function; the runtime polls it, so a rank that failed
or a collective that never completes becomes an error instead of a hang.

- ``MpiCollectives``: host (numpy) arrays over an MPI communicator, with
  MPI's nonblocking collectives.
- ``NcclCollectives``: CuPy arrays over NCCL, on the device's current stream;
  the NCCL unique id travels over MPI.

Reductions take ``"sum"``, ``"min"``, ``"max"`` or ``"product"``; averaging
is the caller's business (it scales while packing, which costs no pass).
"""
import numpy

#: dtypes MPI reduces natively; others (float16) are reduced in float32
_MPI_REDUCES = frozenset({"float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                          "uint16", "uint32", "uint64"})


class MpiCollectives:
    """Host arrays over an mpi4py communicator."""

    name = "mpi"

    def __init__(self, comm):
        from mpi4py import MPI
        self._MPI = MPI
        self.comm = comm
        self._ops = {"sum": MPI.SUM, "min": MPI.MIN, "max": MPI.MAX, "product": MPI.PROD}

    def reduces(self, dtype_name):
        return dtype_name in _MPI_REDUCES

    def empty(self, count, dtype_name):
        return numpy.empty(count, dtype=dtype_name)

    def allreduce(self, buffer, op):
        """Reduce ``buffer`` (1-D, contiguous) in place on every rank."""
        return self.comm.Iallreduce(self._MPI.IN_PLACE, buffer, op=self._ops[op]).Test

    def broadcast(self, buffer, root):
        return self.comm.Ibcast(buffer, root=root).Test

    def allgather(self, send, recv):
        """``recv`` (size * len(send) elements) gets every rank's ``send``."""
        return self.comm.Iallgather(send, recv).Test

    def abort(self):
        pass


class NcclCollectives:
    """CuPy arrays of one GPU over an NCCL communicator of one process per GPU."""

    name = "nccl"

    def __init__(self, backend, runtime):
        import cupy
        from cupy.cuda import nccl
        self._cupy, self._nccl = cupy, nccl
        self.backend = backend
        uid = nccl.get_unique_id() if runtime.rank == 0 else None
        uid = runtime.broadcast_object(uid, root=0, what="the NCCL unique id")
        with backend.device_scope():
            self.comm = nccl.NcclCommunicator(runtime.size, uid, runtime.rank)
        self._ops = {"sum": nccl.NCCL_SUM, "min": nccl.NCCL_MIN, "max": nccl.NCCL_MAX,
                     "product": nccl.NCCL_PROD}
        self._types = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
                       "float64": nccl.NCCL_FLOAT64, "int8": nccl.NCCL_INT8,
                       "uint8": nccl.NCCL_UINT8, "int32": nccl.NCCL_INT32,
                       "uint32": nccl.NCCL_UINT32, "int64": nccl.NCCL_INT64,
                       "uint64": nccl.NCCL_UINT64}

    def reduces(self, dtype_name):
        return dtype_name in self._types

    def empty(self, count, dtype_name):
        with self.backend.device_scope():
            return self._cupy.empty(count, dtype=dtype_name)

    def _launched(self):
        event = self._cupy.cuda.Event(block=False, disable_timing=True)
        event.record(self._cupy.cuda.get_current_stream())
        return lambda: event.done

    def _type(self, array):
        return self._types[array.dtype.name]

    def allreduce(self, buffer, op):
        with self.backend.device_scope():
            stream = self._cupy.cuda.get_current_stream().ptr
            self.comm.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size,
                                self._type(buffer), self._ops[op], stream)
            return self._launched()

    def broadcast(self, buffer, root):
        with self.backend.device_scope():
            stream = self._cupy.cuda.get_current_stream().ptr
            self.comm.bcast(buffer.data.ptr, buffer.size, self._type(buffer), root, stream)
            return self._launched()

    def allgather(self, send, recv):
        with self.backend.device_scope():
            stream = self._cupy.cuda.get_current_stream().ptr
            self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, self._type(send),
                                stream)
            return self._launched()

    def abort(self):
        """Unblock kernels waiting on a peer that will never come."""
        try:
            self.comm.abort()
        except Exception:           # already destroyed, or NCCL too old
            pass
