"""Why is a gradient None, and how are gradients accumulated over batches?

A gradient is None when the tape has no recorded path from the source to
the target: the value was computed before the tape started, went through
numpy (`.numpy()` leaves the tape), through an integer cast, or the source
is not watched (a non-trainable variable, or a tensor without
`tape.watch`). It is not a sign that the loss "does not depend" on the
source: each case below depends on it numerically. Ask for zeros instead
with `unconnected_gradients=tf.UnconnectedGradients.ZERO`.

To accumulate, add the per-batch gradients and apply their mean once: with
equal batches that is exactly the gradient of the whole batch.

Runs unchanged on TensorFlow 2 (swap the import): the printed lines are the same.
"""
import gpugrad as tf

w = tf.Variable([[0.5], [-1.0]])
frozen = tf.Variable(2.0, trainable=False)
x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
y = tf.constant([[1.0], [0.0], [1.0], [0.0]])

early = tf.matmul(x, w)                          # computed before the tape
with tf.GradientTape(persistent=True) as tape:
    through_numpy = tf.constant(tf.matmul(x, w).numpy())
    through_int = tf.cast(tf.cast(tf.matmul(x, w), tf.int32), tf.float32)
    scaled = tf.matmul(x, w) * frozen
    losses = {
        "computed before the tape": tf.reduce_sum(early),
        "through .numpy()": tf.reduce_sum(through_numpy),
        "through an integer cast": tf.reduce_sum(through_int),
    }
    frozen_loss = tf.reduce_sum(scaled)
for why, loss in losses.items():
    print(f"{why}: {tape.gradient(loss, w)}")
print("a non-trainable variable:", tape.gradient(frozen_loss, frozen))
zeros = tape.gradient(losses["through .numpy()"], w,
                      unconnected_gradients=tf.UnconnectedGradients.ZERO)
print("asked for zeros:", zeros.numpy().ravel().tolist())


def loss_of(xb, yb):
    return tf.reduce_mean((tf.matmul(xb, w) - yb) ** 2)


with tf.GradientTape() as tape:
    full_loss = loss_of(x, y)
full = tape.gradient(full_loss, w)

accumulated = tf.zeros_like(w)
batches = [(x[:2], y[:2]), (x[2:], y[2:])]
for xb, yb in batches:
    with tf.GradientTape() as tape:
        batch_loss = loss_of(xb, yb)
    accumulated += tape.gradient(batch_loss, w)
mean = accumulated / len(batches)
print("whole batch:", [round(float(g), 4) for g in full.numpy().ravel()])
print("mean of 2 batches:", [round(float(g), 4) for g in mean.numpy().ravel()])

optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)
optimizer.apply_gradients([(mean, w)])          # one update for both batches
print("w after one accumulated step:", [round(float(v), 4) for v in w.numpy().ravel()])
