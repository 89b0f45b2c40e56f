"""Every op's gradient inside a traced function equals the tape's.

The cases are the gradient sweep's (tests/ops/test_gradients.py). Inside a
``gpugrad.function`` every shape is known, so the gradient rules are built
into the trace as plain ops (``inline_gradients``) and the function's graph
passes run over them: this checks both, for every registered op.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gpugrad as tf
from gradient_sweep import CASE_NAMES, draw, flat


@pytest.mark.parametrize("name", CASE_NAMES)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_traced_gradient_equals_the_tape(name, data):
    case, inputs, params, rng = draw(name, data)

    def grads_of(*xs):
        with tf.GradientTape(persistent=True) as tape:
            for x in xs:
                tape.watch(x)
            outs = flat(case.fn(*xs, **params))
        cotangents = [tf.constant(c) for c in seeds]
        return outs, tape.gradient(outs, list(xs), output_gradients=cotangents)

    with tf.GradientTape() as probe:
        for x in inputs:
            probe.watch(x)
        shapes_out = [o.shape for o in flat(case.fn(*inputs, **params))]
    seeds = [rng.standard_normal(list(s)).astype(np.float64) for s in shapes_out]
    outs, expected = grads_of(*inputs)
    traced = tf.function(grads_of)
    for _ in range(2):                     # trace, then run the cached trace
        t_outs, got = traced(*inputs)
        assert [g is None for g in got] == [e is None for e in expected]
        for g, e in zip(got, expected):
            if e is not None:
                np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)
        for o, e in zip(t_outs, outs):
            np.testing.assert_allclose(o.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)
