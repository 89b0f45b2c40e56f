"""Gradient accumulation: train with a batch larger than fits at once.

Each step of the large batch is split into micro-batches; their gradients
are added up and applied once, as their mean. Done two ways, by hand with a
GradientTape and with the optimizer's ``gradient_accumulation_steps``, and
both are checked against one step on the whole batch.

    python examples/gradient_accumulation.py [--micro-batches 4] [--steps 20]
"""
import argparse

import gpugrad as tf


def model_loss(w, b, x, y):
    return tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--micro-batches", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    k = args.micro_batches

    tf.random.set_seed(0)
    x = tf.random.normal([64 * k, 8])
    y = tf.matmul(x, tf.random.normal([8, 1])) + 0.5
    start_w, start_b = tf.random.normal([8, 1]), tf.zeros([1])

    def fresh():
        return tf.Variable(start_w), tf.Variable(start_b)

    # the reference: one step per whole batch
    w_full, b_full = fresh()
    full = tf.keras.optimizers.SGD(learning_rate=0.05)
    # by hand: add the micro-batch gradients, apply their mean
    w_hand, b_hand = fresh()
    by_hand = tf.keras.optimizers.SGD(learning_rate=0.05)
    # the optimizer accumulates: one update every k calls
    w_opt, b_opt = fresh()
    accumulating = tf.keras.optimizers.SGD(learning_rate=0.05, gradient_accumulation_steps=k)

    for step in range(1, args.steps + 1):
        with tf.GradientTape() as tape:
            loss = model_loss(w_full, b_full, x, y)
        full.apply_gradients(zip(tape.gradient(loss, [w_full, b_full]), [w_full, b_full]))

        sums = [tf.zeros_like(w_hand), tf.zeros_like(b_hand)]
        for xb, yb in zip(tf.split(x, k), tf.split(y, k)):
            with tf.GradientTape() as tape:
                micro = model_loss(w_hand, b_hand, xb, yb)
            sums = [s + g for s, g in zip(sums, tape.gradient(micro, [w_hand, b_hand]))]
            with tf.GradientTape() as tape:
                micro = model_loss(w_opt, b_opt, xb, yb)
            accumulating.apply_gradients(zip(tape.gradient(micro, [w_opt, b_opt]), [w_opt, b_opt]))
        by_hand.apply_gradients(zip([s / k for s in sums], [w_hand, b_hand]))
        if step % 5 == 0:
            print(f"step {step:3d}  whole-batch loss {float(loss):.5f}")

    def gap(a, b):
        return float(tf.reduce_max(tf.abs(a - b)))
    print(f"largest difference from whole-batch training: by hand {gap(w_hand, w_full):.1e}, "
          f"gradient_accumulation_steps={k} {gap(w_opt, w_full):.1e}")
    print(f"update steps taken: {int(accumulating.iterations.numpy())}")


if __name__ == "__main__":
    main()
