"""Every op's gradient in a graph equals the tape's.

The cases are the gradient sweep's (tests/ops/test_gradients.py). Each runs
in a graph whose inputs are placeholders with an unknown first dimension,
so shape inference, the shape-dependent wrappers, symbolic ``gradients``
and the replay of gradient rules are all exercised for every op. The
session runs three times: record, check the replay, replay.
"""
import importlib.util
import pathlib
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gpugrad as tf

_SWEEP = pathlib.Path(__file__).parent.parent / "ops" / "test_gradients.py"
_spec = importlib.util.spec_from_file_location("gradient_sweep_cases", _SWEEP)
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


def _flat(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


@pytest.mark.parametrize("name", sorted(sweep.CASES))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_graph_gradient_equals_the_tape(name, data):
    case = sweep.CASES[name]
    shapes_, params = data.draw(case.draw, label="shapes, params")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    inputs = case.inputs(shapes_, random.Random(seed))
    rng = np.random.default_rng(seed)

    with tf.GradientTape(persistent=True) as tape:
        for x in inputs:
            tape.watch(x)
        outs = _flat(case.fn(*inputs, **dict(params)))
    cotangents = [rng.standard_normal(o.shape).astype(np.float64) for o in outs]
    expected = tape.gradient(outs, inputs, output_gradients=[tf.constant(c) for c in cotangents])

    graph = tf.Graph()
    with graph.as_default():
        holders = [tf.placeholder(tf.float64, [None] + list(x.shape[1:]) if x.shape else [])
                   for x in inputs]
        g_outs = _flat(case.fn(*holders, **dict(params)))
        seeds = [tf.placeholder(tf.float64, None) for _ in g_outs]
        grads = tf.gradients(g_outs, holders, grad_ys=seeds)
    feed = {h: x.numpy() for h, x in zip(holders, inputs)}
    feed.update(zip(seeds, cotangents))
    fetch = [g for g in grads if g is not None]
    with tf.Session(graph=graph, device="cpu") as sess:
        runs = [sess.run(fetch, feed) for _ in range(3)]
    assert [g is None for g in grads] == [e is None for e in expected]
    want = [e.numpy() for e in expected if e is not None]
    for got in runs:
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
