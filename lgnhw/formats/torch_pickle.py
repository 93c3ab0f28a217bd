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

Hostile files (see :mod:`.limits`): the unpickler counts opcodes, keeps its
memo in a dict, hashes only scalar keys and lets BUILD fill in only objects
the pickle created, never the shared stand-ins (which are immutable). Zip
members are inflated as bounded streams, a storage only if its declared size
matches the pickle's element count.
"""

from __future__ import annotations

import _compat_pickle
import io
import math
import pickle
import struct
from collections import OrderedDict

import numpy as np

from ..errors import FormatError
from ..fileio import read_head
from .limits import MAX_PICKLE_BYTES, MAX_PICKLE_OPS, Archive, clip, describe, one_line, regular_file_size

__all__ = ["load_torch_file", "load_torch_checkpoint", "RestrictedUnpickler", "LazyTensor",
           "Storage", "Module", "DeviceRef", "module_type_name"]

#: Legacy format magic number and protocol version (torch/serialization.py).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# Errors a corrupt or truncated pickle can raise while being unpickled.
_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                  IndexError, KeyError, struct.error, OverflowError, UnicodeDecodeError,
                  RecursionError)

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


# -- inert stand-ins ---------------------------------------------------------------


class _Frozen:
    """Base of the shared stand-ins: attributes are set once, in ``__init__``, and
    never again, so that no pickle (e.g. a BUILD opcode) can change loader state."""

    __slots__ = ()

    def _init(self, **values):
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} stand-ins are immutable")

    __delattr__ = __setattr__


class StorageType(_Frozen):
    """Stand-in for ``torch.FloatStorage`` & co: only names a dtype."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: str):
        self._init(name=name, dtype=dtype)

    def __repr__(self):
        return f"<StorageType {self.name}>"


class DType(_Frozen):
    """Stand-in for a ``torch.<dtype>`` global (``torch.float32`` ...)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self._init(name=name)

    def __repr__(self):
        return f"torch.{self.name}"


class DeviceRef:
    """Stand-in for ``torch.device``: remembers type and index, does nothing."""

    def __init__(self, type_, index=None):
        if not (isinstance(type_, str) and len(type_) <= 64
                and (index is None or (type(index) is int and 0 <= index < 1 << 16))):
            raise pickle.UnpicklingError("torch.device needs a short type string and a small index")
        self.type, self.index = type_, index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    __repr__ = __str__


class Storage:
    """One raw storage: dtype name, element count, location tag and (once read) its elements."""

    def __init__(self, path, key: str, dtype: str, numel: int, location: str):
        self.path, self.key, self.dtype, self.numel, self.location = path, key, dtype, numel, location
        self.data: np.ndarray | None = None  # 1-D, numpy dtype of self.dtype (uint16 for bfloat16)

    def nbytes(self, little: bool = True) -> int:
        return self.numel * _numpy_dtype(self.dtype, little).itemsize

    def fill(self, raw, little: bool) -> None:
        if len(raw) != self.nbytes(little):
            raise FormatError(self.path, f"storage '{clip(self.key)}' holds {len(raw)} bytes, expected "
                                         f"{self.nbytes(little)} ({self.numel} x {self.dtype}); "
                                         "the file is truncated or corrupt")
        self.data = np.frombuffer(raw, dtype=_numpy_dtype(self.dtype, little))
        self.data.setflags(write=False)


_MAX_DIMS = 32


def _dims(values) -> str:
    return clip("(" + ", ".join(describe(v) for v in values) + ")", 120)


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

    def numel(self) -> int:
        """Element count the view declares (0 when size is malformed; :meth:`numpy` says why)."""
        size = self.size
        if not (isinstance(size, (tuple, list)) and len(size) <= _MAX_DIMS
                and all(type(n) is int and n >= 0 for n in size)):
            return 0
        return math.prod(size)

    def _materialise(self) -> np.ndarray:
        st = self.storage
        if not isinstance(st, Storage):
            self._fail(f"its storage is {describe(st)}, not a tensor storage")
        if st.data is None:
            self._fail(f"storage '{clip(st.key)}' has no data in the file")
        size, stride, offset = self.size, self.stride, self.offset
        if not (isinstance(size, (tuple, list)) and isinstance(stride, (tuple, list))
                and len(size) == len(stride) <= _MAX_DIMS
                and all(type(v) is int for v in (*size, *stride, offset))):
            self._fail(f"size {describe(size)}, stride {describe(stride)}, offset {describe(offset)} "
                       f"are not matching integer tuples of at most {_MAX_DIMS} dimensions")
        shown = f"size {_dims(size)}, stride {_dims(stride)}, offset {describe(offset)}"
        if offset < 0 or any(v < 0 for v in (*size, *stride)):
            self._fail(f"negative size, stride or offset ({shown})")
        data = st.data
        name = st.dtype
        if self.view_dtype is not None and isinstance(self.view_dtype, DType) \
                and self.view_dtype.name != st.dtype:
            # _rebuild_tensor_v3 on an untyped (byte) storage: reinterpret the bytes.
            name = self.view_dtype.name
            want = _numpy_dtype(name, data.dtype.byteorder != ">")
            if data.nbytes % want.itemsize:
                self._fail(f"storage '{clip(st.key)}' of {data.nbytes} bytes cannot be viewed as {name}")
            data = data.view(want)
        if math.prod(n for n in size if n) * data.itemsize >= 1 << 62:
            self._fail(f"{shown} is too large")
        count = math.prod(size)
        if count:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= data.shape[0] or count > data.shape[0]:
                self._fail(f"view ({shown}) reaches outside its storage '{clip(st.key)}' "
                           f"of {data.shape[0]} elements")
            # a dimension of length 1 never steps: its stride may be anything
            strides = tuple(s * data.itemsize if n > 1 else 0 for n, s in zip(size, stride))
            view = np.lib.stride_tricks.as_strided(data[offset:], shape=tuple(size),
                                                   strides=strides, writeable=False)
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
            raise pickle.UnpicklingError(f"{type(self).type_name} state is not a dict of attributes")
        self.__dict__.update(state)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        d = self.__dict__
        for bag in ("_parameters", "_buffers", "_modules"):
            inner = d.get(bag)
            if isinstance(inner, dict) and name in inner:
                return inner[name]
        raise AttributeError(f"{type(self).type_name} has no attribute {name!r}")

    def __repr__(self):
        return f"<{type(self).type_name} stand-in>"


def _module_class(qualname: str):
    return type(qualname.rsplit(".", 1)[1], (Module,), {"type_name": qualname,
                                                       "__module__": __name__})


def module_type_name(obj) -> str:
    """Dotted class name of a live module or of a :class:`Module` stand-in (never a pickled value)."""
    if isinstance(obj, Module):
        return type(obj).type_name
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
    if not any(func is f for f in _REBUILDERS) or new_type is not _TensorType:
        raise pickle.UnpicklingError("_rebuild_from_type_v2 with an unsupported function or type")
    return func(*args)


def _rebuild_from_type(func, type_, args, dict_):
    return _rebuild_from_type_v2(func, type_, args, dict_)


def _size(dims=()):
    dims = tuple(dims)
    if len(dims) > _MAX_DIMS or not all(type(d) is int for d in dims):
        raise pickle.UnpicklingError("torch.Size holds something else than a few integers")
    return dims


# Hashing: a dict key or set element from a pickle must be a scalar or a short
# tuple of scalars. A nested tuple may share its parts, so that it has 2**40
# leaves in 600 bytes; hashing it would never end.
_KEY_TYPES = (str, bytes, int, float, bool, type(None))


def _key(key):
    parts = key if type(key) is tuple and len(key) <= 16 else (key,)
    for part in parts:
        if type(part) not in _KEY_TYPES or (type(part) is int and part.bit_length() > 64):
            raise pickle.UnpicklingError(f"a dict key or set element is {describe(key)}; only "
                                         "strings, numbers and short tuples of them are supported")
    return key


def _keys(items):
    return [_key(k) for k in items]


def _set(items=()):
    return set(_keys(items))


def _frozenset(items=()):
    return frozenset(_keys(items))


def _ordered_dict(items=()):
    out = OrderedDict()
    for k, v in (items.items() if isinstance(items, dict) else items):
        out[_key(k)] = v
    return out


_SEQUENTIAL = _module_class("torch.nn.modules.container.Sequential")
_FLATTEN = _module_class("torch.nn.modules.flatten.Flatten")
_LOGIC_LAYER = _module_class("difflogic.difflogic.LogicLayer")
_GROUP_SUM = _module_class("difflogic.difflogic.GroupSum")
MODULE_CLASSES = (_SEQUENTIAL, _FLATTEN, _LOGIC_LAYER, _GROUP_SUM)

_ALLOWED = {
    ("collections", "OrderedDict"): _ordered_dict,
    ("builtins", "set"): _set,
    ("builtins", "frozenset"): _frozenset,
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


# -- the unpickler -------------------------------------------------------------------
#
# Built on pickle's pure-Python Unpickler, whose opcode table can be changed:
# its memo is a dict (the C unpickler allocates an array up to the largest memo
# index: 12 bytes can ask for 4 GB), every opcode is counted, BYTEARRAY8 reads
# before it allocates, keys are checked before they are hashed, and BUILD only
# fills in objects the pickle itself created.

_Base = pickle._Unpickler


def _load_build(self):
    state = self.stack.pop()
    inst = self.stack[-1]
    if isinstance(inst, Module):
        inst.__setstate__(state)
    elif type(inst) is OrderedDict and isinstance(state, dict) and all(type(k) is str for k in state):
        inst.__dict__.update(state)          # e.g. a state_dict's _metadata
    else:
        raise pickle.UnpicklingError(f"BUILD on {describe(inst)} is not supported")


def _load_bytearray8(self):
    (n,) = struct.unpack("<Q", self.read(8))
    data = self.read(n)
    if len(data) != n:
        raise pickle.UnpicklingError("BYTEARRAY8 runs past the end of the pickle")
    self.append(bytearray(data))


def _load_setitem(self):
    value, key = self.stack.pop(), self.stack.pop()
    self.stack[-1][_key(key)] = value


def _load_setitems(self):
    items = self.pop_mark()
    target = self.stack[-1]
    for i in range(0, len(items), 2):
        target[_key(items[i])] = items[i + 1]


def _load_dict(self):
    items = self.pop_mark()
    self.append({_key(items[i]): items[i + 1] for i in range(0, len(items), 2)})


def _load_additems(self):
    items = _keys(self.pop_mark())
    target = self.stack[-1]
    if not isinstance(target, set):
        raise pickle.UnpicklingError(f"ADDITEMS on {describe(target)}")
    target.update(items)


def _load_frozenset(self):
    self.append(frozenset(_keys(self.pop_mark())))


_OVERRIDES = {pickle.BUILD: _load_build, pickle.BYTEARRAY8: _load_bytearray8,
              pickle.SETITEM: _load_setitem, pickle.SETITEMS: _load_setitems,
              pickle.DICT: _load_dict, pickle.ADDITEMS: _load_additems,
              pickle.FROZENSET: _load_frozenset}


def _counted(load):
    def op(self):
        self._ops_left -= 1
        if self._ops_left < 0:
            raise FormatError(self._path, f"refusing to load: the pickle has more than "
                                          f"{MAX_PICKLE_OPS:,} opcodes")
        load(self)
    return op


class RestrictedUnpickler(_Base):
    """Unpickler that resolves only allow-listed globals, to inert stand-ins.

    ``storage_for(pid)`` is called for ``('storage', ...)`` persistent ids and
    must return a :class:`Storage`.
    """

    dispatch = {code: _counted(load) for code, load in _Base.dispatch.items()}
    dispatch.update({code[0]: _counted(load) for code, load in _OVERRIDES.items()})

    def __init__(self, file, path, storage_for=None):
        super().__init__(file)
        self._path = path
        self._storage_for = storage_for
        self._ops_left = MAX_PICKLE_OPS

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
                                          f"'{clip(f'{module}.{name}', 200)}'")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and isinstance(pid[0], str)):
            raise pickle.UnpicklingError(f"unsupported persistent id {describe(pid)}")
        kind = pid[0]
        if kind == "module" and len(pid) >= 2 and any(pid[1] is c for c in MODULE_CLASSES):
            return pid[1]  # legacy format: (module, cls, source_file, source)
        if kind == "storage" and len(pid) in (5, 6) and self._storage_for is not None:
            _, stype, key, location, numel = pid[:5]
            if not (isinstance(stype, StorageType) and isinstance(key, str) and len(key) <= 256
                    and isinstance(location, str) and type(numel) is int and 0 <= numel < 1 << 62):
                raise pickle.UnpicklingError("malformed storage reference")
            if len(pid) == 6 and pid[5] is not None:
                raise pickle.UnpicklingError("legacy storage views are not supported")
            return self._storage_for(key, stype.dtype, numel, clip(location, 32))
        raise pickle.UnpicklingError(f"unsupported persistent id kind {describe(kind)}")


# -- file readers --------------------------------------------------------------------


def _unpickle(data, path, storage_for):
    """Run the restricted unpickler; turn every low-level failure into a FormatError."""
    f = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        return RestrictedUnpickler(f, path, storage_for).load()
    except FormatError:
        raise
    except _PICKLE_ERRORS as err:
        raise FormatError(path, f"corrupt or truncated checkpoint pickle ({one_line(err)})") from None


def _load_zip(path):
    with Archive(path) as zf:
        names = set(zf.names)
        pkls = sorted(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
        if len(pkls) != 1:
            raise FormatError(path, "not a torch.save archive (expected exactly one data.pkl, "
                                    f"found {len(pkls)})")
        prefix = pkls[0][: -len("data.pkl")]
        little = True
        if prefix + "byteorder" in names:
            order = bytes(zf.read(prefix + "byteorder", 16)).decode("ascii", "replace").strip()
            if order not in ("little", "big"):
                raise FormatError(path, f"unknown byteorder {describe(order)} in the archive")
            little = order == "little"
        storages: dict[str, Storage] = {}

        def storage_for(key, dtype, numel, location):
            st = storages.get(key)
            if st is None:
                member = f"{prefix}data/{key}"
                if member not in names:
                    raise FormatError(path, f"storage '{clip(key)}' is missing from the archive")
                st = Storage(path, key, dtype, numel, location)
                st.fill(zf.read(member, st.nbytes(little)), little)
                storages[key] = st
            return st

        obj = _unpickle(zf.read(pkls[0], MAX_PICKLE_BYTES), path, storage_for)
        return obj, sum(st.numel for st in storages.values())


def _load_legacy(path):
    regular_file_size(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    f = io.BytesIO(raw)

    def header():
        return _unpickle(f, path, None)

    magic = header()
    if type(magic) is not int or magic != LEGACY_MAGIC:
        raise FormatError(path, "not a torch.save file (wrong magic number in the legacy header)")
    proto = header()
    if type(proto) is not int or proto != LEGACY_PROTOCOL:
        raise FormatError(path, f"unsupported legacy torch.save protocol version {describe(proto)}")
    info = header()
    little = True
    if isinstance(info, dict):
        little = info.get("little_endian", True) is not False
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
            raise FormatError(path, f"corrupt legacy checkpoint: storage '{clip(key)}' is never referenced")
        head = f.read(8)
        if len(head) != 8:
            raise FormatError(path, f"truncated: storage '{clip(key)}' data is missing")
        (numel,) = count.unpack(head)
        if numel != st.numel:
            raise FormatError(path, f"corrupt legacy checkpoint: storage '{clip(key)}' has {numel} "
                                    f"elements, the pickle says {st.numel}")
        st.fill(f.read(st.nbytes(little)), little)
    return obj, sum(st.numel for st in storages.values() if st.data is not None)


def load_torch_checkpoint(path):
    """``(object, storage elements)`` of a ``torch.save`` file: the unpickled object
    (inert stand-ins) and the number of tensor elements its storages hold. Never runs its code."""
    regular_file_size(path)
    head = read_head(path, 4)
    if head.startswith(b"PK"):
        return _load_zip(path)
    if head.startswith(b"\x80"):
        return _load_legacy(path)
    raise FormatError(path, "not a torch.save checkpoint (neither a zip archive nor a pickle)")


def load_torch_file(path):
    """Unpickle a ``torch.save`` file (zip or legacy) into inert stand-ins; never runs its code."""
    return load_torch_checkpoint(path)[0]
