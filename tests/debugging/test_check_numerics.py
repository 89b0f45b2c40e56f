"""enable_check_numerics: the first op whose output holds a NaN or an Inf
raises, naming the op and this file's line: eagerly, in a tape's backward
pass, in a Graph run by a Session, and in a traced function."""
import os
import sys

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import config, debugging, errors, registry
from gpugrad.debugging._hooks import short
from gpugrad.graph import session


def here():
    return sys._getframe(1).f_lineno


def at(line):
    site = short(f"{__file__}:{line}")
    assert site.endswith(f"{os.path.basename(__file__)}:{line}")
    return site


# ------------------------------------------------------------------- eager
def test_eager_op_producing_nan(numerics, device):
    x = gg.constant([1.0, -1.0, 0.0])
    line = here() + 2
    with pytest.raises(debugging.CheckNumericsError) as caught:
        gg.log(x)
    text = str(caught.value)
    assert 'in output 0 of eagerly-executing op "log" (# of outputs: 1) !!!' in text
    assert "# of NaN elements: 1" in text and "# of -Inf elements: 1" in text
    assert "dtype: float32" in text and "shape: [3]" in text
    assert f"called at {at(line)}" in text
    assert "backward" not in text
    assert isinstance(caught.value, errors.InvalidArgumentError)


def test_eager_inf_and_the_first_op_only(numerics):
    x = gg.constant([1.0, 0.0])
    line = here() + 2
    with pytest.raises(debugging.CheckNumericsError) as caught:
        gg.reduce_sum(1.0 / x * 2.0)
    text = str(caught.value)
    assert '"divide"' in text and "# of +Inf elements: 1" in text
    assert f"called at {at(line)}" in text


def test_eager_input_already_nan_says_where_it_came_from(numerics):
    x = gg.constant([np.nan, 1.0])       # a constant is not an op: not checked
    with pytest.raises(debugging.CheckNumericsError) as caught:
        gg.exp(x)
    assert "input 0: float32 [2], already held 1 NaN: the value came from outside the " \
           "checked ops" in str(caught.value)


def test_eager_integer_and_finite_ops_pass(numerics):
    x = gg.constant([1, 2])
    assert gg.reduce_sum(x * 2).numpy() == 6
    assert float(gg.reduce_sum(gg.exp(gg.constant([0.0, 1.0])))) > 1.0


def test_eager_backward_pass(numerics, device):
    v = gg.Variable([4.0, 0.0])
    with gg.GradientTape() as tape:
        y = gg.reduce_sum(gg.sqrt(v))
    line = here() + 2
    with pytest.raises(debugging.CheckNumericsError) as caught:
        tape.gradient(y, v)
    text = str(caught.value)
    assert 'of eagerly-executing op "sqrt_grad" (# of outputs: 1) in the backward pass' in text
    assert "in the backward pass: computing the gradient of sqrt" in text
    assert f"called at {at(line)}" in text


def test_eager_backward_pass_names_the_forward_line(numerics, explanations):
    v = gg.Variable([4.0, 0.0])
    with gg.GradientTape() as tape:
        forward = here() + 1
        y = gg.reduce_sum(gg.sqrt(v))
    line = here() + 2
    with pytest.raises(debugging.CheckNumericsError) as caught:
        tape.gradient(y, v)
    text = str(caught.value)
    assert f"computing the gradient of sqrt (called at {at(forward)})" in text, text
    assert f"called at {at(line)}" in text


# ------------------------------------------------------------------ graph
def test_graph_op_in_a_session(numerics, device):
    graph = gg.Graph()
    with graph.as_default():
        p = gg.placeholder(gg.float32, [None])
        line = here() + 1
        y = gg.math.log(p, name="logp") * 2.0
    with gg.Session(graph=graph) as sess:
        assert sess.run(y, {p: [1.0]}).tolist() == [0.0]
        with pytest.raises(debugging.CheckNumericsError) as caught:
            sess.run(y, {p: [1.0, -1.0]})
    text = str(caught.value)
    assert 'in output 0 of graph op "logp" (type log, # of outputs: 1) !!!' in text
    assert f"created at {at(line)}" in text
    assert "# of NaN elements: 1" in text


def test_graph_backward_pass(numerics):
    graph = gg.Graph()
    with graph.as_default():
        p = gg.placeholder(gg.float32, [2])
        forward = here() + 1
        y = gg.sqrt(p)
        line = here() + 1
        (dp,) = gg.gradients(y, [p])
    with gg.Session(graph=graph) as sess:
        with pytest.raises(debugging.CheckNumericsError) as caught:
            sess.run(dp, {p: [1.0, 0.0]})
    text = str(caught.value)
    assert '"gradients/sqrt_grad"' in text and "in the backward pass !!!" in text
    assert f"computing the gradient of 'sqrt' (created at {at(forward)})" in text
    assert f"created at {at(line)}" in text


def test_session_plan_made_before_checks_were_on():
    graph = gg.Graph()
    with graph.as_default():
        p = gg.placeholder(gg.float32, [1])
        y = gg.math.log(p)
    with gg.Session(graph=graph) as sess:
        sess.run(y, {p: [-1.0]})            # planned, unchecked
        debugging.enable_check_numerics()
        try:
            with pytest.raises(debugging.CheckNumericsError):
                sess.run(y, {p: [-1.0]})
        finally:
            debugging.disable_check_numerics()
        assert np.isnan(sess.run(y, {p: [-1.0]})[0])


# --------------------------------------------------------------- function
def test_traced_function(numerics, device):
    @gg.function
    def f(a):
        b = a * 2.0
        return gg.math.log(b) + 1.0
    line = here() - 1
    assert f(gg.constant([1.0])).numpy().tolist() == [pytest.approx(np.log(2.0) + 1.0)]
    with pytest.raises(debugging.CheckNumericsError) as caught:
        f(gg.constant([1.0, -1.0]))
    text = str(caught.value)
    assert 'of graph op "log" (type log' in text
    assert f"created at {at(line)}" in text


def test_traced_function_fused_kernel_blames_the_member(numerics, device):
    @gg.function
    def f(a):
        b = a * 2.0
        return gg.math.log(b) + 1.0
    line = here() - 1
    big = gg.constant(np.full((64, 512), -1.0, np.float32))
    with pytest.raises(debugging.CheckNumericsError) as caught:
        f(big)
    text = str(caught.value)
    assert 'of graph op "log" (type log' in text
    assert f"created at {at(line)}" in text
    assert "# of NaN elements: 32768" in text


def test_traced_function_backward_pass(numerics):
    w = gg.Variable([1.0, 0.0])

    @gg.function
    def loss(a):
        return gg.reduce_sum(gg.sqrt(a * w))
    forward = here() - 1
    with gg.GradientTape() as tape:
        value = loss(gg.constant([1.0, 1.0]))
    with pytest.raises(debugging.CheckNumericsError) as caught:
        tape.gradient(value, w)
    text = str(caught.value)
    assert "in the backward pass !!!" in text
    assert f"computing the gradient of 'sqrt' (created at {at(forward)})" in text, text


def test_switching_remakes_traced_plans():
    @gg.function
    def f(a):
        return gg.math.log(a)
    assert np.isnan(f(gg.constant([-1.0])).numpy()[0])     # planned unchecked
    version = config.optimizer.version
    debugging.enable_check_numerics()
    try:
        assert config.optimizer.version == version + 1
        with pytest.raises(debugging.CheckNumericsError):
            f(gg.constant([-1.0]))
    finally:
        debugging.disable_check_numerics()
    assert np.isnan(f(gg.constant([-1.0])).numpy()[0])


def test_off_costs_one_test_per_op():
    assert not debugging.is_check_numerics_enabled()
    assert registry.observer is None and session.check_kernel is None
    assert np.isnan(gg.math.log(gg.constant(-1.0)).numpy())
