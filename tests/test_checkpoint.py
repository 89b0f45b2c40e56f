"""gpugrad.train.Checkpoint: round trips, resumed training, atomic writes,
checksums, mismatches, numbering and the manager."""
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.backend import npz
from gpugrad.checkpoint import METADATA, DataLossError
from gpugrad.errors import InvalidArgumentError

Checkpoint, CheckpointManager = gg.train.Checkpoint, gg.train.CheckpointManager


# A model as gpugrad.keras will expose it: _trackable_children() by attribute.
class Dense:
    def __init__(self, n_in, n_out, seed):
        kernel = np.random.default_rng(seed).normal(size=[n_in, n_out]).astype(np.float32)
        self.kernel = gg.Variable(kernel, name="kernel")
        self.bias = gg.Variable(gg.zeros([n_out]), name="bias")

    def __call__(self, x):
        return gg.matmul(x, self.kernel) + self.bias

    def _trackable_children(self):
        return {"kernel": self.kernel, "bias": self.bias}


class MLP:
    def __init__(self, seed=0):
        self.layers = [Dense(4, 8, seed), Dense(8, 1, seed + 1)]

    def __call__(self, x):
        return self.layers[1](gg.nn.relu(self.layers[0](x)))

    @property
    def trainable_variables(self):
        return [v for layer in self.layers for v in (layer.kernel, layer.bias)]

    def _trackable_children(self):
        return {"layers": self.layers}


X = gg.constant(np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(6, 4))
Y = gg.constant(np.linspace(0.5, -0.5, 6, dtype=np.float32).reshape(6, 1))


def train(model, opt, steps):
    for _ in range(steps):
        with gg.GradientTape() as tape:
            loss = gg.reduce_mean(gg.square(model(X) - Y))
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))


def values(variables):
    return [v.numpy() for v in variables]


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def optimizer_state(model, opt):
    """The optimizer's own variables, then each variable's slots by name."""
    own = list(opt._trackable_children().values())
    slots = [opt._slot_children(v) for v in model.trainable_variables]
    state = values(own + [s[name] for s in slots for name in sorted(s)])
    assert len(state) == len(opt.variables)
    return state


def saved_keys(path):
    with np.load(path) as f:
        return [name for name in f.files if name != METADATA]


# ------------------------------------------------------------- round trips
def test_values_and_dtypes_round_trip(tmp_path):
    def made(scale):
        return {"f16": gg.Variable(np.array([1.5, -2.25], np.float16) * scale),
                "f32": gg.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) * scale),
                "f64": gg.Variable(np.float64(np.pi) * scale),
                "i32": gg.Variable(np.array([1, -2, 3], np.int32) * int(scale)),
                "i64": gg.Variable(np.int64(2**40) * int(scale)),
                "flag": gg.Variable(np.array([True, False]) if scale else np.array([False, True]))}

    saved, fresh = made(1), made(0)
    path = Checkpoint(v=saved).write(tmp_path / "values")
    Checkpoint(v=fresh).read(path).assert_consumed()
    for name in saved:
        assert fresh[name].dtype is saved[name].dtype
        assert_same([fresh[name].numpy()], [saved[name].numpy()])


def test_a_bare_variable_and_nested_lists_and_dicts(tmp_path):
    w = gg.Variable([1.0, 2.0])
    nest = {"layers": [gg.Variable(3.0), {"inner": gg.Variable([[4.0]])}], "a/b": gg.Variable(5)}
    path = Checkpoint(w=w, nest=nest).write(tmp_path / "nested")
    assert saved_keys(path) == ["w", "nest/layers/0", "nest/layers/1/inner", "nest/a%2Fb"]

    w2 = gg.Variable([0.0, 0.0])
    nest2 = {"layers": [gg.Variable(0.0), {"inner": gg.Variable([[0.0]])}], "a/b": gg.Variable(0)}
    Checkpoint(w=w2, nest=nest2).read(path).assert_consumed()
    assert w2.numpy().tolist() == [1.0, 2.0]
    assert float(nest2["layers"][0]) == 3.0
    assert nest2["layers"][1]["inner"].numpy().tolist() == [[4.0]]
    assert int(nest2["a/b"]) == 5


def test_a_variable_reached_twice_is_saved_once(tmp_path):
    shared = gg.Variable([1.0, 2.0])
    path = Checkpoint(first={"w": shared}, second=[shared]).write(tmp_path / "shared")
    assert saved_keys(path) == ["first/w"]
    with np.load(path) as f:
        assert json.loads(f[METADATA])["aliases"] == {"second/0": "first/w"}
    other = gg.Variable([0.0, 0.0])          # found by its alias
    status = Checkpoint(second=[other]).read(path)
    assert other.numpy().tolist() == [1.0, 2.0]
    status.assert_existing_objects_matched()


def test_what_a_checkpoint_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="expecting step to be trackable"):
        Checkpoint(step=3)
    with pytest.raises(TypeError, match="'numbers/1' is a int"):
        Checkpoint(numbers=[gg.Variable(1.0), 2]).write(tmp_path / "never")
    assert os.listdir(tmp_path) == []


def test_root_children_sit_at_the_top_and_later_attributes_are_tracked(tmp_path):
    model = MLP()
    ckpt = Checkpoint(root=model, step=gg.Variable(1))
    ckpt.extra = {"ema": gg.Variable([0.5])}
    ckpt.note = "not a trackable: a plain attribute"
    path = ckpt.write(tmp_path / "ckpt")
    assert saved_keys(path) == ["layers/0/kernel", "layers/0/bias", "layers/1/kernel",
                                "layers/1/bias", "step", "extra/ema"]


def test_graph_variables_are_refused(tmp_path):
    with gg.Graph().as_default():
        v = gg.Variable(1.0)
    with pytest.raises(TypeError, match="graph variable"):
        Checkpoint(vs=[v]).write(tmp_path / "ckpt")


# ------------------------------------------------------------- optimizers
def test_training_resumed_from_a_checkpoint_matches_an_uninterrupted_run(tmp_path):
    model, opt = MLP(seed=0), gg.optimizers.Adam(0.01)
    train(model, opt, 6)

    first, first_opt = MLP(seed=0), gg.optimizers.Adam(0.01)
    train(first, first_opt, 3)
    path = Checkpoint(model=first, optimizer=first_opt).save(tmp_path / "ckpt")

    resumed, resumed_opt = MLP(seed=7), gg.optimizers.Adam(0.01)   # other values, no slots
    Checkpoint(model=resumed, optimizer=resumed_opt).restore(path).assert_consumed()
    assert int(resumed_opt.iterations) == 3
    train(resumed, resumed_opt, 3)
    assert_same(values(resumed.trainable_variables), values(model.trainable_variables))
    assert_same(optimizer_state(resumed, resumed_opt), optimizer_state(model, opt))


OPTIMIZERS = {
    "SGD-momentum": lambda: gg.optimizers.SGD(0.1, momentum=0.9),
    "SGD-nesterov": lambda: gg.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "Adam": lambda: gg.optimizers.Adam(0.01),
    "Adam-amsgrad": lambda: gg.optimizers.Adam(0.01, amsgrad=True),
    "AdamW": lambda: gg.optimizers.AdamW(0.01, weight_decay=0.1),
    "RMSprop": lambda: gg.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "Adagrad": lambda: gg.optimizers.Adagrad(0.1),
    "Adadelta": lambda: gg.optimizers.Adadelta(1.0),
    "Nadam": lambda: gg.optimizers.Nadam(0.01),
    "Adam-accumulating": lambda: gg.optimizers.Adam(0.01, gradient_accumulation_steps=2),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_every_optimizer_resumes_exactly(make, tmp_path):
    model, opt = MLP(seed=0), make()
    train(model, opt, 5)
    first, first_opt = MLP(seed=0), make()
    train(first, first_opt, 3)       # with accumulation: mid-way through a pair
    path = Checkpoint(model=first, optimizer=first_opt).write(tmp_path / "ckpt")

    resumed, resumed_opt = MLP(seed=7), make()
    Checkpoint(model=resumed, optimizer=resumed_opt).read(path).assert_consumed()
    train(resumed, resumed_opt, 2)
    assert_same(values(resumed.trainable_variables), values(model.trainable_variables))
    assert_same(optimizer_state(resumed, resumed_opt), optimizer_state(model, opt))


def test_slots_are_filed_under_their_variables_path(tmp_path):
    model, opt = MLP(), gg.optimizers.SGD(0.1, momentum=0.9)
    train(model, opt, 1)
    path = Checkpoint(net=model, opt=opt).write(tmp_path / "ckpt")
    assert saved_keys(path) == [
        "net/layers/0/kernel", "net/layers/0/bias", "net/layers/1/kernel", "net/layers/1/bias",
        "opt/iterations", "opt/learning_rate",
        "net/layers/0/kernel/.OPTIMIZER_SLOT/opt/momentum",
        "net/layers/0/bias/.OPTIMIZER_SLOT/opt/momentum",
        "net/layers/1/kernel/.OPTIMIZER_SLOT/opt/momentum",
        "net/layers/1/bias/.OPTIMIZER_SLOT/opt/momentum"]
    nadam = gg.optimizers.Nadam()
    assert list(nadam._trackable_children()) == ["iterations", "learning_rate", "u_product"]


def test_restore_creates_slots_only_where_the_file_has_them(tmp_path):
    model, opt = MLP(), gg.optimizers.Adam(0.01)
    head = model.layers[1]
    opt.apply_gradients([(gg.ones_like(head.kernel), head.kernel)])    # slots for one variable
    path = Checkpoint(model=model, optimizer=opt).write(tmp_path / "ckpt")

    fresh, fresh_opt = MLP(seed=3), gg.optimizers.Adam(0.01)
    Checkpoint(model=fresh, optimizer=fresh_opt).read(path).assert_consumed()
    assert set(fresh_opt._slot_children(fresh.layers[1].kernel)) == {"momentum", "velocity"}
    assert fresh_opt._slot_children(fresh.layers[0].kernel) == {}
    np.testing.assert_array_equal(
        fresh_opt._slot_children(fresh.layers[1].kernel)["momentum"].numpy(),
        opt._slot_children(head.kernel)["momentum"].numpy())


# ----------------------------------------------------------- atomic writes
def test_a_write_that_fails_midway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    a, b = gg.Variable([1.0, 1.0]), gg.Variable([2.0, 2.0])
    ckpt = Checkpoint(a=a, b=b)
    path = ckpt.save(tmp_path / "ckpt")
    a.assign([9.0, 9.0])
    b.assign([9.0, 9.0])

    real, written = npz.write_array, []

    def fails_after_one(archive, member, array):
        if written:
            raise OSError("disk full")
        written.append(member)
        real(archive, member, array)

    monkeypatch.setattr(npz, "write_array", fails_after_one)
    with pytest.raises(OSError, match="disk full"):
        ckpt.write(path)
    written.clear()
    with pytest.raises(OSError, match="disk full"):
        ckpt.save(tmp_path / "ckpt")
    monkeypatch.undo()

    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1"]   # no temporary left
    assert int(ckpt.save_counter) == 1 and gg.train.latest_checkpoint(tmp_path) == path
    a2, b2 = gg.Variable([0.0, 0.0]), gg.Variable([0.0, 0.0])
    Checkpoint(a=a2, b=b2).read(path).assert_existing_objects_matched()
    assert a2.numpy().tolist() == [1.0, 1.0] and b2.numpy().tolist() == [2.0, 2.0]


def test_a_process_killed_midway_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt"
    script = textwrap.dedent(f"""
        import os
        import gpugrad as gg
        from gpugrad.backend import npz
        a, b = gg.Variable([1.0, 1.0]), gg.Variable([2.0, 2.0])
        ckpt = gg.train.Checkpoint(a=a, b=b)
        ckpt.write({str(path)!r})
        a.assign([9.0, 9.0])
        real = npz.write_array
        def dies(archive, member, array):
            real(archive, member, array)
            os._exit(3)                     # no cleanup: as if the power went
        npz.write_array = dies
        ckpt.write({str(path)!r})
        """)
    env = dict(os.environ, GPUGRAD_DEVICE="cpu")
    assert subprocess.run([sys.executable, "-c", script], env=env).returncode == 3
    a, b = gg.Variable([0.0, 0.0]), gg.Variable([0.0, 0.0])
    Checkpoint(a=a, b=b).read(path).assert_consumed()
    assert a.numpy().tolist() == [1.0, 1.0] and b.numpy().tolist() == [2.0, 2.0]


# --------------------------------------------------------------- corruption
@pytest.fixture
def written(tmp_path):
    w = gg.Variable(np.full([64], 1.25, np.float64))
    return tmp_path / "ckpt", Checkpoint(w=w, step=gg.Variable(3)).write(tmp_path / "ckpt")


def corrupt_error(path):
    return pytest.raises(DataLossError, match=re.escape(str(path)) + " is corrupt")


def fresh_read(path):
    return Checkpoint(w=gg.Variable(np.zeros([64])), step=gg.Variable(0)).read(path)


def test_a_flipped_byte_is_found(written):
    path, _ = written
    data = bytearray(path.read_bytes())
    at = data.index(np.full([8], 1.25).tobytes())
    data[at + 13] ^= 0x40
    path.write_bytes(bytes(data))
    with corrupt_error(path):
        fresh_read(path)


def test_an_array_that_does_not_match_its_checksum_is_found(written):
    path, _ = written
    with open(path, "rb") as f:
        arrays, extra = npz.read(f)
    arrays["w"] = arrays["w"].copy()
    arrays["w"][5] = 2.5                     # a valid zip, a well-formed array, wrong bytes
    with open(path, "wb") as f:
        npz.write(f, arrays, extra)
    with pytest.raises(DataLossError, match=re.escape(str(path)) +
                       r" is corrupt:\n  w: its bytes do not match their recorded sha256"):
        fresh_read(path)


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "bad metadata"])
def test_damaged_files_are_reported_as_corrupt(written, damage):
    path, _ = written
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-100])
    elif damage == "not a zip":
        path.write_text("model_checkpoint_path: 'x'\n")
    else:
        with open(path, "rb") as f:
            arrays, extra = npz.read(f)
        with open(path, "wb") as f:
            npz.write(f, arrays, {METADATA: b"{not json"})
    with pytest.raises(DataLossError, match=re.escape(str(path)) + ".* corrupt"):
        fresh_read(path)


def test_a_missing_file_or_a_directory_is_not_corruption(tmp_path):
    with pytest.raises(FileNotFoundError):
        fresh_read(tmp_path / "nothing")
    with pytest.raises(IsADirectoryError, match="latest_checkpoint"):
        fresh_read(tmp_path)


# --------------------------------------------------------------- mismatches
def test_a_mismatch_lists_every_one_and_changes_nothing(tmp_path):
    model, opt = MLP(), gg.optimizers.Adam(0.01)
    train(model, opt, 1)
    step = gg.Variable(5)                                  # int32
    path = Checkpoint(model=model, optimizer=opt, step=step).save(tmp_path / "ckpt")

    other = MLP(seed=4)
    other.layers[0].kernel = gg.Variable(np.ones([5, 8], np.float32))      # shape
    other.layers[1].bias = gg.Variable(np.zeros([1], np.float64))          # dtype
    other_opt, other_step = gg.optimizers.Adam(0.5), gg.Variable(0, dtype=gg.int64)
    ckpt = Checkpoint(model=other, optimizer=other_opt, step=other_step)
    before = values(other.trainable_variables + other_opt.variables + [other_step])

    with pytest.raises(InvalidArgumentError) as error:
        ckpt.restore(path)
    message = str(error.value)
    assert f"checkpoint {path} does not fit" in message and "nothing was changed" in message
    assert "(7 mismatched)" in message     # the slots made for the new variables too
    for line in ["model/layers/0/kernel: expected float32 [5, 8], found float32 [4, 8]",
                 "model/layers/0/kernel/.OPTIMIZER_SLOT/optimizer/momentum: expected float32 "
                 "[5, 8], found float32 [4, 8]",
                 "model/layers/1/bias: expected float64 [1], found float32 [1]",
                 "model/layers/1/bias/.OPTIMIZER_SLOT/optimizer/velocity: expected float64 [1], "
                 "found float32 [1]",
                 "step: expected int64 [], found int32 []"]:
        assert "\n  " + line in message
    assert_same(values(other.trainable_variables + other_opt.variables + [other_step]), before)
    assert other_opt.variables[2:] == [] and ckpt._save_counter is None   # nothing made


def test_a_variable_of_unknown_dimension_takes_any_size(tmp_path):
    path = Checkpoint(v=gg.Variable([1.0, 2.0, 3.0])).write(tmp_path / "ckpt")
    v = gg.Variable([0.0], shape=[None])
    Checkpoint(v=v).read(path).assert_consumed()
    assert v.numpy().tolist() == [1.0, 2.0, 3.0]


# ------------------------------------------------------------------ status
def test_missing_and_unexpected_values(tmp_path):
    path = Checkpoint(a=gg.Variable(1.0), gone=gg.Variable(2.0)).write(tmp_path / "ckpt")
    a, new = gg.Variable(0.0), gg.Variable(7.0)
    status = Checkpoint(a=a, new=new).read(path)
    assert float(a) == 1.0 and float(new) == 7.0         # what matches is restored at once
    assert status.missing == ["new"] and status.unexpected == ["gone"]
    with pytest.raises(AssertionError, match="no object took: gone.*no value for: new"):
        status.assert_consumed()
    with pytest.raises(AssertionError, match="has no value for new"):
        status.assert_existing_objects_matched()
    status.assert_nontrivial_match()
    Checkpoint(a=a).read(path).assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="matched none"):
        Checkpoint(b=gg.Variable(0.0)).read(path).expect_partial().assert_nontrivial_match()


def test_a_partial_restore_warns_unless_expected(tmp_path):
    path = Checkpoint(a=gg.Variable(1.0), gone=gg.Variable(2.0)).write(tmp_path / "ckpt")
    with pytest.warns(UserWarning, match="restored partially.*values no object took: gone"):
        Checkpoint(a=gg.Variable(0.0)).restore(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Checkpoint(a=gg.Variable(0.0)).restore(path).expect_partial()
        Checkpoint(a=gg.Variable(0.0), gone=gg.Variable(0.0)).restore(path)
    assert not caught


def test_restoring_none_restores_nothing():
    v = gg.Variable(4.0)
    status = Checkpoint(v=v).restore(None)
    assert float(v) == 4.0
    status.expect_partial()
    with pytest.raises(AssertionError, match="nothing was restored"):
        status.assert_consumed()


# ------------------------------------------------- numbering and the manager
def test_save_numbers_the_files_and_records_the_latest(tmp_path):
    v = gg.Variable(0.0)
    ckpt = Checkpoint(v=v)
    assert gg.train.latest_checkpoint(tmp_path) is None
    paths = []
    for i in range(3):
        v.assign(float(i))
        paths.append(ckpt.save(tmp_path / "run" / "model"))
    assert paths == [str(tmp_path / "run" / f"model-{i}") for i in (1, 2, 3)]
    assert gg.train.latest_checkpoint(tmp_path / "run") == paths[-1]
    assert (tmp_path / "run" / "checkpoint").read_text() == (
        'model_checkpoint_path: "model-3"\nall_model_checkpoint_paths: "model-3"\n')

    again = Checkpoint(v=gg.Variable(9.0))
    again.restore(paths[1]).assert_consumed()            # the counter comes back too
    assert float(again.v) == 1.0 and int(again.save_counter) == 2
    assert again.save(tmp_path / "run" / "model") == paths[2]
    os.remove(paths[2])
    assert gg.train.latest_checkpoint(tmp_path / "run") is None   # recorded, but gone


def test_write_does_not_count_and_read_adds_no_counter(tmp_path):
    ckpt = Checkpoint(v=gg.Variable(1.0))
    path = ckpt.write(tmp_path / "exact")
    assert path == str(tmp_path / "exact") and saved_keys(path) == ["v"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask     # as open() makes files
    assert not (tmp_path / "checkpoint").exists()
    fresh = Checkpoint(v=gg.Variable(0.0))
    fresh.read(path).assert_consumed()
    assert fresh._save_counter is None


def test_the_manager_keeps_the_newest(tmp_path):
    v = gg.Variable(0.0)
    ckpt = Checkpoint(v=v)
    manager = CheckpointManager(ckpt, tmp_path, max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.restore_or_initialize() is None
    for i in range(5):
        v.assign(float(i))
        manager.save()
    kept = [str(tmp_path / "ckpt-4"), str(tmp_path / "ckpt-5")]
    assert manager.checkpoints == kept and manager.latest_checkpoint == kept[-1]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-4", "ckpt-5"]
    assert gg.train.latest_checkpoint(tmp_path) == kept[-1]

    # a new run in the same directory picks up where the last one stopped
    v2 = gg.Variable(-1.0)
    later = CheckpointManager(Checkpoint(v=v2), tmp_path, max_to_keep=2)
    assert later.checkpoints == kept
    assert later.restore_or_initialize() == kept[-1] and float(v2) == 4.0
    assert later.save() == str(tmp_path / "ckpt-6")
    assert later.checkpoints == kept[1:] + [str(tmp_path / "ckpt-6")]
    assert later.save(checkpoint_number=100) == str(tmp_path / "ckpt-100")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-100", "ckpt-6"]


def test_the_manager_without_a_limit_and_with_an_interval(tmp_path):
    with pytest.raises(ValueError, match="positive integer or None"):
        CheckpointManager(Checkpoint(), tmp_path, max_to_keep=0)
    step = gg.Variable(0, dtype=gg.int64)
    manager = CheckpointManager(Checkpoint(step=step), tmp_path, max_to_keep=None,
                                step_counter=step, checkpoint_interval=10)
    saved = []
    for _ in range(25):
        saved.append(manager.save())
        step.assign_add(1)
    assert [s for s in saved if s] == [str(tmp_path / f"ckpt-{n}") for n in (1, 2, 3)]
    assert [i for i, s in enumerate(saved) if s] == [0, 10, 20]
    assert len(manager.checkpoints) == 3


# ------------------------------------------------------------------ devices
def test_a_checkpoint_moves_between_devices(device, tmp_path):
    """Written from variables on ``device``, read into CPU variables, and back."""
    model, opt = MLP(), gg.optimizers.Adam(0.01)
    train(model, opt, 2)
    path = Checkpoint(model=model, optimizer=opt).write(tmp_path / "from-device")

    with gg.device("cpu"):
        cpu_model, cpu_opt = MLP(seed=5), gg.optimizers.Adam(0.01)
    Checkpoint(model=cpu_model, optimizer=cpu_opt).read(path).assert_consumed()
    assert {v.device for v in cpu_model.trainable_variables + cpu_opt.variables} == {"cpu:0"}
    for a, b in zip(cpu_model.trainable_variables, model.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    back = Checkpoint(model=cpu_model, optimizer=cpu_opt).write(tmp_path / "from-cpu")
    again, again_opt = MLP(seed=6), gg.optimizers.Adam(0.01)     # on ``device``
    Checkpoint(model=again, optimizer=again_opt).read(back).assert_consumed()
    assert {v.device for v in again.trainable_variables} == {model.layers[0].kernel.device}
    slots = again_opt._slot_children(again.layers[0].kernel)
    assert {v.device for v in slots.values()} == {model.layers[0].kernel.device}
    train(again, again_opt, 1)
    train(model, opt, 1)
    for a, b in zip(again.trainable_variables, model.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ------------------------------------------------------------ gpugrad.keras
def test_a_keras_metric_round_trips(tmp_path):
    metrics = pytest.importorskip("gpugrad.keras.metrics")
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    path = Checkpoint(metric=mean).write(tmp_path / "ckpt")
    assert saved_keys(path) == ["metric/total", "metric/count"]
    again = metrics.Mean()
    Checkpoint(metric=again).read(path).assert_consumed()
    again.update_state([6.0])
    assert float(again.result()) == 3.0
