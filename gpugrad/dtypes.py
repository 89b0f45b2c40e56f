"""Data types, by name. Arrays carry native dtypes; these objects are what
users see (``gpugrad.float32``) and compare with."""


class DType:
    __slots__ = ("name", "is_floating", "is_integer", "is_bool", "size")

    def __init__(self, name, kind, size):
        self.name = name
        self.is_floating = kind == "f"
        self.is_integer = kind == "i"
        self.is_bool = kind == "b"
        self.size = size

    @property
    def base_dtype(self):
        return self

    @property
    def as_numpy_dtype(self):
        from . import backend
        return backend.cpu().native_dtype(self.name).type

    def __repr__(self):
        return f"gpugrad.{self.name}"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", "f", 2)
float32 = DType("float32", "f", 4)
float64 = DType("float64", "f", 8)
int32 = DType("int32", "i", 4)
int64 = DType("int64", "i", 8)
bool_ = DType("bool", "b", 1)
half, double = float16, float64

_BY_NAME = {d.name: d for d in (float16, float32, float64, int32, int64, bool_)}
_ALIASES = {"float": float32, "int": int32, "double": float64, "half": float16}


def as_dtype(value):
    """A DType from a DType, a name, a Python type or a numpy dtype."""
    if isinstance(value, DType):
        return value
    if value is float:
        return float32
    if value is int:
        return int32
    if value is bool:
        return bool_
    name = getattr(value, "name", None) or getattr(value, "__name__", None) or value
    if isinstance(name, str):
        found = _BY_NAME.get(name) or _ALIASES.get(name)
        if found is not None:
            return found
    raise TypeError(f"unsupported dtype {value!r}: gpugrad supports "
                    f"{', '.join(_BY_NAME)}")


def from_name(name):
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TypeError(f"arrays of dtype {name} are not supported: gpugrad "
                        f"supports {', '.join(_BY_NAME)}") from None
