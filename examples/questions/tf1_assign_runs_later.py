"""Why does a TensorFlow 1-style assign not change the variable until it runs?

In a graph, `tf.compat.v1.assign(v, value)` does not assign anything: it
*builds an op* that assigns when a Session runs it (or something that
depends on it). Until then the variable keeps its value, and every
`sess.run` of the op assigns again. A common reading of TF1 code treats
`assign` as an immediate statement; the graph shows otherwise. Variable
values live in each Session, not in the graph.

Runs unchanged on TensorFlow 2 (swap the import): the printed lines are the same.
"""
import gpugrad as tf

v1 = tf.compat.v1
graph = tf.Graph()
with graph.as_default():
    v = v1.Variable(1.0)
    add_one = v1.assign_add(v, 1.0)        # an op: nothing happens yet
    with v1.control_dependencies([add_one]):
        read_after = v1.identity(v)        # runs add_one first, then reads
    init = v1.global_variables_initializer()

with v1.Session(graph=graph) as sess:
    sess.run(init)
    print("after building assign_add:", sess.run(v))
    print("running the op returns:", sess.run(add_one))
    print("the variable is now:", sess.run(v))
    print("read with a control dependency:", sess.run(read_after))
    print("each run assigns again:", sess.run(v))

with v1.Session(graph=graph) as other:
    other.run(init)
    print("another session has its own value:", other.run(v))
