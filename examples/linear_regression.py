"""Fit y = 3x - 2 + noise with a GradientTape, on the GPU when there is one.

    python examples/linear_regression.py [--steps 200] [--device cpu|gpu|auto]

The same program runs unchanged on numpy (CPU) and CuPy (GPU) arrays.
"""
import argparse
import time

import gpugrad as tf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--device", default="auto", help="cpu, gpu, gpu:N or auto")
    args = parser.parse_args()
    device = tf.get_device() if args.device == "auto" else args.device

    with tf.device(device):
        tf.random.set_seed(0)
        x = tf.random.uniform([1000, 1], -1.0, 1.0)
        y = 3.0 * x - 2.0 + 0.1 * tf.random.normal([1000, 1])
        w = tf.Variable(tf.zeros([1, 1]), name="w")
        b = tf.Variable(tf.zeros([1]), name="b")

        print(f"gpugrad {tf.__version__} on {w.device} (devices here: {', '.join(tf.list_devices())})")
        start = time.perf_counter()
        for step in range(args.steps + 1):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
            dw, db = tape.gradient(loss, [w, b])
            w.assign_sub(0.1 * dw)
            b.assign_sub(0.1 * db)
            if step % 50 == 0:
                print(f"step {step:4d}  loss {float(loss):.5f}")
        elapsed = time.perf_counter() - start
    print(f"w = {float(w.numpy()[0, 0]):.4f} (true 3), b = {float(b.numpy()[0]):.4f} (true -2); "
          f"{1e3 * elapsed / (args.steps + 1):.2f} ms per step")


if __name__ == "__main__":
    main()
