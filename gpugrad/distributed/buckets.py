"""Gradients in buckets: many arrays, few collectives.

A *plan* is made once per list of (shape, dtype, device): arrays of one
device and dtype are laid end to end in buckets of at most
``bucket_bytes`` (an array larger than that gets a bucket of its own). A
reduction packs each bucket with one copy per array, starts one collective
per bucket, and hands back views of the reduced buckets: each element is
copied in once and never copied out. A bucket's buffer is reused by the
next call when no view of it is alive any more.

Averaging costs no pass of its own: the pack multiplies by 1/N as it copies
(``multiply(g, 1/N, out=bucket[a:b])``), and the collective sums.

Before the first bucket moves, the ranks compare a digest of the plan
(names, shapes, dtypes) with one small allgather; when they differ, each
rank's list is exchanged and the error names every difference, on every
rank, before any data is touched.
"""
import sys
import zlib

from ..errors import InvalidArgumentError

#: Horovod's and PyTorch DDP's order of magnitude: big enough to reach the
#: link's bandwidth, small enough to keep packing and reducing overlapped
DEFAULT_BUCKET_BYTES = 32 * 1024 * 1024

_OPS = {"sum": "sum", "average": "sum", "min": "min", "max": "max", "product": "product"}


#: below this mean size per array (bytes), a bucket is packed with one
#: concatenate and one scaling pass instead of one call per array: Python's
#: cost per call outweighs the second pass over data that is still in cache
_SMALL_ARRAY_BYTES = 64 * 1024


class _Bucket:
    __slots__ = ("backend", "dtype", "wire", "count", "entries", "spare", "spare_wire")

    def __init__(self, backend, dtype, wire):
        self.backend, self.dtype, self.wire = backend, dtype, wire
        self.count = 0
        self.entries = []            # (position in the list, offset, size, shape)
        self.spare = None            # the buffer of the last call, for the next one
        self.spare_wire = None

    def buffer(self, engine, dtype):
        """A buffer for this bucket: the last call's when nothing of it is
        alive any more (no result of that call is held anywhere: the results
        are views, and each view holds its base), else a new one.

        Reusing matters on the host: a new large buffer costs a page fault
        per 4 KiB on its first write, which made a 16 MiB all-reduce 1.6x
        slower than MPI on a buffer it had touched before."""
        spare = self.spare_wire if dtype != self.dtype else self.spare
        # references: the slot, ``spare`` here and getrefcount's argument
        if spare is None or sys.getrefcount(spare) > 3:
            spare = engine.empty(self.count, dtype)
            if dtype != self.dtype:
                self.spare_wire = spare
            else:
                self.spare = spare
        return spare

    def pack(self, arrays, buffer, scale, xp):
        """Copy the bucket's arrays into ``buffer``, times ``scale`` (None: 1)."""
        if len(self.entries) > 1 and \
                buffer.nbytes < _SMALL_ARRAY_BYTES * len(self.entries):
            xp.concatenate([arrays[i].reshape(-1) for i, _, _, _ in self.entries],
                           out=buffer, casting="unsafe")
            if scale is not None:
                xp.multiply(buffer, scale, out=buffer)
            return
        for i, offset, size, _ in self.entries:
            part = buffer[offset:offset + size]
            flat = arrays[i].reshape(-1)
            if scale is None:
                part[...] = flat
            else:
                xp.multiply(flat, scale, out=part, casting="unsafe")


class Plan:
    def __init__(self, arrays, backends, names, bucket_bytes, runtime):
        self.size = len(arrays)
        self.signature = [(name, tuple(a.shape), str(a.dtype), b.kind)
                          for name, a, b in zip(names, arrays, backends)]
        self.digest = zlib.crc32(repr([s[1:] for s in self.signature]).encode())
        self.buckets = []
        open_buckets = {}
        for i, (a, backend) in enumerate(zip(arrays, backends)):
            dtype = str(a.dtype)
            engine = backend.collectives(runtime)
            wire = dtype if engine.reduces(dtype) else "float32"
            key = (backend.name, dtype)
            bucket = open_buckets.get(key)
            nbytes = a.size * a.itemsize
            if bucket is None or (bucket.count and
                                  (bucket.count * a.itemsize + nbytes > bucket_bytes)):
                bucket = open_buckets[key] = _Bucket(backend, dtype, wire)
                self.buckets.append(bucket)
            bucket.entries.append((i, bucket.count, a.size, tuple(a.shape)))
            bucket.count += a.size

    def describe(self):
        return (f"{self.size} arrays in {len(self.buckets)} bucket(s) of "
                + ", ".join(f"{b.count} {b.dtype}" for b in self.buckets))


class Reducer:
    """Grouped collectives over lists of arrays, with plans cached by layout."""

    def __init__(self, runtime, bucket_bytes=None):
        self.runtime = runtime
        self.bucket_bytes = int(bucket_bytes or DEFAULT_BUCKET_BYTES)
        if self.bucket_bytes <= 0:
            raise ValueError(f"bucket_bytes must be positive, got {bucket_bytes}")
        self._plans = {}
        self.collectives = 0         # launched so far (tests, benchmarks)

    def plan(self, arrays, backends, names):
        key = tuple((tuple(a.shape), a.dtype.char, b.name, n)
                    for a, b, n in zip(arrays, backends, names))
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) > 64:            # layouts that keep changing: forget old ones
                self._plans.clear()
            plan = self._plans[key] = Plan(arrays, backends, names, self.bucket_bytes,
                                           self.runtime)
        return plan

    def check_agreement(self, plan, what):
        """Every rank reduces the same list, or every rank raises."""
        rt = self.runtime
        if rt.digests_agree(plan.digest, plan.size, f"the layout of {what}"):
            return
        lists = rt.allgather_object(plan.signature, f"the lists of {what}")
        raise InvalidArgumentError(f"{what}: the ranks disagree on what to reduce:\n"
                                   + _differences(lists))

    def allreduce(self, arrays, backends, op="average", names=None, what="allreduce"):
        """Reduced copies of ``arrays`` (views of the reduced buckets)."""
        if op not in _OPS:
            raise ValueError(f"op must be one of {sorted(_OPS)}, got {op!r}")
        rt = self.runtime
        names = names or [f"tensor {i}" for i in range(len(arrays))]
        if op == "average":
            for name, a in zip(names, arrays):
                if a.dtype.kind not in "fc":
                    raise InvalidArgumentError(f"{what}: cannot average {name}, of dtype "
                                               f"{a.dtype}; use op=Sum for integers")
        plan = self.plan(arrays, backends, names)
        self.check_agreement(plan, what)
        scale = 1.0 / rt.size if op == "average" else None
        pending = []
        for number, bucket in enumerate(plan.buckets):
            engine = bucket.backend.collectives(rt)
            buffer = bucket.buffer(engine, bucket.wire)
            bucket.pack(arrays, buffer, scale, bucket.backend.xp)
            pending.append((buffer, engine.allreduce(buffer, _OPS[op]), number))
            self.collectives += 1
        results = [None] * plan.size
        for (buffer, done, number), bucket in zip(pending, plan.buckets):
            rt.wait(done, f"{what}: bucket {number + 1} of {len(plan.buckets)} "
                          f"({bucket.count} {bucket.dtype})")
            if bucket.wire != bucket.dtype:
                wire, buffer = buffer, bucket.buffer(bucket.backend.collectives(rt), bucket.dtype)
                buffer[...] = wire
            for i, offset, size, shape in bucket.entries:
                results[i] = buffer[offset:offset + size].reshape(shape)
        return results

    def broadcast(self, arrays, backends, root, names=None, what="broadcast"):
        """``root``'s values of ``arrays``, on every rank (new arrays)."""
        rt = self.runtime
        if not 0 <= root < rt.size:
            raise ValueError(f"root_rank {root} is not a rank of this run (0 to {rt.size - 1})")
        names = names or [f"tensor {i}" for i in range(len(arrays))]
        plan = self.plan(arrays, backends, names)
        self.check_agreement(plan, what)
        pending = []
        for number, bucket in enumerate(plan.buckets):
            engine = bucket.backend.collectives(rt)
            buffer = bucket.buffer(engine, bucket.dtype)
            if rt.rank == root:
                bucket.pack(arrays, buffer, None, bucket.backend.xp)
            pending.append((buffer, engine.broadcast(buffer, root), number))
            self.collectives += 1
        results = [None] * plan.size
        for (buffer, done, number), bucket in zip(pending, plan.buckets):
            rt.wait(done, f"{what}: bucket {number + 1} of {len(plan.buckets)}")
            for i, offset, size, shape in bucket.entries:
                results[i] = buffer[offset:offset + size].reshape(shape)
        return results


def _differences(lists):
    """Lines naming how each rank's list differs from rank 0's."""
    reference = lists[0]
    lines = []
    for rank, other in enumerate(lists[1:], 1):
        if len(other) != len(reference):
            lines.append(f"  rank 0 has {len(reference)} values, rank {rank} has {len(other)}")
        for i, (a, b) in enumerate(zip(reference, other)):
            if a[1:] != b[1:]:
                lines.append(f"  value {i}: rank 0 has '{a[0]}' {list(a[1])} {a[2]}, "
                             f"rank {rank} has '{b[0]}' {list(b[1])} {b[2]}")
        for i in range(len(reference), len(other)):
            lines.append(f"  value {i}: only rank {rank} has '{other[i][0]}' "
                         f"{list(other[i][1])} {other[i][2]}")
        for i in range(len(other), len(reference)):
            lines.append(f"  value {i}: rank {rank} lacks '{reference[i][0]}' "
                         f"{list(reference[i][1])} {reference[i][2]}")
    return "\n".join(lines[:40]) + ("\n  ..." if len(lines) > 40 else "")
