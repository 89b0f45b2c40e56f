"""Checkpoints: ``gpugrad.train.Checkpoint``, TensorFlow 2's object-based
checkpoints, each one file.

The objects handed to a Checkpoint form a graph: a Variable is a leaf; an
object with ``_trackable_children()`` (an ordered dict, name -> child), a
list or a dict has children. Each variable is saved under the path of names
that first reaches it, depth first ("model/dense/kernel"); other paths to
the same variable are recorded as aliases. An optimizer's slots are filed
under the variable they belong to, as TensorFlow does
("model/dense/kernel/.OPTIMIZER_SLOT/optimizer/momentum"), so they find it
again in a fresh model and a fresh optimizer.

The file is a zip of ``<path>.npy`` arrays (numpy's .npz, written by
gpugrad/backend/npz.py) plus ``gpugrad-checkpoint.json``: format version,
gpugrad version, and for each path its dtype, shape and the sha256 of its
bytes, which ``read`` checks. Files are written to a temporary file in the
same directory, synced, then renamed over the old one.

Restoring is immediate: every variable reachable now gets its value, an
optimizer's missing slots are created for the variables the file has slots
for, and a value that does not fit its variable (shape, dtype) makes the
whole restore fail before anything changes. docs/checkpoints.md tells the
rest.
"""
import json
import os
import re
import warnings

from . import backend as _backends
from .backend import npz
from .dtypes import int64
from .errors import DataLossError, InvalidArgumentError  # noqa: F401  (DataLossError: re-exported)
from .tensor import Tensor
from .variable import Variable

__all__ = ["Checkpoint", "CheckpointManager", "latest_checkpoint", "DataLossError"]

FORMAT = "gpugrad-checkpoint"
FORMAT_VERSION = 1
METADATA = "gpugrad-checkpoint.json"
SLOT = ".OPTIMIZER_SLOT"
STATE_FILE = "checkpoint"
_BINARY = getattr(os, "O_BINARY", 0)


# ----------------------------------------------------------------- the graph
def _escape(name):
    """A child's name as one path component ('/' cannot appear in one)."""
    return str(name).replace("%", "%25").replace("/", "%2F")


def _join(path, name):
    return _escape(name) if not path else f"{path}/{_escape(name)}"


def _slot_path(variable_path, holder_path, slot):
    return f"{variable_path}/{SLOT}/{holder_path}/{_escape(slot)}"


def _trackable(value):
    return (isinstance(value, Variable) and not getattr(value, "_symbolic", False)) or \
        hasattr(value, "_trackable_children") or isinstance(value, (list, tuple, dict))


def _shape_text(shape):
    try:
        return str(list(shape))
    except ValueError:   # unknown rank
        return "<unknown>"


class _ObjectGraph:
    """The variables reachable from ``children`` (name -> child): each with
    its paths, the first one (depth first, children in order) its own and
    the others aliases; and the slot holders (optimizers) with their paths."""

    def __init__(self, children):
        self.variables = {}   # id -> Variable, in the order first reached
        self.paths = {}       # id -> [path, ...]
        self.holders = []     # (path, object with _slot_children)
        self._alive = []      # every expanded object, so that ids stay theirs
        expanded = set()
        stack = [(_join("", name), child) for name, child in reversed(list(children.items()))]
        while stack:
            path, obj = stack.pop()
            if isinstance(obj, Variable):
                if getattr(obj, "_symbolic", False):
                    raise TypeError(f"Checkpoint: '{path}' is the graph variable {obj.name}, "
                                    f"whose value lives in each Session; a checkpoint holds "
                                    f"eager variables")
                self.add(path, obj)
                continue
            if obj is None or id(obj) in expanded:
                continue
            if hasattr(obj, "_trackable_children"):
                items = obj._trackable_children().items()
            elif isinstance(obj, dict):
                items = obj.items()
            elif isinstance(obj, (list, tuple)):
                items = enumerate(obj)
            else:
                raise TypeError(f"Checkpoint: '{path}' is a {type(obj).__name__}, which a "
                                f"checkpoint cannot hold: expected a gpugrad Variable, an "
                                f"object with _trackable_children(), or a list or dict of them")
            expanded.add(id(obj))
            self._alive.append(obj)
            if hasattr(obj, "_slot_children"):
                self.holders.append((path, obj))
            stack.extend((_join(path, name), child) for name, child in reversed(list(items)))
        for holder_path, holder in self.holders:
            for variable in list(self.variables.values()):
                for slot, slot_variable in holder._slot_children(variable).items():
                    self.add_slot(variable, holder_path, slot, slot_variable)

    def add(self, path, variable):
        if id(variable) not in self.variables:
            self.variables[id(variable)] = variable
            self.paths[id(variable)] = []
        self.paths[id(variable)].append(path)

    def add_slot(self, variable, holder_path, slot, slot_variable):
        for path in list(self.paths[id(variable)]):
            self.add(_slot_path(path, holder_path, slot), slot_variable)

    def aliases(self):
        return {alias: paths[0] for paths in self.paths.values() for alias in paths[1:]}


# ------------------------------------------------------------------- files
def _atomic_write(path, write):
    """Write ``path`` through ``write(file)``: into a temporary file in the
    same directory, synced, then renamed over ``path``. A failure anywhere
    leaves the old file as it was and no temporary file behind."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    while True:   # mkstemp's file would be private (0600); this one gets the umask's mode
        temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:   # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _distributed():
    """The distributed runtime when several ranks run (rank 0 alone writes
    files; the others wait for it), else None."""
    from .distributed import runtime
    return runtime.active()


def _writes_files():
    rt = _distributed()
    return rt is None or rt.rank == 0


def _write(children, path):
    graph = _ObjectGraph(children)
    arrays, entries = {}, {}
    for id_, variable in graph.variables.items():
        key = graph.paths[id_][0]
        host = variable._backend.to_host(variable._data)
        arrays[key] = host
        entries[key] = {"dtype": host.dtype.name, "shape": list(host.shape),
                        "sha256": npz.digest(host)}
    import gpugrad
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "gpugrad_version": gpugrad.__version__, "variables": entries,
                "aliases": graph.aliases()}
    extra = {METADATA: json.dumps(metadata, indent=1).encode()}
    _atomic_write(path, lambda f: npz.write(f, arrays, extra))
    return path


def _load(path):
    """(metadata, arrays) of a checkpoint file, every array checked against
    its recorded dtype, shape and sha256."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; pass a checkpoint file (for the "
                                f"newest in a directory: gpugrad.train.latest_checkpoint)")
    with open(path, "rb") as f:
        try:
            arrays, extra = npz.read(f)
        except ValueError as exc:
            raise DataLossError(f"checkpoint {path} is corrupt: {exc}") from None
    if METADATA not in extra:
        raise DataLossError(f"{path} is not a gpugrad checkpoint, or it is corrupt: it has "
                            f"no {METADATA}")
    try:
        metadata = json.loads(extra[METADATA])
        entries = metadata["variables"]
        version = int(metadata["format_version"])
        if metadata.get("format") != FORMAT or not isinstance(entries, dict):
            raise ValueError("not a gpugrad checkpoint's metadata")
    except (ValueError, KeyError, TypeError) as exc:
        raise DataLossError(f"checkpoint {path} is corrupt: its {METADATA} cannot be read "
                            f"({type(exc).__name__}: {exc})") from None
    if version > FORMAT_VERSION:
        raise ValueError(f"checkpoint {path} has format version {version}, written by gpugrad "
                         f"{metadata.get('gpugrad_version')}; this gpugrad reads version "
                         f"{FORMAT_VERSION} and earlier")
    problems = []
    for key, entry in entries.items():
        array = arrays.get(key)
        if array is None:
            problems.append(f"{key}: the array is missing")
        elif array.dtype.name != entry.get("dtype") or list(array.shape) != entry.get("shape"):
            problems.append(f"{key}: stored as {array.dtype.name} {list(array.shape)}, "
                            f"recorded as {entry.get('dtype')} {entry.get('shape')}")
        elif npz.digest(array) != entry.get("sha256"):
            problems.append(f"{key}: its bytes do not match their recorded sha256")
    problems += [f"{key}: an array the metadata does not list" for key in arrays
                 if key not in entries]
    if problems:
        raise DataLossError(f"checkpoint {path} is corrupt:\n  " + "\n  ".join(problems))
    return metadata, arrays


def _restore(children, path, metadata, arrays):
    """Assign the values of a loaded checkpoint to the variables reachable
    from ``children``; all or nothing. Returns the load status."""
    graph = _ObjectGraph(children)
    saved_aliases = metadata.get("aliases", {})
    # slots: a holder (optimizer) that has none yet for a variable the file
    # has slots for makes them now; attached only once everything fits
    saved_slots = set()
    for key in arrays:
        if f"/{SLOT}/" in key:
            variable_path, rest = key.split(f"/{SLOT}/", 1)
            saved_slots.add((variable_path, rest.rsplit("/", 1)[0]))
    pending = []
    for holder_path, holder in graph.holders:
        for variable in list(graph.variables.values()):
            if holder._slot_children(variable) or not any(
                    (p, holder_path) in saved_slots for p in graph.paths[id(variable)]):
                continue
            made = holder._make_slots(variable)
            pending.append((holder, variable, made))
            for slot, slot_variable in made.items():
                graph.add_slot(variable, holder_path, slot, slot_variable)
    matched, missing, used = [], [], set()
    for id_, variable in graph.variables.items():
        paths = graph.paths[id_]
        key = next((k for p in paths for k in (p, saved_aliases.get(p)) if k in arrays), None)
        if key is None:
            missing.append(paths[0])
        else:
            used.add(key)
            matched.append((paths[0], variable, key))
    unexpected = [key for key in arrays if key not in used]
    problems = []
    for where, variable, key in matched:
        array = arrays[key]
        if array.dtype.name != variable.dtype.name or \
                not variable.shape.is_compatible_with(array.shape):
            saved_as = f" (saved as {key})" if key != where else ""
            problems.append(f"  {where}{saved_as}: expected {variable.dtype.name} "
                            f"{_shape_text(variable.shape)}, found {array.dtype.name} "
                            f"{list(array.shape)}")
    if problems:
        raise InvalidArgumentError(
            f"checkpoint {path} does not fit the objects restored from it ({len(problems)} "
            f"mismatched); nothing was changed:\n" + "\n".join(problems))
    # every copy to its device first, then the assignments, which cannot fail
    values = [(variable, variable._backend.asarray(arrays[key])) for _, variable, key in matched]
    for variable, value in values:
        variable.assign(Tensor(value, variable._backend), read_value=False)
    for holder, variable, made in pending:
        holder._attach_slots(variable, made)
    return CheckpointLoadStatus(path, len(matched), missing, unexpected)


# ------------------------------------------------------------------ status
def _listed(names, limit=10):
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class CheckpointLoadStatus:
    """What a restore matched. The values are assigned already; these
    methods only check. ``missing``: paths of the objects' variables the file
    had no value for (they kept their values); ``unexpected``: the file's
    values no variable took. Unless one of the methods is called, a partial
    match is reported by a warning when the status is dropped, as in
    TensorFlow."""

    def __init__(self, path, matched, missing, unexpected):
        self.path = path
        self.matched = matched
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self._checked = False

    def assert_consumed(self):
        """Raise AssertionError unless every saved value was used and every
        variable got one."""
        self._checked = True
        problems = []
        if self.unexpected:
            problems.append(f"values in the checkpoint no object took: {_listed(self.unexpected)}")
        if self.missing:
            problems.append(f"variables the checkpoint has no value for: {_listed(self.missing)}")
        if problems:
            raise AssertionError(f"checkpoint {self.path} was not consumed exactly; "
                                 + "; ".join(problems))
        return self

    def assert_existing_objects_matched(self):
        """Raise AssertionError unless every variable got a value (saved
        values nothing took are allowed)."""
        self._checked = True
        if self.missing:
            raise AssertionError(f"checkpoint {self.path} has no value for "
                                 f"{_listed(self.missing)}")
        return self

    def assert_nontrivial_match(self):
        """Raise AssertionError when nothing at all was restored."""
        self._checked = True
        if not self.matched:
            raise AssertionError(f"checkpoint {self.path} matched none of the objects' "
                                 f"variables")
        return self

    def expect_partial(self):
        """Silence the warning about values or variables left unmatched."""
        self._checked = True
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run: the values were assigned when restored."""

    def initialize_or_restore(self, session=None):
        """Nothing to run: the values were assigned when restored."""

    def __del__(self):
        if self._checked or not (self.missing or self.unexpected):
            return
        try:
            parts = []
            if self.unexpected:
                parts.append(f"values no object took: {_listed(self.unexpected)}")
            if self.missing:
                parts.append(f"variables left as they were: {_listed(self.missing)}")
            warnings.warn(f"checkpoint {self.path} was restored partially ({'; '.join(parts)}); "
                          f"call expect_partial() on the status restore() returns to silence "
                          f"this, or assert_consumed() to make it an error", UserWarning)
        except Exception:   # interpreter shutdown
            pass


class _NothingRestored:
    """``restore(None)``: no checkpoint yet; every variable keeps its value."""
    path = None
    matched = 0
    missing = unexpected = ()

    def assert_consumed(self):
        raise AssertionError("no checkpoint was given (save_path=None); nothing was restored")

    assert_existing_objects_matched = assert_nontrivial_match = assert_consumed

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        pass

    def initialize_or_restore(self, session=None):
        pass


# -------------------------------------------------------------- checkpoint
def _new_counter():
    with _backends.device("cpu"):
        return Variable(0, dtype=int64, trainable=False, name="save_counter")


class Checkpoint:
    """Saves and restores the variables reachable from its keyword arguments.

        ckpt = gpugrad.train.Checkpoint(model=model, optimizer=opt, step=step)
        path = ckpt.save("ckpts/run")         # ckpts/run-1, ckpts/run-2, ...
        ckpt.restore(path)

    Each argument is a Variable, an object with ``_trackable_children()``
    (a model, an optimizer, another Checkpoint), or a list or dict of them.
    ``root``: an object whose children sit at the top level, beside the
    keyword arguments. Public attributes set later are tracked too.
    """

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_root", root)
        if root is not None and not hasattr(root, "_trackable_children"):
            raise ValueError(f"Checkpoint: root must have _trackable_children(), got a "
                             f"{type(root).__name__}")
        for name, value in kwargs.items():
            if name == "save_counter":
                raise ValueError("Checkpoint: 'save_counter' is the checkpoint's own counter")
            if not _trackable(value):
                raise ValueError(f"Checkpoint was expecting {name} to be trackable (a gpugrad "
                                 f"Variable, an object with _trackable_children(), or a list "
                                 f"or dict of them), got a {type(value).__name__}: {value!r}")
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if not name.startswith("_"):
            if name == "save_counter":
                raise AttributeError("Checkpoint.save_counter cannot be replaced")
            if _trackable(value):
                self._children[name] = value
            else:
                self._children.pop(name, None)
        object.__setattr__(self, name, value)

    @property
    def save_counter(self):
        """The number of ``save`` calls (an int64 variable, saved with the
        checkpoint so that numbering goes on after a restore)."""
        if self._save_counter is None:
            object.__setattr__(self, "_save_counter", _new_counter())
        return self._save_counter

    def _trackable_children(self):
        children = dict(self._root._trackable_children()) if self._root is not None else {}
        for name, value in self._children.items():
            if name in children:
                raise ValueError(f"Checkpoint: '{name}' is both a child of root and an "
                                 f"argument")
            children[name] = value
        if self._save_counter is not None:
            children["save_counter"] = self._save_counter
        return children

    def write(self, file_prefix, options=None):
        """Write the checkpoint to exactly ``file_prefix``; returns the path.
        In a distributed run rank 0 writes and every rank returns once the
        file is there."""
        return self._write_then(os.fspath(file_prefix))

    def _write_then(self, path, then=None):
        """Write the checkpoint to ``path``, then call ``then()`` (recording
        it in the state file); in a distributed run rank 0 alone does both and
        every rank returns once both are done, so a rank that reads the
        directory next finds the new checkpoint recorded."""
        children = self._trackable_children()
        rt = _distributed()
        if rt is None or rt.rank == 0:
            _write(children, path)
            if then is not None:
                then()
        if rt is not None:
            rt.barrier(f"writing the checkpoint {path} (rank 0 writes it)")
        return path

    def read(self, save_path, options=None):
        """Restore from exactly ``save_path``; returns a CheckpointLoadStatus."""
        path = os.fspath(save_path)
        metadata, arrays = _load(path)
        children = self._trackable_children()
        counter = None
        if self._save_counter is None and "save_counter" in arrays:
            counter = children["save_counter"] = _new_counter()
        status = _restore(children, path, metadata, arrays)
        if counter is not None:
            object.__setattr__(self, "_save_counter", counter)
        return status

    def save(self, file_prefix, options=None):
        """Write ``<file_prefix>-<n>``, n counting the saves (``save_counter``),
        record it as the directory's latest checkpoint; returns the path."""
        counter = self.save_counter
        counter.assign_add(1)
        path = f"{os.fspath(file_prefix)}-{int(counter.numpy())}"
        directory = os.path.dirname(path) or os.curdir
        try:
            self._write_then(path, lambda: _write_state(directory, path, [path]))
        except BaseException:
            counter.assign_sub(1)
            raise
        return path

    def restore(self, save_path, options=None):
        """Restore from ``save_path`` (as ``save`` or ``latest_checkpoint``
        return it); None restores nothing. Returns a CheckpointLoadStatus."""
        if save_path is None:
            return _NothingRestored()
        return self.read(save_path, options)


# --------------------------------------------------------- the state file
_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*(".*")\s*$')


def _state_path(directory, latest_filename=None):
    return os.path.join(os.fspath(directory), latest_filename or STATE_FILE)


def _read_state(directory, latest_filename=None):
    """(latest path, [all paths]) from a directory's state file, or None."""
    try:
        with open(_state_path(directory, latest_filename)) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    latest, every = None, []
    for line in text.splitlines():
        match = _STATE_LINE.match(line)
        if not match:
            continue
        try:
            value = json.loads(match.group(2))
        except ValueError:
            continue
        if not os.path.isabs(value):
            value = os.path.join(os.fspath(directory), value)
        if match.group(1) == "model_checkpoint_path":
            latest = value
        elif match.group(1) == "all_model_checkpoint_paths":
            every.append(value)
    return latest, every


def _write_state(directory, latest, every):
    """Write the directory's state file as TensorFlow does (text, paths
    relative to the directory when inside it)."""
    directory = os.fspath(directory)

    def relative(path):
        if os.path.abspath(os.path.dirname(path)) == os.path.abspath(directory):
            return os.path.basename(path)
        return os.path.abspath(path)

    lines = [f"model_checkpoint_path: {json.dumps(relative(latest))}"]
    lines += [f"all_model_checkpoint_paths: {json.dumps(relative(p))}" for p in every]
    text = "\n".join(lines) + "\n"
    if not _writes_files():
        return
    _atomic_write(_state_path(directory), lambda f: f.write(text.encode()))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint recorded in ``checkpoint_dir`` by ``save`` or a
    CheckpointManager, or None (no record, or the file is gone)."""
    state = _read_state(checkpoint_dir, latest_filename)
    if state is None or state[0] is None or not os.path.isfile(state[0]):
        return None
    return state[0]


class CheckpointManager:
    """Numbered checkpoints in one directory, the oldest deleted beyond
    ``max_to_keep`` (None keeps all).

        manager = CheckpointManager(ckpt, "ckpts", max_to_keep=3)
        manager.restore_or_initialize()
        ...
        manager.save()                 # ckpts/ckpt-1, ckpts/ckpt-2, ...

    With ``step_counter`` and ``checkpoint_interval``, ``save`` writes only
    when the counter has moved on by the interval since the last save.
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager: expected a gpugrad.train.Checkpoint, got a "
                            f"{type(checkpoint).__name__}")
        if max_to_keep is not None and (int(max_to_keep) != max_to_keep or max_to_keep <= 0):
            raise ValueError(f"CheckpointManager: max_to_keep must be a positive integer or "
                             f"None, got {max_to_keep!r}")
        if keep_checkpoint_every_n_hours is not None:
            raise NotImplementedError("CheckpointManager: keep_checkpoint_every_n_hours is not "
                                      "supported yet")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("CheckpointManager: checkpoint_interval needs a step_counter")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._max_to_keep = max_to_keep
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        state = _read_state(self._directory)
        latest, every = state if state is not None else (None, [])
        self._kept = [p for p in every if os.path.isfile(p)]
        self._latest = latest if latest is not None and os.path.isfile(latest) else None

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def latest_checkpoint(self):
        """The newest checkpoint this manager saved or found, or None."""
        return self._latest

    @property
    def checkpoints(self):
        """The paths kept, oldest first."""
        return list(self._kept)

    def save(self, checkpoint_number=None, check_interval=True):
        """Write the next checkpoint (numbered by ``checkpoint_number``, else
        by the checkpoint's save counter), record it, delete the oldest
        beyond ``max_to_keep``; returns its path, or None when the interval
        has not passed."""
        step = None
        if self._step_counter is not None:
            step = int(_value(self._step_counter))
        if check_interval and self._checkpoint_interval is not None and \
                self._last_step is not None and step < self._last_step + self._checkpoint_interval:
            return None
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = int(counter.numpy()) if checkpoint_number is None else \
            int(_value(checkpoint_number))
        path = f"{self._prefix}-{number}"
        kept = [p for p in self._kept if p != path] + [path]
        dropped = []
        if self._max_to_keep is not None and len(kept) > self._max_to_keep:
            cut = len(kept) - self._max_to_keep
            dropped, kept = kept[:cut], kept[cut:]

        def record_and_prune():
            # the new one recorded first: a crash while deleting still finds it
            _write_state(self._directory, path, dropped + kept)
            for old in dropped:
                try:
                    os.remove(old)
                except FileNotFoundError:
                    pass
            if dropped:
                _write_state(self._directory, path, kept)

        try:
            self._checkpoint._write_then(path, record_and_prune)
        except BaseException:
            counter.assign_sub(1)
            raise
        self._kept, self._latest, self._last_step = kept, path, step
        return path

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path; with none, call
        ``init_fn`` (when given) and return None."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            if self._step_counter is not None:
                self._last_step = int(_value(self._step_counter))
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None


def _value(x):
    return x.numpy() if hasattr(x, "numpy") else x
