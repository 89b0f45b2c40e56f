"""Why not apply a gradient to a variable directly, and what does an optimizer add?

You can: a gradient is a tensor, and `v.assign_sub(lr * g)` is plain
gradient descent, step for step the same as `SGD(lr)`. (Not `v -= lr * g`
or `v = v - lr * g`: those rebind the Python name to a new tensor and the
variable is left behind.) What an optimizer adds is everything beyond
that one line: state kept per variable (momentum, Adam's moment estimates,
in *slot* variables), a step counter for bias correction, learning-rate
schedules, clipping and weight decay, and one fused kernel for all
variables at once.

Runs unchanged on TensorFlow 2 (swap the import): the printed lines are the same.
"""
import gpugrad as tf

optimizers = tf.keras.optimizers


def rounded(values):
    return [round(float(x), 5) for x in tf.reshape(values, [-1]).numpy()]


def gradient_of(w):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((w * 2.0 - 1.0) ** 2)
    return tape.gradient(loss, w)


# 1. By hand, assign_sub is exactly SGD.
by_hand, with_sgd = tf.Variable([1.0, -2.0]), tf.Variable([1.0, -2.0])
sgd = optimizers.SGD(learning_rate=0.1)
for _ in range(3):
    by_hand.assign_sub(0.1 * gradient_of(by_hand))
    sgd.apply_gradients([(gradient_of(with_sgd), with_sgd)])
print("by hand:", rounded(by_hand), " SGD:", rounded(with_sgd))

# 2. Momentum keeps a velocity per variable: the second step is larger.
w = tf.Variable([1.0])
momentum = optimizers.SGD(learning_rate=0.1, momentum=0.9)
steps = []
for _ in range(2):
    old = float(w.numpy()[0])
    momentum.apply_gradients([(tf.constant([1.0]), w)])
    steps.append(round(old - float(w.numpy()[0]), 5))
print("momentum steps for the same gradient:", steps)

# 3. Adam divides by a running root-mean-square of the gradient: its first
#    step is the learning rate whatever the gradient's scale (epsilon shows
#    only for tiny gradients).
for scale in (1000.0, 0.001):
    w = tf.Variable([0.0])
    optimizers.Adam(learning_rate=0.1).apply_gradients([(tf.constant([scale]), w)])
    print(f"Adam's first step for a gradient of {scale}:", rounded(w))

# 4. Clipping: clipnorm rescales a gradient longer than the norm.
w = tf.Variable([0.0, 0.0])
optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients([(tf.constant([3.0, 4.0]), w)])
print("step with gradient [3, 4] clipped to norm 1:", rounded(w))

# 5. A schedule changes the learning rate with the step counter.
schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
w = tf.Variable([0.0])
decaying = optimizers.SGD(learning_rate=schedule)
positions = []
for _ in range(3):
    decaying.apply_gradients([(tf.constant([1.0]), w)])
    positions.append(rounded(w)[0])
print("positions with a halving learning rate:", positions)
print("steps counted:", int(decaying.iterations.numpy()))
