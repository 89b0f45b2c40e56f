"""On a GPU: the NCCL engine, the device init() picks, buckets on the GPU.
As many ranks as the machine has GPUs (1 on a one-GPU machine)."""
import numpy as np
from _report import report

import gpugrad as tf
import gpugrad.distributed as hvd

hvd.init(timeout=120, bucket_bytes=4096)
r, n = hvd.rank(), hvd.size()
record = {"device": tf.get_device(), "size": n}
x = tf.constant([1.0, 2.0, 4.0]) * float(r + 1)
record["average"] = hvd.allreduce(x).numpy().tolist()
record["sum"] = hvd.allreduce(x, op=hvd.Sum).numpy().tolist()
record["result_device"] = hvd.allreduce(x).device
record["engine"] = type(hvd._reducer.plan([x._data], [x._backend], ["x"])
                        .buckets[0].backend.collectives(hvd._reducer.runtime)).__name__
# float16 travels as float16 on NCCL (no float32 detour)
half = hvd._reducer.plan([tf.constant([1.0], dtype=tf.float16)._data],
                         [x._backend], ["h"]).buckets[0]
record["float16_wire"] = half.wire
# 100 tensors of 10..109 float32 in 4 KiB buckets
before = hvd._reducer.collectives
parts = hvd.grouped_allreduce([tf.fill([10 + i], float(r + i)) for i in range(100)], op=hvd.Sum)
record["grouped_ok"] = all(np.array_equal(p.numpy(), np.full(10 + i, float(sum(q + i for q in range(n)))))
                           for i, p in enumerate(parts))
record["grouped_collectives"] = hvd._reducer.collectives - before
v = tf.Variable([float(r), 1.0])
hvd.broadcast_variables([v], root_rank=0)
record["variable"] = v.numpy().tolist()
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(v * v)
record["gradient"] = hvd.DistributedGradientTape(tape).gradient(loss, v).numpy().tolist()
record["allgather"] = hvd.allgather(tf.fill([r + 1, 2], float(r))).numpy().tolist()
report(r, record)
