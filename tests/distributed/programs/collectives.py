"""Each collective once; every rank prints one JSON record of the results."""
from _report import report

import gpugrad as tf
import gpugrad.distributed as hvd

hvd.init(timeout=60)
r, n = hvd.rank(), hvd.size()
x = tf.constant([1.0, 2.0, 4.0]) * float(r + 1)
record = {
    "rank": r, "size": n, "local_rank": hvd.local_rank(), "device": tf.get_device(),
    "average": hvd.allreduce(x).numpy().tolist(),
    "sum": hvd.allreduce(x, op=hvd.Sum).numpy().tolist(),
    "max": hvd.allreduce(x, op=hvd.Max).numpy().tolist(),
    "min": hvd.allreduce(x, op=hvd.Min).numpy().tolist(),
    "int_sum": hvd.allreduce(tf.constant([r + 1, 10]), op=hvd.Sum).numpy().tolist(),
    "float64_average": hvd.allreduce(tf.constant([float(r)], dtype=tf.float64)).numpy().tolist(),
    "float16_sum": hvd.allreduce(tf.constant([0.5 * (r + 1)], dtype=tf.float16),
                                 op=hvd.Sum).numpy().tolist(),
    "float16_dtype": hvd.allreduce(tf.constant([1.0], dtype=tf.float16)).dtype.name,
    "broadcast": hvd.broadcast(tf.constant([float(r)] * 2), root_rank=n - 1).numpy().tolist(),
    "allgather": hvd.allgather(tf.fill([r + 1, 2], float(r))).numpy().tolist(),
}
# a grouped reduction: 100 small tensors in buckets of 1 KiB
hvd.init(bucket_bytes=1024)
before = hvd._reducer.collectives
parts = hvd.grouped_allreduce([tf.fill([10 + i], float(r + i)) for i in range(100)], op=hvd.Sum)
record["grouped_ok"] = all(p.numpy().tolist() == [float(sum(q + i for q in range(n)))] * (10 + i)
                           for i, p in enumerate(parts))
record["grouped_collectives"] = hvd._reducer.collectives - before
# broadcast_variables: every rank ends with rank 0's values
v, w = tf.Variable([float(r), 1.0]), tf.Variable([[float(r)]])
hvd.broadcast_variables([v, w], root_rank=0)
record["variables"] = [v.numpy().tolist(), w.numpy().tolist()]
# broadcast_variables in a traced function: rank 0's values when it runs
u = tf.Variable([0.0])


@tf.function
def sync():
    hvd.broadcast_variables([u], root_rank=0)


record["traced_broadcast"] = []
for call in range(2):
    u.assign([10.0 * call + r])
    sync()
    record["traced_broadcast"].append(u.numpy().tolist())
# and in a TensorFlow 1 graph: an op that broadcasts when the session runs it
with tf.Graph().as_default():
    g = tf.Variable([float(r)])
    sync_op = hvd.broadcast_variables([g], root_rank=n - 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        record["graph_broadcast"] = [sess.run(g).tolist()]
        sess.run(sync_op)
        record["graph_broadcast"].append(sess.run(g).tolist())
# DistributedGradientTape, used around the recording and wrapped after it
with hvd.DistributedGradientTape(tf.GradientTape()) as tape:
    loss = tf.reduce_sum(v * v) * float(r + 1)
unused = tf.Variable(1.0)
record["tape"] = [g.numpy().tolist() if g is not None else None
                  for g in tape.gradient(loss, [v, unused])]
report(r, record)
