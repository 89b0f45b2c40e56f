"""Fit y = X @ w + b with a TensorFlow 1 graph, placeholders and a Session.

    python examples/tf1_linear_regression.py [--steps 1000] [--device cpu|gpu|gpu:N]

The graph is built once (placeholders, variables, loss, train op); the
training loop only feeds numpy mini-batches to ``sess.run``. The program
exits with status 1 if the learned weights are not close to the true ones,
so CI can run it as a check.
"""
import argparse
import sys
import time

import numpy as np

import gpugrad as tf


def make_data(n_samples, n_features, seed):
    """Synthetic data with known weights: y = X @ w_true + b_true + noise."""
    rng = np.random.default_rng(seed)
    w_true = rng.uniform(-3.0, 3.0, size=(n_features, 1)).astype(np.float32)
    b_true = np.float32(1.5)
    x = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    noise = 0.05 * rng.normal(size=(n_samples, 1)).astype(np.float32)
    y = (x @ w_true + b_true + noise).astype(np.float32)
    return x, y, w_true, b_true


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="training steps (mini-batches)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--device", default=tf.get_device(),
                        help="cpu, gpu or gpu:N (default: gpugrad's current device, %(default)s)")
    parser.add_argument("--tolerance", type=float, default=0.05,
                        help="largest allowed |learned - true| for any weight or the bias")
    args = parser.parse_args()

    n_features = 5
    x_data, y_data, w_true, b_true = make_data(4096, n_features, seed=0)

    # ---- build the graph: nothing is computed here
    graph = tf.Graph()
    with graph.as_default():
        X = tf.placeholder(tf.float32, [None, n_features], name="X")
        y = tf.placeholder(tf.float32, [None, 1], name="y")
        W = tf.Variable(tf.zeros([n_features, 1]), name="W")
        b = tf.Variable(tf.zeros([1]), name="b")

        prediction = tf.matmul(X, W) + b
        loss = tf.reduce_mean(tf.square(prediction - y), name="mse")

        global_step = tf.train.get_or_create_global_step()
        optimizer = tf.train.GradientDescentOptimizer(args.learning_rate)
        train_op = optimizer.minimize(loss, global_step=global_step)
        init = tf.global_variables_initializer()
    graph.finalize()     # catches ops accidentally built inside the loop

    # ---- run it
    rng = np.random.default_rng(1)
    report_every = max(1, args.steps // 10)
    with tf.Session(graph=graph, device=args.device) as sess:
        print(f"gpugrad {tf.__version__}, session on {sess.device}; "
              f"X {X.shape}, prediction {prediction.shape}")
        sess.run(init)
        start = time.perf_counter()
        for step in range(1, args.steps + 1):
            rows = rng.integers(0, len(x_data), size=args.batch_size)
            # the loss is computed on the batch before this step's update
            _, batch_loss = sess.run([train_op, loss],
                                     feed_dict={X: x_data[rows], y: y_data[rows]})
            if step % report_every == 0 or step == 1:
                print(f"step {step:5d}  batch loss {batch_loss:.5f}")
        elapsed = time.perf_counter() - start
        assert sess.run(global_step) == args.steps    # minimize(global_step=) counted them
        full_loss = sess.run(loss, feed_dict={X: x_data, y: y_data})
        w_learned, b_learned = sess.run([W, b])

    print(f"full-data loss {full_loss:.5f}; "
          f"{1e3 * elapsed / max(args.steps, 1):.3f} ms per step")
    print("       learned      true")
    for i in range(n_features):
        print(f"w[{i}] {w_learned[i, 0]:9.4f} {w_true[i, 0]:9.4f}")
    print(f"b    {b_learned[0]:9.4f} {b_true:9.4f}")

    error = max(float(np.max(np.abs(w_learned - w_true))), abs(float(b_learned[0] - b_true)))
    if not np.isfinite(error) or error > args.tolerance:
        print(f"FAIL: largest weight error {error:.4f} > tolerance {args.tolerance}")
        return 1
    print(f"OK: largest weight error {error:.4f} <= tolerance {args.tolerance}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
