"""Train a classifier on real handwritten digits, on the GPU when there is one.

The digits are scikit-learn's bundled set (1,797 8x8 images, nothing is
downloaded). An MLP by default, or a small CNN with ``--model cnn``; Keras's
API (``Sequential``, ``compile``, ``fit`` with a progress bar per epoch,
``evaluate``), the training step traced with ``gpugrad.function``. Prints
the device, the time per epoch and the test accuracy, and writes the loss
and accuracy curves to a PNG.

    python examples/train_digits.py [--model mlp|cnn] [--epochs 30]
                                    [--device auto|cpu|gpu] [--plot digits.png]
"""
import argparse
import time

import gpugrad as tf


def load_digits(seed=0):
    """(x_train, x_test, y_train, y_test): pixels scaled to [0, 1], 8x8x1
    images, a stratified 80/20 split."""
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split
    digits = sklearn_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    labels = digits.target.astype("int32")
    return train_test_split(images, labels, test_size=0.2, random_state=seed, stratify=labels)


def build(kind):
    layers = tf.keras.layers
    if kind == "mlp":
        return tf.keras.Sequential([
            layers.Flatten(input_shape=(8, 8, 1)),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ])
    return tf.keras.Sequential([
        layers.Conv2D(32, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
    ])


class EpochTimer(tf.keras.callbacks.Callback):
    """Seconds per epoch, for the summary line."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def plot(history, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    h = history.history
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(h["loss"], label="train")
    left.plot(h["val_loss"], label="test")
    left.set(title="loss", xlabel="epoch")
    right.plot(h["accuracy"], label="train")
    right.plot(h["val_accuracy"], label="test")
    right.set(title="accuracy", xlabel="epoch")
    for ax in (left, right):
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="auto", help="cpu, gpu, gpu:N or auto")
    parser.add_argument("--plot", default="digits.png", help="where to write the curves")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()
    device = tf.get_device() if args.device == "auto" else args.device

    x_train, x_test, y_train, y_test = load_digits()
    with tf.device(device):
        tf.random.set_seed(0)
        model = build(args.model)
        model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        print(f"gpugrad {tf.__version__}: {args.model} on {device} "
              f"({len(x_train)} training and {len(x_test)} test digits)")
        timer = EpochTimer()
        history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                            validation_data=(x_test, y_test), callbacks=[timer],
                            verbose=0 if args.quiet else 1)
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    first, rest = timer.seconds[0], timer.seconds[1:] or timer.seconds
    print(f"time per epoch: {1e3 * sum(rest) / len(rest):.0f} ms "
          f"(the first, which traces the step, {1e3 * first:.0f} ms)")
    print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
    if args.plot:
        plot(history, args.plot, f"gpugrad {args.model} on handwritten digits ({device})")
        print(f"curves written to {args.plot}")


if __name__ == "__main__":
    main()
