"""Starting numba's thread pool leaves the environment as it found it and
keeps a wait policy the user chose (kernels/_threads.py explains why the pool
starts with passive waiting; benchmarks/train_step.py shows the effect)."""
import os
import subprocess
import sys

CODE = """
import os, numpy as np, gpugrad as gg
w = gg.Variable(np.zeros(300_000, np.float32))   # large: the parallel kernel
gg.optimizers.Adam(0.1).apply_gradients([(gg.ones([300_000]), w)])
import numba
print(numba.threading_layer(), os.environ.get("OMP_WAIT_POLICY"))
"""


def run(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    full.update(env)
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=full,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_pool_starts_and_the_environment_is_restored():
    layer, policy = run()
    assert layer in ("omp", "tbb", "workqueue")
    assert policy == "None"


def test_a_wait_policy_the_user_chose_is_kept():
    assert run(OMP_WAIT_POLICY="ACTIVE")[1] == "ACTIVE"
