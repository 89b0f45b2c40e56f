"""Ways a run goes wrong. ``faults.py MODE TIMEOUT``; rank 1 misbehaves:

raise      raises ValueError between two reductions
hang       sleeps past the timeout instead of joining the next reduction
shapes     reduces a gradient of another shape
variables  reduces the gradients of one variable more
fit        raises in a callback during Model.fit
"""
import sys
import time

import numpy as np

import gpugrad as tf
import gpugrad.distributed as hvd

mode, timeout = sys.argv[1], float(sys.argv[2])
hvd.init(timeout=timeout)
rank = hvd.rank()
hvd.allreduce(tf.constant([1.0]))          # everyone got this far
bad = rank == 1

if mode == "raise":
    if bad:
        raise ValueError("rank 1 read a corrupt batch")
    hvd.allreduce(tf.constant([2.0]))
elif mode == "hang":
    if bad:
        time.sleep(4 * timeout)
    hvd.allreduce(tf.constant([2.0]))
elif mode in ("shapes", "variables"):
    w = tf.Variable(tf.ones([3, 2 if not (bad and mode == "shapes") else 4]), name="w")
    b = tf.Variable(tf.zeros([2]), name="b")
    extra = tf.Variable(tf.zeros([5]), name="extra")
    variables = [w, b] + ([extra] if bad and mode == "variables" else [])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w) + tf.reduce_sum(b) + tf.reduce_sum(extra)
    hvd.DistributedGradientTape(tape).gradient(loss, variables)
elif mode == "fit":
    class Fail(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if bad and epoch == 1:
                raise RuntimeError("rank 1's callback failed")
    model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    x = np.ones((64, 3), "float32")
    model.fit(x, np.zeros((64, 2), "float32"), epochs=5, verbose=0, callbacks=[Fail()])
print(f"rank {rank} finished", flush=True)
