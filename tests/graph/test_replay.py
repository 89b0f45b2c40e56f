"""Gradient nodes replay their rule's registry ops once a signature is known."""
import numpy as np
import pytest

import gpugrad as gg
from gpugrad.registry import get
from gpugrad.tensor import Tensor


def _graph():
    g = gg.Graph()
    with g.as_default():
        x = gg.placeholder(gg.float32, [None, 3])
        w = gg.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))
        loss = gg.reduce_mean(gg.tanh(gg.matmul(x, w)) ** 2)
        grads = gg.gradients(loss, [x, w])
    sess = gg.Session(graph=g)
    sess.run(w.initializer)
    return sess, x, w, grads


def _eager(data, w_value):
    x, w = gg.constant(data), gg.Variable(w_value)
    with gg.GradientTape() as tape:
        tape.watch(x)
        loss = gg.reduce_mean(gg.tanh(gg.matmul(x, w)) ** 2)
    return [g.numpy() for g in tape.gradient(loss, [x, w])]


@pytest.fixture
def counted_tanh_rule(monkeypatch):
    op = get("tanh")
    calls = []
    (maker,) = op.vjp_makers

    def counting(*args, **kwargs):
        calls.append(1)
        return maker(*args, **kwargs)
    monkeypatch.setattr(op, "vjp_makers", (counting,))
    return calls


def test_the_rule_runs_twice_per_signature_then_replays(counted_tanh_rule):
    sess, x, w, grads = _graph()
    rng = np.random.default_rng(0)
    rule_calls = []
    for batch in [4, 4, 4, 4, 7, 7, 7]:
        data = rng.standard_normal((batch, 3)).astype(np.float32)
        before = len(counted_tanh_rule)
        got = sess.run(grads, {x: data})
        rule_calls.append(len(counted_tanh_rule) - before)
        want = _eager(data, sess.run(w))
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
    # record, check the replay against the rule, then replay only
    assert rule_calls == [1, 1, 0, 0, 1, 1, 0]


def test_a_rule_computing_outside_the_registry_is_not_replayed(monkeypatch):
    """Its first result would be frozen into the replay; the check catches it."""
    op = get("tanh")

    def outside(ans, x):
        return lambda g: Tensor(g._data * (1 - ans._data ** 2), g._backend)
    monkeypatch.setattr(op, "vjp_makers", (outside,))
    sess, x, w, grads = _graph()
    rng = np.random.default_rng(1)
    for _ in range(4):
        data = rng.standard_normal((5, 3)).astype(np.float32)
        got = sess.run(grads, {x: data})
        monkeypatch.undo()
        want = _eager(data, sess.run(w))
        monkeypatch.setattr(op, "vjp_makers", (outside,))
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
