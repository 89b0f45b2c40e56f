"""A custom training loop: variables, a GradientTape, an optimizer and a
traced step, on the GPU when there is one.

Classifies two interleaved spirals with a 2-64-64-2 MLP written by hand.
The step (forward, gradient, Adam update) is one ``@tf.function``: it
traces once, then each call runs the traced graph.

    python examples/custom_training_loop.py [--steps 400] [--device cpu|gpu|auto]
"""
import argparse
import math
import time

import gpugrad as tf


def spirals(n, seed=0):
    """n points on each of two spirals, labelled 0 and 1, with noise."""
    tf.random.set_seed(seed)
    t = tf.sqrt(tf.random.uniform([n])) * 3 * math.pi
    noise = tf.random.normal([2 * n, 2], stddev=0.2)
    first = tf.stack([t * tf.cos(t), t * tf.sin(t)], axis=1) / 5.0
    x = tf.concat([first, -first], axis=0) + noise / 5.0
    y = tf.concat([tf.zeros([n], tf.int32), tf.ones([n], tf.int32)], axis=0)
    return x, y


def dense(fan_in, fan_out, name):
    scale = math.sqrt(2.0 / fan_in)
    return (tf.Variable(tf.random.normal([fan_in, fan_out], stddev=scale), name=name + "/w"),
            tf.Variable(tf.zeros([fan_out]), name=name + "/b"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--device", default="auto", help="cpu, gpu, gpu:N or auto")
    args = parser.parse_args()
    device = tf.get_device() if args.device == "auto" else args.device

    with tf.device(device):
        x, y = spirals(500)
        layers = [dense(2, 64, "hidden1"), dense(64, 64, "hidden2"), dense(64, 2, "out")]
        params = [v for layer in layers for v in layer]
        optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)

        def logits_of(x):
            h = x
            for i, (w, b) in enumerate(layers):
                h = tf.matmul(h, w) + b
                if i < len(layers) - 1:
                    h = tf.nn.relu(h)
            return h

        @tf.function
        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits_of(x)))
            optimizer.apply_gradients(zip(tape.gradient(loss, params), params))
            return loss

        print(f"gpugrad {tf.__version__} on {params[0].device}")
        start = time.perf_counter()
        for step in range(1, args.steps + 1):
            loss = train_step(x, y)
            if step % 100 == 0 or step == args.steps:
                print(f"step {step:4d}  loss {float(loss):.4f}")
        elapsed = time.perf_counter() - start
        predicted = tf.argmax(logits_of(x), axis=1, output_type=tf.int32)
        accuracy = float(tf.reduce_mean(tf.cast(tf.equal(predicted, y), tf.float32)))
    print(f"training accuracy {accuracy:.3f}; {1e3 * elapsed / args.steps:.2f} ms per step "
          f"({train_step.experimental_get_tracing_count()} trace)")


if __name__ == "__main__":
    main()
