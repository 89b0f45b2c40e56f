"""How does assignment interact with gradients, inside and outside a tape?

An assignment changes a variable's state; it is not an op the tape records.
So no gradient flows *through* an assignment to whatever was assigned, and
a value read before an assignment keeps the old value. What the tape does
record is each *read* of a variable: the gradient with respect to a variable
is the sum over its reads. Rebinding a Python name (`w = w - 0.1 * g`) is not
an assignment at all: it replaces the variable by a tensor.

Runs unchanged on TensorFlow 2 (swap the import): the printed lines are the same.
"""
import gpugrad as tf


def show(name, value):
    print(f"{name}: {None if value is None else round(float(value), 4)}")


x = tf.Variable(3.0)
v = tf.Variable(2.0)

# 1. Inside a tape, assign x * 2 to v, then use v: no path leads back to x.
with tf.GradientTape() as tape:
    v.assign(x * 2.0)              # v is now 6.0: a change of state, not an op
    y = v * v                      # reads v (6.0)
show("y", y)
show("dy/dx through the assignment", tape.gradient(y, x))

# 2. Each read is recorded: a read before and a read after an assignment are
#    both reads of v, and the gradient with respect to v sums over them.
with tf.GradientTape() as tape:
    before = v * 1.0               # reads 6.0
    v.assign(10.0)
    after = v * 3.0                # reads 10.0
    total = before + after
show("before", before)
show("after", after)
show("d(total)/dv, over both reads", tape.gradient(total, v))

# 3. Outside a tape, assignment is how training changes a variable...
w = tf.Variable(1.0)
with tf.GradientTape() as tape:
    loss = (w * 4.0 - 2.0) ** 2
g = tape.gradient(loss, w)
w.assign_sub(0.01 * g)             # stays a Variable
print("after assign_sub, w is a Variable:", isinstance(w, tf.Variable))

# 4. ...while rebinding the name replaces the variable with a plain tensor,
#    which the next tape does not watch: its gradient is None.
w = w - 0.01 * g
print("after w = w - 0.01 * g, w is a Variable:", isinstance(w, tf.Variable))
with tf.GradientTape() as tape:
    loss = (w * 4.0 - 2.0) ** 2
show("gradient for the rebound name", tape.gradient(loss, w))
