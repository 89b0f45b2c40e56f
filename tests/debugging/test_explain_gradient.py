"""explain_gradient and tape.gradient(..., explain=True): one test per way a
gradient comes out None or zero, each checking the op and the line named."""
import os
import sys
import warnings

import pytest

import gpugrad as gg
from gpugrad import debugging, registry
from gpugrad.debugging._hooks import short
from gpugrad.variable import Variable


def here():
    """The caller's line number."""
    return sys._getframe(1).f_lineno


def at(line):
    """This file's line as messages show it (relative to the working
    directory when under it)."""
    site = short(f"{__file__}:{line}")
    assert site.endswith(f"{os.path.basename(__file__)}:{line}")
    return site


# ------------------------------------------------------------- None: unused
def test_variable_never_read_inside_the_tape(explanations):
    w, u = gg.Variable(2.0, name="w"), gg.Variable(3.0, name="u")
    with gg.GradientTape() as tape:
        y = u * u
    text = debugging.explain_gradient(tape, y, w)
    assert text.startswith("The gradient of `y` with respect to variable 'w' is None")
    assert "was never read while the tape was recording" in text
    assert tape.gradient(y, w) is None


def test_variable_read_on_the_tape_but_not_for_the_target(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        line = here() + 1
        w * 2.0
        y = gg.constant(1.0) * 3.0
    text = debugging.explain_gradient(tape, y, w)
    assert f"was read on the tape (at {at(line)})" in text, text
    assert "the target is not computed from that read" in text


def test_watched_tensor_never_used(explanations):
    x = gg.constant([1.0, 2.0])
    with gg.GradientTape() as tape:
        tape.watch(x)
        y = gg.constant(2.0) * 3.0
    text = debugging.explain_gradient(tape, y, x)
    assert "tensor `x` (float32 [2])" in text
    assert "was never used while the tape was recording" in text


# ---------------------------------------------------- None: before the tape
def test_variable_read_before_the_tape_started(explanations):
    w = gg.Variable(2.0, name="w")
    line = here() + 1
    h = w * 3.0
    with gg.GradientTape() as tape:
        y = h * h
    text = debugging.explain_gradient(tape, y, w)
    assert "read before the tape started" in text
    assert f"variable 'w' was read at {at(line)} (by multiply)" in text, text
    assert tape.gradient(y, w) is None


def test_tensor_computed_before_the_tape_started(explanations):
    x = gg.constant([1.0, 2.0])
    line = here() + 1
    h = gg.exp(x)
    with gg.GradientTape() as tape:
        tape.watch(x)
        y = gg.reduce_sum(h * h)
    text = debugging.explain_gradient(tape, y, x)
    assert f"cut before the tape started: exp at {at(line)} ran before" in text, text


def test_ops_inside_stop_recording(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        with tape.stop_recording():
            line = here() + 1
            h = gg.square(w)
        y = h * 2.0
    text = debugging.explain_gradient(tape, y, w)
    assert f"variable 'w' was read at {at(line)} (by square) while the tape was not " \
           f"recording" in text, text


# ----------------------------------------------------------- None: watching
def test_non_trainable_variable(explanations):
    c = gg.Variable(2.0, trainable=False, name="c")
    with gg.GradientTape() as tape:
        line = here() + 1
        y = c * c
    text = debugging.explain_gradient(tape, y, c)
    assert "not watched: variable 'c' is a non-trainable variable (trainable=False)" in text
    assert f"read it at {at(line)} (by multiply)" in text, text
    assert "tape.watch(c)" in text


def test_plain_tensor_not_watched(explanations):
    x = gg.constant([1.0, 2.0])
    with gg.GradientTape() as tape:
        line = here() + 1
        y = gg.reduce_sum(gg.sin(x))
    text = debugging.explain_gradient(tape, y, x)
    assert f"not watched: tensor `x` (float32 [2]) is a plain tensor the tape does not " \
           f"watch, so sin at {at(line)} was not recorded" in text, text


def test_tensor_used_before_watch(explanations):
    x = gg.constant(3.0)
    with gg.GradientTape() as tape:
        line = here() + 1
        h = x * x
        tape.watch(x)
        y = h * 2.0
    text = debugging.explain_gradient(tape, y, x)
    assert f"was used by multiply at {at(line)} before tape.watch was called" in text, text


def test_watch_accessed_variables_false(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape(watch_accessed_variables=False) as tape:
        line = here() + 1
        y = w * w
    text = debugging.explain_gradient(tape, y, w)
    assert "watch_accessed_variables=False" in text
    assert at(line) in text


def test_integer_source():
    n = gg.Variable(3, name="n")
    with gg.GradientTape() as tape:
        y = gg.cast(n, gg.float32) * 2.0
    text = debugging.explain_gradient(tape, y, n)
    assert "variable 'n' has dtype int32; only floating-point values get gradients" in text


# --------------------------------------------------------------- None: cuts
def test_path_cut_by_an_assign(explanations):
    w, v = gg.Variable(2.0, name="w"), gg.Variable(1.0, name="v")
    with gg.GradientTape() as tape:
        line = here() + 1
        v.assign(w * 2.0)
        y = v * v
    text = debugging.explain_gradient(tape, y, w)
    assert f"cut by an assignment: v.assign(...) at {at(line)}" in text, text
    assert f"the result of multiply at {at(line)}" in text
    assert f"(at {at(line + 1)})" in text
    assert tape.gradient(y, w) is None


def test_path_cut_by_assign_sub(explanations):
    w, v = gg.Variable(2.0, name="w"), gg.Variable(1.0, name="v")
    with gg.GradientTape() as tape:
        line = here() + 1
        v.assign_sub(gg.square(w))
        y = v * 3.0
    text = debugging.explain_gradient(tape, y, w)
    assert f"v.assign_sub(...) at {at(line)}" in text, text


def test_path_cut_by_stop_gradient(explanations, device):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        h = w * 2.0
        line = here() + 1
        y = gg.stop_gradient(h) * 3.0
    text = debugging.explain_gradient(tape, y, w)
    assert f"cut by stop_gradient at {at(line)}" in text, text


def test_path_cut_by_an_integer_cast(explanations):
    w = gg.Variable(2.5, name="w")
    with gg.GradientTape() as tape:
        line = here() + 1
        n = gg.cast(w * 2.0, gg.int32)
        y = gg.cast(n, gg.float32) * 3.0
    text = debugging.explain_gradient(tape, y, w)
    assert f"cut by an integer cast at {at(line)}: cast to int32" in text, text


def test_path_cut_by_argmax(explanations):
    x = gg.Variable([1.0, 3.0, 2.0], name="x")
    with gg.GradientTape() as tape:
        line = here() + 1
        i = gg.argmax(x)
        y = gg.cast(i, gg.float32) * 2.0
    text = debugging.explain_gradient(tape, y, x)
    assert f"cut by argmax at {at(line)}: argmax has no gradient" in text, text


def test_path_cut_by_a_comparison(explanations):
    x = gg.Variable([1.0, -3.0], name="x")
    with gg.GradientTape() as tape:
        line = here() + 1
        positive = x > 0.0
        y = gg.reduce_sum(gg.cast(positive, gg.float32))
    text = debugging.explain_gradient(tape, y, x)
    assert f"cut by greater at {at(line)}: greater has no gradient (its result is " \
           f"boolean)" in text, text


def test_every_cut_path_is_listed(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        first = here() + 1
        a = gg.stop_gradient(w * 1.0)
        second = here() + 1
        b = gg.cast(gg.argmax(gg.stack([w, w * 2.0])), gg.float32)
        y = a + b
    text = debugging.explain_gradient(tape, y, w)
    assert "every path to the target is cut:" in text
    assert f"  - cut by stop_gradient at {at(first)}" in text
    assert f"  - cut by argmax at {at(second)}" in text


# ------------------------------------------------------------------- zero
def test_zero_through_relu_of_negative_inputs(explanations, device):
    x = gg.Variable([-1.0, -2.0], name="x")
    with gg.GradientTape() as tape:
        line = here() + 1
        y = gg.reduce_sum(gg.nn.relu(x * 3.0))
    text = debugging.explain_gradient(tape, y, x)
    assert "is zero: connected, but every path's gradient is zero here" in text
    assert f"relu at {at(line)} passes a zero gradient to its input 0" in text, text


def test_zero_through_the_where_branch_not_taken(explanations):
    x = gg.Variable([1.0, 2.0], name="x")
    with gg.GradientTape() as tape:
        line = here() + 1
        y = gg.reduce_sum(gg.where(x > 5.0, x * 2.0, 0.0))
    text = debugging.explain_gradient(tape, y, x)
    assert f"where at {at(line)} passes a zero gradient to its input 1 (its condition is " \
           f"False everywhere" in text, text


def test_zero_named_from_the_tape_without_explanations():
    x = gg.Variable([-1.0, -2.0], name="x")
    with gg.GradientTape() as tape:
        y = gg.reduce_sum(gg.nn.relu(x))
    text = debugging.explain_gradient(tape, y, x)
    assert "relu (on the tape; enable gpugrad.debugging.enable_gradient_explanations()" in text


def test_nothing_to_explain(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        y = w * w
    assert "is neither None nor zero" in debugging.explain_gradient(tape, y, w)


# ------------------------------------------------ gradient(..., explain=True)
def test_gradient_explain_warns_for_each_none_or_zero_source(explanations):
    w, u = gg.Variable(2.0, name="w"), gg.Variable([-1.0], name="u")
    with gg.GradientTape() as tape:
        cut = here() + 1
        y = gg.stop_gradient(w) * 3.0 + gg.reduce_sum(gg.nn.relu(u)) + w * 0.0 + 1.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asked = here() + 1
        gw, gu = tape.gradient(y, [w, u], explain=True)
    assert float(gw) == 0.0 and gu.numpy().tolist() == [0.0]
    texts = [str(c.message) for c in caught if c.category is debugging.GradientWarning]
    assert len(texts) == 2
    assert f"multiply at {at(cut)} passes a zero gradient" in texts[0], texts[0]
    assert f"relu at {at(cut)} passes a zero gradient" in texts[1], texts[1]
    assert all(c.filename == __file__ and c.lineno == asked for c in caught)


def test_gradient_explain_is_silent_when_all_is_well(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        y = w * w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(tape.gradient(y, w, explain=True)) == 4.0


def test_gradient_explain_keeps_unconnected_zero():
    w, u = gg.Variable(2.0, name="w"), gg.Variable(1.0, name="u")
    with gg.GradientTape() as tape:
        y = u * 2.0
    with pytest.warns(debugging.GradientWarning, match="never read while the tape"):
        g = tape.gradient(y, w, unconnected_gradients="zero", explain=True)
    assert float(g) == 0.0


def test_without_explanations_the_tape_alone_speaks():
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        y = gg.stop_gradient(w) * 3.0
    text = debugging.explain_gradient(tape, y, w)
    assert "the path was cut by an op without a gradient" in text
    assert "enable_gradient_explanations()" in text


def test_explain_gradient_leaves_a_non_persistent_tape_usable(explanations):
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        y = gg.stop_gradient(w) * w
    assert "neither None nor zero" in debugging.explain_gradient(tape, y, w)
    assert float(tape.gradient(y, w)) == 2.0
    # records gone: the provenance alone still explains a None
    with gg.GradientTape() as tape:
        y = gg.stop_gradient(w) * 3.0
    tape.gradient(y, w)
    assert "cut by stop_gradient" in debugging.explain_gradient(tape, y, w)


def test_switching_off_restores_everything():
    read, assign, enter = Variable._read, Variable.assign, gg.GradientTape.__enter__
    debugging.enable_gradient_explanations()
    assert registry.observer is not None and Variable._read is not read
    debugging.disable_gradient_explanations()
    assert registry.observer is None
    assert Variable._read is read and Variable.assign is assign
    assert gg.GradientTape.__enter__ is enter


def test_a_used_up_tape_without_explanations_cannot_be_explained():
    w = gg.Variable(2.0, name="w")
    with gg.GradientTape() as tape:
        y = gg.stop_gradient(w) * 3.0
    tape.gradient(y, w)
    assert "cannot be explained: this tape's records were used by gradient()" in \
        debugging.explain_gradient(tape, y, w)
