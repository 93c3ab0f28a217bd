"""The native ``.lgn`` format.

A ``.lgn`` file is a zip archive (stored, not compressed, fixed timestamps so
the same netlist gives the same bytes) holding:

``lgnhw.json``
    the header: ``{"format": "lgnhw-netlist", "version": 1, "num_inputs",
    "num_classes", "tau", "meta", "arrays": {name: {"dtype", "shape"}}}``.
``<name>.npy``
    one numpy ``.npy`` file per array: ``op`` uint8, ``a``/``b``/``outputs``
    int32, ``bias`` int64 and, if the model has a thermometer input encoding,
    ``thresholds`` float64 (features, T).

Arrays are read with ``allow_pickle=False``; the header's declared dtypes and
shapes must match the arrays, and the result must pass :meth:`Netlist.check`.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from ..errors import FormatError, LgnhwError
from ..fileio import atomic_open
from ..netlist import Netlist

__all__ = ["write_lgn", "read_lgn", "is_lgn", "HEADER", "VERSION"]

HEADER = "lgnhw.json"
MAGIC = "lgnhw-netlist"
VERSION = 1
_DTYPES = {"op": "uint8", "a": "int32", "b": "int32", "outputs": "int32", "bias": "int64",
           "thresholds": "float64"}
_REQUIRED = ("op", "a", "b", "outputs", "bias")
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _arrays(net: Netlist) -> dict[str, np.ndarray]:
    arrays = {name: getattr(net, name) for name in _REQUIRED}
    if net.thresholds is not None:
        arrays["thresholds"] = net.thresholds
    return arrays


def write_lgn(net: Netlist, path) -> None:
    """Write ``net`` to ``path`` atomically and deterministically."""
    net.check()
    arrays = _arrays(net)
    header = {
        "format": MAGIC, "version": VERSION,
        "num_inputs": net.num_inputs, "num_classes": net.num_classes, "tau": net.tau,
        "meta": dict(sorted(net.meta.items())),
        "arrays": {k: {"dtype": _DTYPES[k], "shape": list(v.shape)} for k, v in arrays.items()},
    }
    with atomic_open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(HEADER, _EPOCH), json.dumps(header, indent=1, sort_keys=True))
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr, dtype=_DTYPES[name]),
                                      allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(name + ".npy", _EPOCH), buf.getvalue())


def is_lgn(path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return HEADER in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def read_lgn(path) -> Netlist:
    """Read and strictly validate a ``.lgn`` file; :class:`FormatError` on any problem."""
    try:
        with zipfile.ZipFile(path) as zf:
            try:
                header = json.loads(zf.read(HEADER))
            except KeyError:
                raise FormatError(path, f"not a .lgn file (no {HEADER} inside)") from None
            if not isinstance(header, dict) or header.get("format") != MAGIC:
                raise FormatError(path, f"{HEADER} does not declare format {MAGIC!r}")
            if header.get("version") != VERSION:
                raise FormatError(path, f"unsupported .lgn version {header.get('version')!r} "
                                        f"(this lgnhw reads version {VERSION})")
            declared = header.get("arrays")
            if not isinstance(declared, dict):
                raise FormatError(path, "header has no 'arrays' table")
            arrays = {}
            for name in declared:
                if name not in _DTYPES:
                    raise FormatError(path, f"unknown array {name!r}")
            for name in _REQUIRED + ("thresholds",):
                if name not in declared:
                    if name == "thresholds":
                        continue
                    raise FormatError(path, f"array {name!r} is missing")
                try:
                    arr = np.lib.format.read_array(io.BytesIO(zf.read(name + ".npy")),
                                                   allow_pickle=False)
                except KeyError:
                    raise FormatError(path, f"member {name}.npy is missing") from None
                spec = declared[name]
                if str(arr.dtype) != _DTYPES[name] or spec.get("dtype") != _DTYPES[name]:
                    raise FormatError(path, f"array {name!r} has dtype {arr.dtype}, expected {_DTYPES[name]}")
                if list(arr.shape) != spec.get("shape"):
                    raise FormatError(path, f"array {name!r} has shape {list(arr.shape)}, "
                                            f"header says {spec.get('shape')}")
                arrays[name] = arr
            try:
                net = Netlist(num_inputs=header["num_inputs"], num_classes=header["num_classes"],
                              tau=header.get("tau", 1.0), meta=header.get("meta", {}), **arrays)
            except KeyError as err:
                raise FormatError(path, f"header field {err} is missing") from None
            return net.check()
    except FormatError:
        raise
    except LgnhwError as err:
        raise FormatError(path, str(err)) from None
    except (zipfile.BadZipFile, EOFError) as err:
        raise FormatError(path, f"truncated or corrupt .lgn archive ({err})") from None
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise FormatError(path, f"malformed .lgn content ({err})") from None
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
