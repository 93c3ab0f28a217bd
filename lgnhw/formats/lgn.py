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

Arrays are read without pickles; the header's declared dtypes and shapes must
match each array's own .npy header (checked before its data is read), and the
result must pass :meth:`Netlist.check`.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from ..errors import FormatError, LgnhwError
from ..fileio import atomic_open
from ..netlist import Netlist
from .limits import Archive, check_model_size, clip, describe, loads_json

__all__ = ["write_lgn", "read_lgn", "is_lgn", "HEADER", "VERSION"]

HEADER = "lgnhw.json"
MAGIC = "lgnhw-netlist"
VERSION = 1
_DTYPES = {"op": "uint8", "a": "int32", "b": "int32", "outputs": "int32", "bias": "int64",
           "thresholds": "float64"}
_REQUIRED = ("op", "a", "b", "outputs", "bias")
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MAX_HEADER = 16 << 20             # bytes of lgnhw.json (the arrays are separate members)


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
        with Archive(path) as zf:
            return HEADER in zf.names
    except FormatError:
        return False


def _int_field(path, header, name, low, default=None):
    value = header.get(name, default)
    if type(value) is not int or value < low:
        raise FormatError(path, f"header field '{name}' is {describe(value)}, expected an integer >= {low}")
    return value


def read_lgn(path) -> Netlist:
    """Read and strictly validate a ``.lgn`` file; :class:`FormatError` on any problem.

    Every array's header is checked against the ``lgnhw.json`` declaration
    before its data is read; ``num_inputs`` may not exceed the model-size limit
    (:mod:`.limits`)."""
    with Archive(path) as zf:
        try:
            raw = zf.read(HEADER, _MAX_HEADER)
        except KeyError:
            raise FormatError(path, f"not a .lgn file (no {HEADER} inside)") from None
        header = loads_json(path, raw, ".lgn content")
        if not isinstance(header, dict) or header.get("format") != MAGIC:
            raise FormatError(path, f"{HEADER} does not declare format {MAGIC!r}")
        if header.get("version") != VERSION:
            raise FormatError(path, f"unsupported .lgn version {describe(header.get('version'))} "
                                    f"(this lgnhw reads version {VERSION})")
        declared = header.get("arrays")
        if not isinstance(declared, dict):
            raise FormatError(path, "header has no 'arrays' table")
        for name, spec in declared.items():
            if name not in _DTYPES:
                raise FormatError(path, f"unknown array {describe(name)}")
            if not (isinstance(spec, dict) and isinstance(spec.get("shape"), list)):
                raise FormatError(path, f"array {name!r} has no shape in the header")
        for name in ("num_inputs", "num_classes"):
            if name not in header:
                raise FormatError(path, f"header field '{name}' is missing")
        num_inputs = _int_field(path, header, "num_inputs", 0)
        check_model_size(path, "inputs", num_inputs)
        num_classes = _int_field(path, header, "num_classes", 1)
        tau, meta = header.get("tau", 1.0), header.get("meta", {})
        if not isinstance(tau, (int, float)) or isinstance(tau, bool) or not isinstance(meta, dict):
            raise FormatError(path, "header fields 'tau' (a number) or 'meta' (an object) are malformed")
        arrays = {}
        for name in _REQUIRED + ("thresholds",):
            if name not in declared:
                if name == "thresholds":
                    continue
                raise FormatError(path, f"array {name!r} is missing")
            try:
                arrays[name] = zf.read_npy(name + ".npy", _expect(name, declared[name]))
            except KeyError:
                raise FormatError(path, f"member {name}.npy is missing") from None
        outputs = arrays["outputs"].shape[0] if arrays["outputs"].ndim else 0
        if num_classes > max(outputs, 1):
            raise FormatError(path, f"{outputs} outputs cannot be split into {num_classes} equal class groups")
        try:
            net = Netlist(num_inputs=num_inputs, num_classes=num_classes, tau=tau, meta=meta, **arrays)
            return net.check()
        except LgnhwError as err:
            raise FormatError(path, str(err)) from None


def _expect(name, spec):
    """The ``accept`` check of :meth:`Archive.read_npy` for array ``name``."""
    want = _DTYPES[name]

    def accept(dtype, shape):
        if dtype.hasobject:
            return f"malformed .lgn content (array {name!r} holds Python objects, which are never loaded)"
        if str(dtype) != want or spec.get("dtype") != want:
            return f"array {name!r} has dtype {clip(dtype, 40)}, expected {want}"
        if list(shape) != spec["shape"]:
            return f"array {name!r} has shape {list(shape)}, header says {clip(spec['shape'])}"
        return None
    return accept
