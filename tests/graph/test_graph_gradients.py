"""Every op's gradient in a graph equals the tape's.

The cases are the gradient sweep's (tests/ops/test_gradients.py). Each runs
in a graph whose inputs are placeholders with an unknown first dimension,
so shape inference, the shape-dependent wrappers, symbolic ``gradients``
and the replay of gradient rules are all exercised for every op. The
session runs three times: record, check the replay, replay.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gpugrad as tf
from gradient_sweep import CASE_NAMES, draw, flat


@pytest.mark.parametrize("name", CASE_NAMES)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_graph_gradient_equals_the_tape(name, data):
    case, inputs, params, rng = draw(name, data)

    with tf.GradientTape(persistent=True) as tape:
        for x in inputs:
            tape.watch(x)
        outs = flat(case.fn(*inputs, **params))
    cotangents = [rng.standard_normal(o.shape).astype(np.float64) for o in outs]
    expected = tape.gradient(outs, inputs, output_gradients=[tf.constant(c) for c in cotangents])

    graph = tf.Graph()
    with graph.as_default():
        holders = [tf.placeholder(tf.float64, [None] + list(x.shape[1:]) if x.shape else [])
                   for x in inputs]
        g_outs = flat(case.fn(*holders, **params))
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
