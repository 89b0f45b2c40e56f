"""How are values updated by hand at run time, and what happens inside a
traced function?

Eagerly, `assign`, `assign_add` and `assign_sub` change a variable at once.
Inside `@tf.function` they are recorded while tracing and then run on
*every* call, in program order, while Python statements run only while
tracing. A variable is read when each call runs (changes made outside are
seen); a Python number is read once, while tracing, and is fixed in the
trace. The common claim that a traced function "keeps the variable's value
from when it was traced" gets this backwards.

Runs unchanged on TensorFlow 2 (swap the import): the printed lines are the same.
"""
import gpugrad as tf

v = tf.Variable(0.0)
v.assign_add(1.0)                  # eagerly: at once
print("eager assign_add:", float(v.numpy()))

step_size = 0.5
python_runs = []


@tf.function
def update():
    python_runs.append("traced")   # Python: runs while tracing only
    v.assign_add(step_size)        # an op of the trace: runs on every call
    return v.read_value()          # read after the assignment: sees it


for _ in range(3):
    update()
print("after 3 calls:", float(v.numpy()), "| Python body ran", len(python_runs), "time(s)")

step_size = 100.0                  # a Python value: fixed in the trace
update()
print("after changing the Python step size:", float(v.numpy()))

v.assign(-1.0)                     # by hand, outside: the next call reads it
print("the call after v.assign(-1.0) returns:", float(update().numpy()))
