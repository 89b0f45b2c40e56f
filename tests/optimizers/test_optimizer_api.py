"""The optimizer API around the kernels: what it accepts, refuses, and keeps."""
import numpy as np
import pytest

import gpugrad as gg
from gpugrad.backend.numpy_backend import NumpyBackend
from gpugrad.tensor import Tensor

ALL = [gg.optimizers.SGD, gg.optimizers.Adam, gg.optimizers.AdamW, gg.optimizers.RMSprop,
       gg.optimizers.Adagrad, gg.optimizers.Adadelta, gg.optimizers.Nadam]


def quadratic_step(opt, variables):
    with gg.GradientTape() as tape:
        loss = gg.add_n([gg.reduce_sum(gg.square(v - 1.0)) for v in variables])
    opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return float(loss)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_optimizer_reduces_a_quadratic(cls, device):
    opt = cls(learning_rate=0.1) if cls is not gg.optimizers.Adadelta else cls(learning_rate=10.0)
    v = [gg.Variable([3.0, -2.0]), gg.Variable([[0.5]])]
    first = quadratic_step(opt, v)
    for _ in range(30):
        last = quadratic_step(opt, v)
    assert last < first
    assert int(opt.iterations) == 31


def test_none_gradients_are_skipped_with_a_warning_naming_them():
    a, b = gg.Variable(1.0, name="a"), gg.Variable(2.0, name="unused")
    opt = gg.optimizers.SGD(0.5)
    with pytest.warns(UserWarning, match="unused:0"):
        opt.apply_gradients([(gg.constant(1.0), a), (None, b)])
    assert float(a.numpy()) == 0.5 and float(b.numpy()) == 2.0


@pytest.mark.parametrize("gradient, message", [
    (gg.constant([1.0, 2.0, 3.0]), r"shape \[3\], the variable \[2\]"),
    (gg.constant(np.array([1.0, 2.0])), "dtype float64, the variable float32"),
    (Tensor(np.array([1.0, 2.0], np.float32), NumpyBackend(1)), "on cpu:1 but the variable"),
], ids=["shape", "dtype", "device"])
def test_a_bad_gradient_raises_and_changes_nothing(gradient, message):
    good, bad = gg.Variable([1.0, 1.0], name="good"), gg.Variable([5.0, 5.0], name="bad")
    opt = gg.optimizers.Adam(0.1)
    with pytest.raises(gg.errors.InvalidArgumentError, match="'bad:0'.*" + message):
        opt.apply_gradients([(gg.constant([1.0, 1.0]), good), (gradient, bad)])
    assert good.numpy().tolist() == [1.0, 1.0] and bad.numpy().tolist() == [5.0, 5.0]
    assert int(opt.iterations) == 0 and opt.variables[2:] == []  # no slot was even made


def test_learning_rate_must_be_a_number_variable_or_schedule():
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        gg.optimizers.SGD(learning_rate="fast")


def test_a_read_taken_before_a_step_keeps_its_value():
    w = gg.Variable([1.0, 2.0])
    before = w.read_value()
    gg.optimizers.SGD(0.5).apply_gradients([(gg.constant([1.0, 1.0]), w)])
    assert before.numpy().tolist() == [1.0, 2.0]
    assert w.numpy().tolist() == [0.5, 1.5]


def test_variables_are_updated_in_place_when_nothing_else_holds_them():
    w = gg.Variable(np.ones(1000, np.float32))
    opt = gg.optimizers.Adam(0.1)
    opt.apply_gradients([(gg.ones([1000]), w)])
    buffer = w._data.__array_interface__["data"][0]
    opt.apply_gradients([(gg.ones([1000]), w)])
    assert w._data.__array_interface__["data"][0] == buffer


def test_many_variables_of_one_dtype_are_one_kernel_launch(monkeypatch):
    calls = []
    backend = gg.backend.cpu()
    real = backend.kernel

    def counting(name):
        fn = real(name)

        def call(*args, **kwargs):
            calls.append((name, len(args[0])))
            return fn(*args, **kwargs)
        return call
    monkeypatch.setattr(backend, "kernel", counting)
    variables = [gg.Variable(np.full(7, i, np.float32)) for i in range(200)]
    variables += [gg.Variable(np.ones(3, np.float64))]
    gg.optimizers.Adam(0.1).apply_gradients([(gg.ones_like(v), v) for v in variables])
    assert sorted(calls) == [("adam", 1), ("adam", 200)]


def test_float16_variables_update_in_float32_arithmetic():
    w = gg.Variable(np.array([1.0, 2.0], np.float16))
    gg.optimizers.SGD(0.25).apply_gradients([(gg.constant(np.array([1.0, 1.0], np.float16)), w)])
    assert w.dtype == gg.float16 and w.numpy().tolist() == [0.75, 1.75]


def test_minimize_with_a_callable_loss():
    w = gg.Variable(3.0)
    gg.optimizers.SGD(0.1).minimize(lambda: (w - 1.0) ** 2, [w])
    assert float(w.numpy()) == pytest.approx(3.0 - 0.1 * 4.0)


def test_minimize_with_a_tape():
    w = gg.Variable(3.0)
    with gg.GradientTape() as tape:
        loss = (w - 1.0) ** 2
    gg.optimizers.SGD(0.1).minimize(loss, [w], tape=tape)
    assert float(w.numpy()) == pytest.approx(2.6)


def test_slots_are_variables_for_checkpoints():
    w = gg.Variable([1.0, 2.0], name="w")
    opt = gg.optimizers.Adam(0.1)
    opt.apply_gradients([(gg.constant([1.0, 1.0]), w)])
    names = [v.name for v in opt.variables]
    assert names == ["iteration:0", "learning_rate:0", "adam/w_momentum:0", "adam/w_velocity:0"]
    m = opt.variables[2]
    assert m.numpy().tolist() == pytest.approx([0.1, 0.1])
    m.assign([0.0, 0.0])  # restoring a checkpoint is assigning
    assert opt.variables[2].numpy().tolist() == [0.0, 0.0]


def test_learning_rate_variable_is_read_every_step():
    lr = gg.Variable(0.5)
    w = gg.Variable(0.0)
    opt = gg.optimizers.SGD(lr)
    opt.apply_gradients([(gg.constant(1.0), w)])
    lr.assign(0.25)
    opt.apply_gradients([(gg.constant(1.0), w)])
    assert float(w.numpy()) == -0.75


def test_learning_rate_setter_and_schedule():
    opt = gg.optimizers.SGD(0.1)
    opt.learning_rate = 0.05
    assert float(opt.learning_rate) == pytest.approx(0.05)
    opt.learning_rate = gg.optimizers.schedules.ExponentialDecay(1.0, 1, 0.5)
    assert float(opt.learning_rate) == 1.0


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    w = gg.Variable(0.0)
    opt = gg.optimizers.SGD(1.0, gradient_accumulation_steps=2)
    opt.apply_gradients([(gg.constant(1.0), w)])
    assert float(w.numpy()) == 0.0 and int(opt.iterations) == 0
    opt.apply_gradients([(gg.constant(3.0), w)])
    assert float(w.numpy()) == -2.0 and int(opt.iterations) == 1


def test_clipping_options():
    def step(**kw):
        w = gg.Variable([0.0, 0.0])
        gg.optimizers.SGD(1.0, **kw).apply_gradients([(gg.constant([3.0, 4.0]), w)])
        return w.numpy().tolist()
    assert step(clipnorm=1.0) == pytest.approx([-0.6, -0.8])
    assert step(global_clipnorm=2.5) == pytest.approx([-1.5, -2.0])
    assert step(clipvalue=1.0) == [-1.0, -1.0]
    with pytest.raises(ValueError, match="only one of clipnorm and global_clipnorm"):
        gg.optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_weight_decay_is_decoupled_and_can_exclude_variables():
    w, b = gg.Variable(1.0, name="w"), gg.Variable(1.0, name="bias")
    opt = gg.optimizers.SGD(0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(gg.constant(0.0), w), (gg.constant(0.0), b)])
    assert float(w.numpy()) == pytest.approx(1.0 - 1.0 * 0.1 * 0.5)
    assert float(b.numpy()) == 1.0


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    opt = cls(learning_rate=gg.optimizers.schedules.CosineDecay(0.1, 100), clipvalue=2.0)
    clone = cls.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()


def test_get_by_name_and_keras_path():
    assert float(gg.optimizers.get("adam").learning_rate) == pytest.approx(0.001)
    assert gg.keras.optimizers.Adam is gg.optimizers.Adam
