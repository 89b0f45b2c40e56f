"""Host arrays to and from one .npz file, for checkpoints.

Checkpoints (gpugrad/checkpoint.py) copy each variable to the host with its
backend's ``to_host``, hand the host arrays to ``write``, and get host arrays
back from ``read``, which each variable's backend then copies to its device.
Only this package imports numpy, so the file format's array half lives here.

The file is a zip archive, uncompressed: one ``<name>.npy`` member per array
(numpy's own format, so ``numpy.load`` opens the file too) and any number of
extra members given as bytes (the checkpoint's JSON metadata).
"""
import hashlib
import zipfile

import numpy
from numpy.lib import format as _npy


def digest(array):
    """sha256 (hex) of a host array's bytes in C order."""
    return hashlib.sha256(numpy.ascontiguousarray(array).data).hexdigest()


def write_array(archive, member, array):
    """Write one host array into an open zip archive as ``member``."""
    with archive.open(member, "w", force_zip64=True) as f:
        _npy.write_array(f, numpy.asarray(array), allow_pickle=False)


def write(fileobj, arrays, extra=None):
    """Write ``extra`` (member name -> bytes) and ``arrays`` (name -> host
    array, stored as ``name.npy``) into ``fileobj``, an open binary file."""
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
        for name, array in arrays.items():
            write_array(archive, name + ".npy", array)


def read(fileobj):
    """(arrays, extra) from a file ``write`` made: name -> host array for the
    ``.npy`` members, member name -> bytes for the others. Anything wrong
    with the contents (not a zip, a member failing its CRC, a damaged array
    header, a short read) raises ValueError saying what."""
    try:
        arrays, extra = {}, {}
        with zipfile.ZipFile(fileobj, "r") as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    with archive.open(member) as f:
                        arrays[member[:-4]] = _npy.read_array(f, allow_pickle=False)
                else:
                    extra[member] = archive.read(member)
        return arrays, extra
    except MemoryError:
        raise
    except Exception as exc:   # zipfile, numpy and struct each raise their own
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
