"""Train the digits MLP data-parallel over several processes with gpugrad.distributed.

The same data and model as ``examples/train_digits.py`` (scikit-learn's
1,797 handwritten 8x8 digits, an MLP), trained by ``Model.fit`` over the
ranks of an MPI run: after ``hvd.init()``, fit gives each rank its shard of
the training set, averages the gradients over the ranks in every step and
starts all ranks from rank 0's weights; ``--batch-size`` is per rank, so
the global batch is ``size * batch_size``. Only rank 0 prints. At the end
every rank evaluates the test set, the ranks compare checksums of their
weights (they must be identical), and a checkpoint of the model and the
optimizer is written (by rank 0 alone: every rank calls ``save``).

    OMP_NUM_THREADS=1 mpiexec -n 2 python examples/train_digits_distributed.py
        [--epochs 20] [--batch-size 32] [--checkpoint-dir DIR] [--quiet]
    python examples/train_digits_distributed.py        # one process: size 1

Set ``OMP_NUM_THREADS`` to the machine's cores divided by the ranks on it
(1 for two ranks on two cores): otherwise each rank's math library starts
a thread per core and the ranks fight over them. On a machine with GPUs
each rank takes ``gpu:<local_rank % GPUs>`` and the gradients travel over
NCCL; on CPUs over MPI. See docs/distributed.md.
"""
import argparse
import os
import socket
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpugrad as tf  # noqa: E402
import gpugrad.distributed as hvd  # noqa: E402
from train_digits import EpochTimer, build, load_digits  # noqa: E402


def weights_checksum(model):
    """A CRC32 of every weight's bytes, in order: equal only when the
    weights are bit for bit the same."""
    crc = 0
    for w in model.weights:
        crc = zlib.crc32(w.numpy().tobytes(), crc)
    return crc


def checkpoint_directory(requested, rank):
    """``requested``, or a fresh temporary directory made by rank 0 (the
    only rank that writes) and announced to the others."""
    if requested:
        return requested
    made = tempfile.mkdtemp(prefix="digits-distributed-") if rank == 0 else None
    return hvd.broadcast_object(made, root_rank=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="where rank 0 writes the checkpoint (default: a new temporary "
                             "directory)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()

    hvd.init()                      # MPI's world; on GPUs, picks gpu:<local_rank % GPUs>
    rank, size = hvd.rank(), hvd.size()

    def say(*words):
        if rank == 0:
            print(*words, flush=True)

    devices = hvd.allgather_object((socket.gethostname(), tf.get_device()))
    say(f"gpugrad {tf.__version__}: the digits MLP on {size} rank(s), "
        f"{args.batch_size} samples per rank and step ({size * args.batch_size} in all)")
    for r, (host, device) in enumerate(devices):
        say(f"  rank {r}: {device} on {host}")

    x_train, x_test, y_train, y_test = load_digits()    # the same split on every rank
    tf.random.set_seed(rank)        # each rank its own dropout; fit broadcasts rank 0's weights
    model = build("mlp")
    opt = tf.keras.optimizers.Adam(1e-3)
    model.compile(optimizer=opt,
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_data=(x_test, y_test), callbacks=[timer],
              verbose=0 if args.quiet else 1)
    # outside fit, evaluate runs on the whole test set on every rank
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)

    first, rest = timer.seconds[0], timer.seconds[1:] or timer.seconds
    say(f"time per epoch: {1e3 * sum(rest) / len(rest):.0f} ms "
        f"(the first, which traces the step, {1e3 * first:.0f} ms)")
    say(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")

    sums = hvd.allgather_object(weights_checksum(model))
    identical = len(set(sums)) == 1
    say(f"weights identical on all ranks: {identical}")

    directory = checkpoint_directory(args.checkpoint_dir, rank)
    path = tf.train.Checkpoint(model=model, optimizer=opt).save(os.path.join(directory, "ckpt"))
    say(f"checkpoint written to {path} (by rank 0)")
    if not identical:
        raise SystemExit(f"rank {rank}: the ranks' weights differ (checksums {sums})")


if __name__ == "__main__":
    main()
