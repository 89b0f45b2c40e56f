"""Checkpoints in a 2-rank run: rank 0 writes each file once, every rank can
read it back as soon as save returns."""
import os

from _report import report

import gpugrad as tf
import gpugrad.checkpoint as checkpoint_module
import gpugrad.distributed as hvd

writes = []
original = checkpoint_module._write


def counted(children, path):
    writes.append(os.path.basename(path))
    return original(children, path)


checkpoint_module._write = counted
hvd.init(timeout=60)
rank = hvd.rank()
model = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(2,))])
model.build((None, 2))
hvd.broadcast_variables(model.weights, root_rank=0)
optimizer = tf.keras.optimizers.Adam(0.1)
ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
manager = tf.train.CheckpointManager(ckpt, "ckpts", max_to_keep=1)
first = manager.save()
kernel = model.layers[0].kernel
kernel.assign_add(tf.ones_like(kernel))
second = manager.save()
weights_path = model.save_weights("weights.ckpt")
expected = kernel.numpy().tolist()
kernel.assign(tf.zeros_like(kernel))
ckpt.restore(tf.train.latest_checkpoint("ckpts"))     # every rank reads rank 0's file
restored = kernel.numpy().tolist()
report(rank, {"writes": writes, "paths": [first, second, weights_path],
              "restored_equal": restored == expected,
              "files": sorted(os.listdir("ckpts"))})
