"""Train a small MLP on fixed data; rank 0 saves the final weights.

    train_mlp.py MODE BATCH STEPS_OR_EPOCHS [--distributed]

MODE ``fit``: Model.fit (which shards and averages by itself after init);
``fit_stop``: the same, with a callback on the last rank alone that stops
training after its third batch;
``tape``: a hand-written loop with DistributedGradientTape, eager;
``traced``: the same step in a gpugrad.function with DistributedOptimizer.
BATCH is per process. Without --distributed it is one plain process.
"""
import sys

import numpy as np
from _report import report

import gpugrad as tf
import gpugrad.distributed as hvd

mode, batch, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
distributed = "--distributed" in sys.argv
rank, size = 0, 1
if distributed:
    hvd.init(timeout=60)
    rank, size = hvd.rank(), hvd.size()

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).astype("int32")

# different seeds per rank: broadcasting rank 0's weights must make them equal
tf.random.set_seed(7 + 100 * rank)
model = tf.keras.Sequential([
    tf.keras.layers.Dense(32, activation="relu", input_shape=(8,)),
    tf.keras.layers.Dense(2),
])
model.build((None, 8))
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam(0.01)



class StopAfterThirdBatch(tf.keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            self.model.stop_training = True


if mode in ("fit", "fit_stop"):
    model.compile(optimizer=optimizer, loss=loss_fn, metrics=["accuracy"])
    callbacks = [StopAfterThirdBatch()] if mode == "fit_stop" and rank == size - 1 else []
    history = model.fit(x, y, batch_size=batch, epochs=count, shuffle=False, verbose=0,
                        callbacks=callbacks)
    logs = {k: v[-1] for k, v in history.history.items()}
else:
    if distributed:
        hvd.broadcast_variables(model.trainable_variables, root_rank=0)
        # rank r's samples r, r + size, ...: step k covers what one process's step k does
        x, y = x[rank::size], y[rank::size]
    if mode == "traced" and distributed:
        optimizer = hvd.DistributedOptimizer(optimizer)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        if mode == "tape" and distributed:
            tape = hvd.DistributedGradientTape(tape)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    if mode == "traced":
        step = tf.function(step)
    steps_per_epoch = len(x) // batch
    for i in range(count):
        k = i % steps_per_epoch
        loss = step(tf.constant(x[k * batch:(k + 1) * batch]), tf.constant(y[k * batch:(k + 1) * batch]))
    logs = {"loss": float(loss)}

weights = [v.numpy() for v in model.trainable_variables]
if rank == 0:
    np.savez("weights.npz", *weights)
report(rank, {"logs": logs, "checksum": float(sum(np.abs(w).sum() for w in weights)),
              "iterations": int(optimizer.iterations.numpy())})
