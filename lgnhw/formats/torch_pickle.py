"""Read ``torch.save`` files without torch and without running code from them.

A ``torch.save`` file is a pickle plus raw tensor storages, in one of two
layouts:

zip (torch >= 1.6, the default)
    ``<name>/data.pkl`` (the pickle), ``<name>/data/<key>`` (one raw storage
    per key), ``<name>/byteorder`` (``little``/``big``, torch >= 2.1).
    The pickle's persistent ids are
    ``('storage', StorageType, key, location, numel)``.
legacy (``_use_new_zipfile_serialization=False``)
    a sequence of pickles: magic number, protocol version (1001), system info,
    the object pickle, the list of storage keys; then, for each key in that
    order, an int64 element count followed by the raw elements. Persistent ids
    are ``('storage', StorageType, key, location, numel, view_metadata)`` and
    ``('module', cls, source_file, source)`` for ``nn.Module`` classes.

The pickle is read by :class:`RestrictedUnpickler`, whose ``find_class``
resolves only an allow-list of globals, each mapped to an inert stand-in
defined here (never to the real torch or difflogic object). Every other global
(``os.system``, ``builtins.exec``, ``subprocess.*``, a user's own classes ...)
is refused with a :class:`~lgnhw.errors.FormatError` before anything is
called. Tensors come back as :class:`LazyTensor` (materialised as numpy arrays
on demand, honouring dtype, byte order, storage offset, size and stride), and
``nn.Module`` objects as :class:`Module` stand-ins whose attributes mirror the
pickled ``__dict__``. The storage location (``cpu``, ``cuda:0``, ...) is
recorded and otherwise ignored: a checkpoint saved from a GPU loads the same.
"""

from __future__ import annotations

import _compat_pickle
import io
import math
import pickle
import struct
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from ..errors import FormatError
from ..fileio import read_head

__all__ = ["load_torch_file", "RestrictedUnpickler", "LazyTensor", "Storage", "Module",
           "DeviceRef", "module_type_name"]

#: Legacy format magic number and protocol version (torch/serialization.py).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# Errors a corrupt or truncated pickle can raise while being unpickled.
_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                  IndexError, KeyError, struct.error, OverflowError, UnicodeDecodeError,
                  RecursionError, MemoryError, zipfile.BadZipFile, zlib.error, OSError)

# torch dtype name -> (numpy dtype string, little-endian; "bfloat16" is special)
_DTYPES = {
    "float64": "f8", "float32": "f4", "float16": "f2", "bfloat16": "u2",
    "int64": "i8", "int32": "i4", "int16": "i2", "int8": "i1", "uint8": "u1", "bool": "?",
    "complex64": "c8", "complex128": "c16",
}
_STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8",
}
_DTYPE_ALIASES = {"double": "float64", "float": "float32", "half": "float16", "long": "int64",
                  "int": "int32", "short": "int16"}


def _numpy_dtype(name: str, little: bool) -> np.dtype:
    code = _DTYPES[name]
    return np.dtype(("<" if little else ">") + code) if code not in ("?", "i1", "u1") else np.dtype(code)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


# -- inert stand-ins ---------------------------------------------------------------


class StorageType:
    """Stand-in for ``torch.FloatStorage`` & co: only names a dtype."""

    def __init__(self, name: str, dtype: str):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"<StorageType {self.name}>"


class DType:
    """Stand-in for a ``torch.<dtype>`` global (``torch.float32`` ...)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


class DeviceRef:
    """Stand-in for ``torch.device``: remembers type and index, does nothing."""

    def __init__(self, type_, index=None):
        self.type, self.index = str(type_), index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    __repr__ = __str__


class Storage:
    """One raw storage: dtype name, element count, location tag and (once read) its elements."""

    def __init__(self, path, key: str, dtype: str, numel: int, location: str):
        self.path, self.key, self.dtype, self.numel, self.location = path, key, dtype, numel, location
        self.data: np.ndarray | None = None  # 1-D, numpy dtype of self.dtype (uint16 for bfloat16)

    def fill(self, raw: bytes, little: bool) -> None:
        itemsize = _numpy_dtype(self.dtype, little).itemsize
        if len(raw) != self.numel * itemsize:
            raise FormatError(self.path, f"storage '{self.key}' holds {len(raw)} bytes, expected "
                                         f"{self.numel * itemsize} ({self.numel} x {self.dtype}); "
                                         "the file is truncated or corrupt")
        self.data = np.frombuffer(raw, dtype=_numpy_dtype(self.dtype, little))


class LazyTensor:
    """A pickled tensor: storage view parameters, turned into a numpy array by :meth:`numpy`."""

    def __init__(self, storage, offset, size, stride, dtype=None):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.view_dtype = dtype  # _rebuild_tensor_v3 dtype override
        self._array = None

    @property
    def shape(self):
        return tuple(self.size) if isinstance(self.size, (tuple, list)) else self.size

    @property
    def device(self) -> str:
        return getattr(self.storage, "location", "?")

    def numpy(self) -> np.ndarray:
        """The tensor as a read-only numpy array (bfloat16 widened to float32)."""
        if self._array is None:
            self._array = self._materialise()
        return self._array

    def _fail(self, problem):
        raise FormatError(getattr(self.storage, "path", None), f"malformed tensor: {problem}")

    def _materialise(self) -> np.ndarray:
        st = self.storage
        if not isinstance(st, Storage):
            self._fail(f"its storage is a {type(st).__name__}, not a tensor storage")
        if st.data is None:
            self._fail(f"storage '{st.key}' has no data in the file")
        size, stride, offset = self.size, self.stride, self.offset
        if not (isinstance(size, (tuple, list)) and isinstance(stride, (tuple, list))
                and len(size) == len(stride)
                and all(type(v) is int for v in (*size, *stride, offset))):
            self._fail(f"size {size!r}, stride {stride!r}, offset {offset!r} are not matching integer tuples")
        if offset < 0 or any(v < 0 for v in (*size, *stride)):
            self._fail(f"negative size, stride or offset (size {tuple(size)}, stride {tuple(stride)}, offset {offset})")
        data = st.data
        name = st.dtype
        if self.view_dtype is not None and isinstance(self.view_dtype, DType) \
                and self.view_dtype.name != st.dtype:
            # _rebuild_tensor_v3 on an untyped (byte) storage: reinterpret the bytes.
            name = self.view_dtype.name
            want = _numpy_dtype(name, data.dtype.byteorder != ">")
            if data.nbytes % want.itemsize:
                self._fail(f"storage '{st.key}' of {data.nbytes} bytes cannot be viewed as {name}")
            data = data.view(want)
        count = math.prod(size)
        if count:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= data.shape[0] or count > data.shape[0]:
                self._fail(f"view (offset {offset}, size {tuple(size)}, stride {tuple(stride)}) "
                           f"reaches outside its storage '{st.key}' of {data.shape[0]} elements")
            view = np.lib.stride_tricks.as_strided(
                data[offset:], shape=tuple(size),
                strides=tuple(s * data.itemsize for s in stride), writeable=False)
            arr = np.array(view)
        else:
            arr = np.zeros(tuple(size), dtype=data.dtype)
        if name == "bfloat16":
            arr = (arr.astype(np.uint32) << np.uint32(16)).view(np.float32)
        arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)
        arr.setflags(write=False)
        return arr

    def __repr__(self):
        return f"<LazyTensor {self.storage.dtype if isinstance(self.storage, Storage) else '?'} {self.shape}>"


class Module:
    """Stand-in for a pickled ``nn.Module``: its ``__dict__`` is the pickled state.

    Attribute lookup falls back to ``_parameters``, ``_buffers`` and
    ``_modules`` as ``torch.nn.Module.__getattr__`` does, so ``layer.weights``
    works on a stand-in as on the live module.
    """

    #: dotted name of the class the pickle named, e.g. ``difflogic.difflogic.LogicLayer``
    type_name = "torch.nn.Module"

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            state = state[0] or {}
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise pickle.UnpicklingError(f"{self.type_name} state is not a dict of attributes")
        self.__dict__.update(state)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        d = self.__dict__
        for bag in ("_parameters", "_buffers", "_modules"):
            inner = d.get(bag)
            if isinstance(inner, dict) and name in inner:
                return inner[name]
        raise AttributeError(f"{self.type_name} has no attribute {name!r}")

    def __repr__(self):
        return f"<{self.type_name} stand-in>"


def _module_class(qualname: str):
    return type(qualname.rsplit(".", 1)[1], (Module,), {"type_name": qualname,
                                                       "__module__": __name__})


def module_type_name(obj) -> str:
    """Dotted class name of a live module or of a :class:`Module` stand-in."""
    if isinstance(obj, Module):
        return obj.type_name
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


# Rebuild functions: torch's names, inert bodies.

def _rebuild_tensor(storage, storage_offset, size, stride):
    return LazyTensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return LazyTensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    return LazyTensor(storage, storage_offset, size, stride, dtype=dtype)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return data


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return data


_REBUILDERS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state)


class _TensorType:
    """Stand-in for ``torch.Tensor`` / ``torch.nn.Parameter`` as a ``new_type`` argument."""


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDERS or new_type is not _TensorType:
        raise pickle.UnpicklingError("_rebuild_from_type_v2 with an unsupported function or type")
    return func(*args)


def _rebuild_from_type(func, type_, args, dict_):
    return _rebuild_from_type_v2(func, type_, args, dict_)


def _size(dims=()):
    return tuple(dims)


_SEQUENTIAL = _module_class("torch.nn.modules.container.Sequential")
_FLATTEN = _module_class("torch.nn.modules.flatten.Flatten")
_LOGIC_LAYER = _module_class("difflogic.difflogic.LogicLayer")
_GROUP_SUM = _module_class("difflogic.difflogic.GroupSum")
MODULE_CLASSES = (_SEQUENTIAL, _FLATTEN, _LOGIC_LAYER, _GROUP_SUM)

_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch._tensor", "_rebuild_from_type"): _rebuild_from_type,
    ("torch", "Tensor"): _TensorType,
    ("torch._tensor", "Tensor"): _TensorType,
    ("torch.nn.parameter", "Parameter"): _TensorType,
    ("torch", "device"): DeviceRef,
    ("torch", "Size"): _size,
    ("torch.nn.modules.container", "Sequential"): _SEQUENTIAL,
    ("torch.nn", "Sequential"): _SEQUENTIAL,
    ("torch.nn.modules.flatten", "Flatten"): _FLATTEN,
    ("torch.nn", "Flatten"): _FLATTEN,
}
for _name, _dt in _STORAGE_DTYPES.items():
    for _mod in ("torch", "torch.cuda", "torch.storage"):
        _ALLOWED[(_mod, _name)] = StorageType(_name, _dt)
for _name in (*_DTYPES, *_DTYPE_ALIASES):
    _ALLOWED[("torch", _name)] = DType(_DTYPE_ALIASES.get(_name, _name))
_DIFFLOGIC_CLASSES = {"LogicLayer": _LOGIC_LAYER, "GroupSum": _GROUP_SUM}


def _is_difflogic_module(module: str) -> bool:
    """``difflogic``, ``difflogic.difflogic`` and vendored copies (``pkg.difflogic.difflogic``)."""
    parts = module.split(".")
    return parts[-1] == "difflogic" and all(p.isidentifier() for p in parts)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only allow-listed globals, to inert stand-ins.

    ``storage_for(pid)`` is called for ``('storage', ...)`` persistent ids and
    must return a :class:`Storage`.
    """

    def __init__(self, file, path, storage_for=None):
        super().__init__(file)
        self._path = path
        self._storage_for = storage_for

    def find_class(self, module, name):
        # Protocol 2 pickles use Python 2 names (__builtin__, commands ...): map them
        # back as pickle does, so the allow-list and error messages see Python 3 names.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        found = _ALLOWED.get((module, name))
        if found is None and name in _DIFFLOGIC_CLASSES and _is_difflogic_module(module):
            found = _DIFFLOGIC_CLASSES[name]
        if found is None:
            raise FormatError(self._path, f"refusing to load: pickle references forbidden global "
                                          f"'{module}.{name}'")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and isinstance(pid[0], str)):
            raise pickle.UnpicklingError(f"unsupported persistent id {type(pid).__name__}")
        kind = pid[0]
        if kind == "module" and len(pid) >= 2 and pid[1] in MODULE_CLASSES:
            return pid[1]  # legacy format: (module, cls, source_file, source)
        if kind == "storage" and len(pid) in (5, 6) and self._storage_for is not None:
            _, stype, key, location, numel = pid[:5]
            if not (isinstance(stype, StorageType) and isinstance(key, str)
                    and type(numel) is int and numel >= 0):
                raise pickle.UnpicklingError("malformed storage reference")
            if len(pid) == 6 and pid[5] is not None:
                raise pickle.UnpicklingError("legacy storage views are not supported")
            return self._storage_for(key, stype.dtype, numel, str(location))
        raise pickle.UnpicklingError(f"unsupported persistent id kind {kind!r}")


# -- file readers --------------------------------------------------------------------


def _unpickle(data, path, storage_for):
    """Run the restricted unpickler; turn every low-level failure into a FormatError."""
    f = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        return RestrictedUnpickler(f, path, storage_for).load()
    except FormatError:
        raise
    except _PICKLE_ERRORS as err:
        raise FormatError(path, f"corrupt or truncated checkpoint pickle ({_one_line(err)})") from None


def _load_zip(path):
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FormatError(path, "truncated or corrupt zip archive") from None
    with zf:
        names = set(zf.namelist())
        pkls = sorted(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
        if len(pkls) != 1:
            raise FormatError(path, "not a torch.save archive (expected exactly one data.pkl, "
                                    f"found {len(pkls)})")
        prefix = pkls[0][: -len("data.pkl")]
        little = True
        if prefix + "byteorder" in names:
            order = zf.read(prefix + "byteorder").decode("ascii", "replace").strip()
            if order not in ("little", "big"):
                raise FormatError(path, f"unknown byteorder {order!r} in the archive")
            little = order == "little"
        storages: dict[str, Storage] = {}

        def storage_for(key, dtype, numel, location):
            st = storages.get(key)
            if st is None:
                member = f"{prefix}data/{key}"
                if member not in names:
                    raise FormatError(path, f"storage '{key}' is missing from the archive")
                st = Storage(path, key, dtype, numel, location)
                st.fill(zf.read(member), little)
                storages[key] = st
            return st

        try:
            data = zf.read(pkls[0])
            return _unpickle(data, path, storage_for)
        except FormatError:
            raise
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
            raise FormatError(path, f"truncated or corrupt zip archive ({_one_line(err)})") from None


def _load_legacy(path):
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    f = io.BytesIO(raw)

    def header():
        return _unpickle(f, path, None)

    magic = header()
    if magic != LEGACY_MAGIC:
        raise FormatError(path, "not a torch.save file (wrong magic number in the legacy header)")
    proto = header()
    if proto != LEGACY_PROTOCOL:
        raise FormatError(path, f"unsupported legacy torch.save protocol version {proto!r}")
    info = header()
    little = True
    if isinstance(info, dict):
        little = bool(info.get("little_endian", True))
    storages: dict[str, Storage] = {}

    def storage_for(key, dtype, numel, location):
        st = storages.get(key)
        if st is None:
            st = storages[key] = Storage(path, key, dtype, numel, location)
        return st

    obj = _unpickle(f, path, storage_for)
    keys = _unpickle(f, path, None)
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise FormatError(path, "corrupt legacy checkpoint: the storage key list is malformed")
    count = struct.Struct("<q" if little else ">q")
    for key in keys:
        st = storages.get(key)
        if st is None:
            raise FormatError(path, f"corrupt legacy checkpoint: storage '{key}' is never referenced")
        head = f.read(8)
        if len(head) != 8:
            raise FormatError(path, f"truncated: storage '{key}' data is missing")
        (numel,) = count.unpack(head)
        if numel != st.numel:
            raise FormatError(path, f"corrupt legacy checkpoint: storage '{key}' has {numel} elements, "
                                    f"the pickle says {st.numel}")
        nbytes = numel * _numpy_dtype(st.dtype, little).itemsize
        st.fill(f.read(nbytes), little)
    return obj


def load_torch_file(path):
    """Unpickle a ``torch.save`` file (zip or legacy) into inert stand-ins; never runs its code."""
    head = read_head(path, 4)
    if head.startswith(b"PK"):
        return _load_zip(path)
    if head.startswith(b"\x80"):
        return _load_legacy(path)
    raise FormatError(path, "not a torch.save checkpoint (neither a zip archive nor a pickle)")
