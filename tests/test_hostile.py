"""A hostile-file corpus, built here (no binary blobs in the repository), run as users run it.

Every case is a crafted file given to ``lgnhw inspect --json FILE`` in a fresh
process under a 3 GB address-space limit (RLIMIT_AS) and a 20 s timeout. It
must end either with exit 0 and one JSON object on stdout, or with exit 2 and
exactly one stderr line ``lgnhw: error: FILE: problem`` (no traceback); each
case also states which of the two it expects and, for errors, a phrase of the
problem. The categories follow the issue: pickles that hang, recurse, overflow
or allocate (shared nested lists, 10**5-deep nesting, huge tensor sizes and
strides, memo indices, BUILD on shared stand-ins, zip and deflate bombs),
mutation-found crashes, tiny files with huge declared sizes (AIGER, BLIF,
torchlogix), numbers beyond int64, deep JSON, special files as MODEL.

A few properties need one process for several loads (a BUILD must not change
what a later, genuine checkpoint loads as); they run in-process below.
"""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from lgnhw import FormatError, load_model, write_lgn
from lgnhw.formats.aiger import write_aiger
from lgnhw.formats.blif import write_blif
from lgnhw.randnet import random_dag

from test_fuzz import (GROUP_SUM, LOGIC_LAYER, OD, SEQUENTIAL, Call, Global, ODict, Obj, Pid, Raw,  # noqa: F401
                       _module, difflogic_file, dumps, expected_netlist, model_object, random_layers,
                       state_dict_file, torch_legacy, torch_zip)

TIME_LIMIT = 20.0
MEMORY_LIMIT = 3_000_000_000
OK, ERR = "ok", "error"


# -- pickle building blocks ------------------------------------------------------------

def shared_list(depth=40, tuples=False) -> Raw:
    """x0 = []; x(i+1) = [x(i), x(i)]: 2**depth leaves in ~7 bytes per level (memo 0..depth).
    Each level is memoised and popped; the last is pushed once: one object on the stack."""
    out = [b")" if tuples else b"]", b"q\x000"]
    for i in range(1, depth + 1):
        prev = b"h" + bytes([i - 1])
        out.append(b"(" + prev + prev + (b"t" if tuples else b"l") + b"q" + bytes([i]) + b"0")
    out.append(b"h" + bytes([depth]))
    return Raw(b"".join(out))


def unicode(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def deep_list(n=100_000) -> Raw:
    return Raw(b"]" * (n + 1) + b"a" * n)


def deep_dict(n=100_000) -> Raw:
    return Raw(b"}" + (b"X\x01\x00\x00\x00a}") * n + b"s" * n)


def deep_tuple(n=100_000) -> Raw:
    return Raw(b")" + b"\x85" * n)


def groupsum_with(**attrs):
    """A zip checkpoint whose GroupSum has ``attrs`` (e.g. k=<hostile value>)."""
    layers = random_layers(1)
    gs = _module(GROUP_SUM, False, **{"k": 4, "tau": 1.0, **attrs})
    return torch_zip(lambda st: model_object(layers, 12, 4, 1.0, st, group_sum=gs))


def layer_with(legacy=False, **attrs):
    """A checkpoint whose first LogicLayer has ``attrs`` replaced (weights, indices, in_dim ...)."""
    layers = random_layers(2)

    def obj(st):
        model = model_object(layers, 12, 4, 1.0, st, legacy)
        first = model.state["_modules"].pairs[0][1]
        for key, value in attrs.items():
            value = value(st) if callable(value) else value
            if key == "weights":
                first.state["_parameters"] = ODict([("weights", value)])
            else:
                first.state[key] = value
        return model
    return (torch_legacy if legacy else torch_zip)(obj)


def top_level(obj) -> bytes:
    """A zip checkpoint whose data.pkl is ``obj`` (any writer object)."""
    return torch_zip(lambda st: obj)


def view_case(size, stride, offset=0, numel=64):
    """A checkpoint whose first layer's weights are a view on a 64-element storage 'big'."""
    return with_storage(bytes(4 * 64))(layer_with(weights=tensor_view(size, stride, offset, numel)))


def tensor_view(size, stride, offset=0, numel=64, storage="FloatStorage"):
    def make(st):
        return Call(Global("torch._utils", "_rebuild_tensor_v2"),
                    Pid(("storage", Global("torch", storage), "big", "cpu", numel)),
                    offset, tuple(size), tuple(stride), False, ODict())
    return make


def with_storage(data: bytes, key="big"):
    """Add a raw storage member ``key`` to a zip checkpoint."""
    def add(blob: bytes) -> bytes:
        src = zipfile.ZipFile(io.BytesIO(blob))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
            dst.writestr(f"archive/data/{key}", data)
        return buf.getvalue()
    return add


def rezip(blob: bytes, replace=None, drop=(), add=(), method=zipfile.ZIP_STORED) -> bytes:
    """Rebuild a zip with members replaced, dropped or added."""
    replace = replace or {}
    src = zipfile.ZipFile(io.BytesIO(blob))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, data in add:
            dst.writestr(name, data)
    return buf.getvalue()


def with_zeros(blob: bytes, name: str, nbytes: int, zip64=True) -> bytes:
    """``blob`` (a zip) plus member ``name``: ``nbytes`` zero bytes, deflated as a stream (a bomb)."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        with dst.open(name, "w", force_zip64=zip64) as f:
            chunk = bytes(1 << 20)
            for _ in range(nbytes >> 20):
                f.write(chunk)
            f.write(bytes(nbytes & ((1 << 20) - 1)))
    return buf.getvalue()


def many_members(blob: bytes, n: int) -> bytes:
    """``blob`` (a zip) followed by ``n`` empty members, written by hand (zipfile takes minutes)."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    local, central = [], []
    offset = 0
    for k, info in enumerate(src.infolist()):
        entries = [(info.filename.encode(), src.read(info))]
        if k == 0:
            entries += [(b"m%07d" % i, b"") for i in range(n)]
        for name, data in entries:
            crc = zlib.crc32(data)
            local.append(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data),
                                     len(name), 0) + name + data)
            central.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data),
                                       len(data), len(name), 0, 0, 0, 0, 0, offset) + name)
            offset += len(local[-1])
    cd = b"".join(central)
    count = min(len(central), 0xFFFF)
    return b"".join(local) + cd + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, len(cd), offset, 0)


def patch_name(blob: bytes, old: bytes, new: bytes) -> bytes:
    """Rename a member in place (same length) and flag its names as UTF-8."""
    assert len(old) == len(new)
    b = bytearray(blob.replace(old, new))
    pos = b.find(b"PK\x01\x02")
    while pos >= 0:
        struct.pack_into("<H", b, pos + 8, struct.unpack_from("<H", b, pos + 8)[0] | 0x800)
        pos = b.find(b"PK\x01\x02", pos + 4)
    return bytes(b)


def patch_central(blob: bytes, field: str, value: int) -> bytes:
    """Set a field of every central-directory entry: 'size' (uncompressed), 'method', 'flags'."""
    b = bytearray(blob)
    at = {"flags": (8, "<H"), "method": (10, "<H"), "size": (24, "<I")}[field]
    pos = b.find(b"PK\x01\x02")
    while pos >= 0:
        struct.pack_into(at[1], b, pos + at[0], value)
        pos = b.find(b"PK\x01\x02", pos + 4)
    return bytes(b)


# -- the corpus ------------------------------------------------------------------------

def pickle_cases():
    genuine, _ = difflogic_file(0)
    pkl_name = "archive/data.pkl"
    big_zero_pkl = dumps(None) + bytes(16 << 20)
    cases = [
        ("pt genuine zip", genuine, OK, None),
        ("pt genuine legacy", difflogic_file(1, legacy=True)[0], OK, None),
        # values that hang or recurse when formatted, hashed or converted
        ("pt GroupSum k shared nested list 2**40", groupsum_with(k=shared_list(40)), ERR, "has k a list of 2 items"),
        ("pt GroupSum k 10**5-deep list", groupsum_with(k=deep_list()), ERR, "has k a list"),
        ("pt GroupSum k 10**5-deep dict", groupsum_with(k=deep_dict()), ERR, "has k a dict"),
        ("pt GroupSum k 10**5-deep tuple", groupsum_with(k=deep_tuple()), ERR, "has k a tuple"),
        ("pt GroupSum tau shared tuple", groupsum_with(tau=shared_list(40, tuples=True)), ERR, "has tau a tuple"),
        ("pt GroupSum k 2**1000", groupsum_with(k=2**1000), ERR, "cannot be split into an integer of 1001 bits"),
        ("pt GroupSum k bigger than outputs", groupsum_with(k=1000), ERR, "cannot be split into 1000"),
        ("pt GroupSum tau 10**400", groupsum_with(tau=10**400), ERR, "has tau an integer of"),
        ("pt GroupSum type_name overridden", groupsum_with(type_name=shared_list(40)), OK, None),
        ("pt weights shared nested list", layer_with(weights=shared_list(40)), ERR, "where a tensor belongs"),
        ("pt indices shared nested lists", layer_with(indices=(shared_list(30), shared_list(3))), ERR,
         "where a tensor belongs"),
        ("pt in_dim shared list", layer_with(in_dim=shared_list(40)), ERR, "has in_dim a list"),
        ("pt out_dim 2**100", layer_with(out_dim=2**100), ERR, "has out_dim an integer of 101 bits"),
        ("pt in_dim above the limit", layer_with(in_dim=10**9), ERR, "more than the limit"),
        ("pt Sequential nested 10**4 deep", top_level(Raw(_nested_sequential(10_000))), ERR, "nested deeper than 64"),
        ("pt Sequential sharing one layer 2**40 times", top_level(Raw(_shared_sequential(40))), ERR,
         "more than 65,536 layers"),
        ("pt top level 10**5-deep list", top_level(deep_list()), ERR, "holds a list"),
        ("pt top level shared list", top_level(shared_list(40)), ERR, "holds a list"),
        # hashing: keys must be scalars
        ("pt dict key shared tuple", top_level(Raw(b"}" + shared_list(40, True).data + b"K\x01s")), ERR,
         "dict key or set element is a tuple"),
        ("pt frozenset of shared tuple", top_level(Raw(b"(" + shared_list(40, True).data + b"\x91")), ERR,
         "dict key or set element"),
        ("pt set() of shared tuples", top_level(Call(Global("builtins", "set"), [Raw(shared_list(40, True).data)])),
         ERR, "dict key or set element"),
        ("pt OrderedDict with tuple key", top_level(Call(OD, [[Raw(shared_list(40, True).data), 1]])), ERR,
         "dict key or set element"),
        # tensor views
        ("pt tensor size (0, 2**64)", view_case((0, 2**64), (1, 1)), ERR, "too large"),
        ("pt tensor size (0, 2**62)", view_case((0, 2**62), (1, 1)), ERR, "too large"),
        ("pt tensor stride 2**62", view_case((1, 16), (2**62, 1)), ERR, "has out_dim 20 but 1 gates"),
        ("pt tensor stride 2**62 used", view_case((2, 16), (2**62, 1)), ERR, "reaches outside"),
        ("pt tensor 100 dimensions", view_case((1,) * 100, (1,) * 100), ERR, "at most 32 dimensions"),
        ("pt tensor negative size", view_case((-1, 16), (16, 1)), ERR, "negative size"),
        ("pt tensor offset 2**70", view_case((4, 16), (16, 1), offset=2**70), ERR, "reaches outside"),
        ("pt tensor view beyond storage", view_case((10**9, 16), (0, 0)), ERR, "reaches outside"),
        ("pt storage numel 2**61", view_case((4, 16), (16, 1), numel=2**61), ERR,
         "storage 'big' holds 256 bytes, expected"),
        # memory: memo index, opcode counts, byte arrays
        ("pt memo index 2**28 in data.pkl", groupsum_with(k=Raw(b"K\x04r\x00\x00\x00\x10")), OK, None),
        ("pt 12-byte pickle memo 2**28", b"\x80\x02Nr\x00\x00\x00\x10.", ERR, "wrong magic number"),
        ("pt BYTEARRAY8 2**40", top_level(Raw(b"\x96" + struct.pack("<Q", 2**40))), ERR, "BYTEARRAY8"),
        ("pt BINBYTES8 2**40", top_level(Raw(b"\x8e" + struct.pack("<Q", 2**40))), ERR, "corrupt or truncated"),
        ("pt BINUNICODE8 2**60", top_level(Raw(b"\x8d" + struct.pack("<Q", 2**60))), ERR, "corrupt or truncated"),
        ("pt FRAME 2**62", top_level(Raw(b"\x95" + struct.pack("<Q", 2**62))), ERR, "corrupt or truncated"),
        ("pt 5M opcodes", b"\x80\x02" + b"N0" * 2_500_000 + b"N.", ERR, "more than 2,097,152 opcodes"),
        ("pt LONG4 of 10 MB as k", groupsum_with(k=Raw(b"\x8b" + struct.pack("<I", 10 << 20) + b"\x01" * (10 << 20))),
         ERR, "cannot be split into an integer of"),
        # globals and stand-ins
        ("pt os.system", top_level(Call(Global("os", "system"), "touch /tmp/lgnhw-pwned")), ERR, "forbidden global 'os.system'"),
        ("pt posix.system protocol 2", top_level(Call(Global("posix", "system"), "true")), ERR, "forbidden global"),
        ("pt __builtin__.eval", top_level(Call(Global("__builtin__", "eval"), "1")), ERR, "forbidden global 'builtins.eval'"),
        ("pt global name with newline", top_level(Raw(unicode("os\nx") + unicode("system\n\x1b[2J") + b"\x93")),
         ERR, "forbidden global 'os x.system [2J'"),
        ("pt torch.device of a shared list", top_level(Call(Global("torch", "device"), Raw(shared_list(40).data))),
         ERR, "torch.device needs"),
        ("pt storage location shared list", layer_with(weights=lambda st: Call(
            Global("torch._utils", "_rebuild_tensor_v2"),
            Pid(("storage", Global("torch", "FloatStorage"), "0", Raw(shared_list(40).data), 320)),
            0, (20, 16), (16, 1), False, ODict())), ERR, "malformed storage reference"),
        ("pt BUILD on LongStorage stand-in", top_level(Raw(b"ctorch\nLongStorage\n}X\x05\x00\x00\x00dtypeX\x07\x00\x00\x00float32sb")),
         ERR, "BUILD on a StorageType"),
        ("pt BUILD on Sequential class", top_level(Raw(b"ctorch.nn\nSequential\n(N}X\x09\x00\x00\x00type_nameK\x01stb")),
         ERR, "BUILD on a type"),
        ("pt BUILD on a rebuild function", top_level(Raw(b"ctorch._utils\n_rebuild_tensor_v2\n(N}X\x0c\x00\x00\x00__defaults__)stb")),
         ERR, "BUILD on a function"),
        # zip archives
        ("pt storage zip bomb 256 MB", _storage_bomb(1 << 26), ERR, "zip bomb"),
        ("pt storage bomb of 16 MB for 64 elements", with_zeros(layer_with(weights=tensor_view((4, 16), (16, 1))),
                                                                 "archive/data/big", 16 << 20), ERR,
         "more than the 256 it may hold"),
        ("pt storage declares 3.9 GB", _storage_declares(3_900_000_000), ERR, "zip bomb"),
        ("pt data.pkl deflate bomb 16 MB", rezip(genuine, {pkl_name: big_zero_pkl}, method=zipfile.ZIP_DEFLATED),
         ERR, "zip bomb"),
        ("pt data.pkl 70 MB", rezip(genuine, {pkl_name: bytes(70 << 20)}, method=zipfile.ZIP_DEFLATED), ERR,
         "more than the 67,108,864"),
        ("pt storage short", rezip(genuine, {"archive/data/0": b"\0" * 12}), ERR, "holds 12 bytes, expected"),
        ("pt two data.pkl", rezip(genuine, add=[("other/data.pkl", b"\x80\x02N.")]), ERR, "exactly one data.pkl"),
        ("pt byteorder huge", rezip(genuine, {"archive/byteorder": b"x" * 1000}), ERR, "more than the 16"),
        ("pt byteorder odd", rezip(genuine, {"archive/byteorder": b"middle"}), ERR, "unknown byteorder"),
        ("pt encrypted member", patch_central(genuine, "flags", 1), ERR, "truncated or corrupt zip"),
        ("pt compression method 99", patch_central(genuine, "method", 99), ERR, "truncated or corrupt zip"),
        ("pt non-UTF-8 names", patch_name(rezip(genuine, add=[("archive/zz", b"")]), b"archive/zz", b"archive/\xff\xfe"),
         ERR, "UnicodeDecodeError"),
        ("pt truncated archive", genuine[: len(genuine) // 2], ERR, "truncated or corrupt zip"),
        ("pt 200k empty members", many_members(genuine, 200_000), ERR, "too many members"),
        ("pt 20k empty members (allowed)", many_members(genuine, 20_000), OK, None),
        ("pt central directory only", genuine[genuine.rfind(b"PK\x01\x02"):], ERR, "zip"),
        # legacy layout
        ("pt legacy magic shared list", dumps(Raw(shared_list(40).data)) + b"\x80\x02N.", ERR, "wrong magic number"),
        ("pt legacy protocol 2**100", dumps(0x1950A86A20F9469CFC6C) + dumps(2**100), ERR,
         "protocol version an integer of 101 bits"),
        ("pt legacy storage count lies", _legacy_count_lie(), ERR, "has 999 elements"),
        ("pt legacy truncated storage", difflogic_file(1, legacy=True)[0][:-100], ERR, "holds"),
    ]
    return cases


def _nested_sequential(depth: int) -> bytes:
    pre = (b"ctorch.nn\nSequential\n)\x81}(X\x08\x00\x00\x00_modules" + b"ccollections\nOrderedDict\n)R"
           + b"(X\x01\x00\x00\x000")
    leaf = dumps(Obj(Global(*GROUP_SUM), {"k": 1, "tau": 1.0}))[2:-1]
    return pre * depth + leaf + b"uub" * depth


def _shared_sequential(depth: int) -> bytes:
    """A Sequential whose two children are the same Sequential, ``depth`` levels down."""
    out = [dumps(Obj(Global(*GROUP_SUM), {"k": 1, "tau": 1.0}))[2:-1], b"q\x00"]
    for i in range(1, depth + 1):
        prev = b"h" + bytes([i - 1])
        out.append(b"ctorch.nn\nSequential\n)\x81}(X\x08\x00\x00\x00_modules" + b"ccollections\nOrderedDict\n)R"
                   + b"(X\x01\x00\x00\x000" + prev + b"X\x01\x00\x00\x001" + prev + b"uub" + b"q" + bytes([i]))
    return b"".join(out)


def _storage_bomb(numel: int) -> bytes:
    """A storage of ``numel`` float32 zeros that the pickle really asks for, deflated ~1000:1."""
    return with_zeros(torch_zip(lambda st: layer_with_view(st, numel)), "archive/data/big", 4 * numel)


def _storage_declares(nbytes: int) -> bytes:
    """A 4 kB storage whose central-directory entry declares ``nbytes``, as the pickle does."""
    blob = with_zeros(torch_zip(lambda st: layer_with_view(st, nbytes // 4)), "archive/data/big", 4096, zip64=False)
    b = bytearray(blob)
    pos = b.find(b"PK\x01\x02")
    while pos >= 0:                      # the storage's entry only: the last one
        last = pos
        pos = b.find(b"PK\x01\x02", pos + 4)
    struct.pack_into("<I", b, last + 24, nbytes)
    return bytes(b)


def layer_with_view(st, numel):
    return Obj(Global(*SEQUENTIAL), {"_modules": ODict([("0", Obj(Global(*LOGIC_LAYER), {
        "_parameters": ODict([("weights", tensor_view((numel // 16, 16), (16, 1), numel=numel)(st))]),
        "indices": (1, 2)}))])})


def _legacy_count_lie() -> bytes:
    data = bytearray(difflogic_file(1, legacy=True)[0])
    # the first storage's int64 count follows the key list pickle: find it by its value (320)
    at = data.find(struct.pack("<q", 320))
    struct.pack_into("<q", data, at, 999)
    return bytes(data)


def _good_lgn() -> bytes:
    net = random_dag(4, 30, 6, 3, seed=1).replace(thresholds=np.linspace(0, 1, 4).reshape(2, 2))
    with tempfile.TemporaryDirectory() as tmp:
        write_lgn(net, os.path.join(tmp, "m.lgn"))
        with open(os.path.join(tmp, "m.lgn"), "rb") as f:
            return f.read()


def _npy(arr, fortran=False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asfortranarray(arr) if fortran else arr)
    return buf.getvalue()


def _npy_header(header: str, version=1, data=b"") -> bytes:
    h = header.encode("latin1")
    return b"\x93NUMPY" + bytes([version, 0]) + (struct.pack("<H", len(h)) if version == 1
                                                  else struct.pack("<I", len(h))) + h + data


def lgn_cases():
    good = _good_lgn()
    head = json.loads(zipfile.ZipFile(io.BytesIO(good)).read("lgnhw.json"))

    def header(**changes):
        return rezip(good, {"lgnhw.json": json.dumps({**head, **changes})})

    thr = np.linspace(0, 1, 4).reshape(2, 2)
    return [
        ("lgn genuine", good, OK, None),
        ("lgn fortran-order thresholds", rezip(good, {"thresholds.npy": _npy(thr, fortran=True)}), OK, None),
        ("lgn num_inputs 1e30", header(num_inputs=1e30), ERR, "header field 'num_inputs' is 1e+30"),
        ("lgn num_inputs 2**70", header(num_inputs=2**70), ERR, "declares about 2**70 inputs, more than the limit"),
        ("lgn num_inputs true", header(num_inputs=True), ERR, "header field 'num_inputs' is True"),
        ("lgn num_inputs beyond the limit", header(num_inputs=100_000_001), ERR, "more than the limit"),
        ("lgn num_inputs 99,999,999 (allowed)", header(num_inputs=99_999_999, thresholds=None,
                                                       arrays={k: v for k, v in head["arrays"].items()
                                                               if k != "thresholds"}), OK, None),
        ("lgn num_classes 2**63", header(num_classes=2**63), ERR, "cannot be split into"),
        ("lgn tau 1e999", header(tau=float("inf")), ERR, "tau is inf"),
        ("lgn meta a list", header(meta=[1, 2]), ERR, "'meta'"),
        ("lgn arrays op is a string", header(arrays={**head["arrays"], "op": "x"}), ERR, "array 'op' has no shape"),
        ("lgn arrays a list", header(arrays=[1]), ERR, "no 'arrays' table"),
        ("lgn array shape 2**64", header(arrays={**head["arrays"], "op": {"dtype": "uint8", "shape": [2**64]}}),
         ERR, "header says"),
        ("lgn unknown array with long name", header(arrays={**head["arrays"], "x" * 10**6: {}}), ERR, "unknown array"),
        ("lgn header 10**5-deep JSON", rezip(good, {"lgnhw.json": "[" * 100_000 + "]" * 100_000}), ERR, "nested too deeply"),
        ("lgn header 17 MB", rezip(good, {"lgnhw.json": " " * (17 << 20)}, method=zipfile.ZIP_DEFLATED), ERR,
         "more than the 16,777,216"),
        ("lgn npy shape (2**40,)", rezip(good, {"op.npy": _npy_header("{'descr': '|u1', 'fortran_order': False, "
                                                                      "'shape': (1099511627776,), }")}), ERR, "header says"),
        ("lgn npy header tokenize error", rezip(good, {"op.npy": _npy_header("{'descr': '|u1', 'fortran_order': False, "
                                                                             "'shape': (3L, \"\"\"")}), ERR, "malformed .npy header"),
        ("lgn npy header nested", rezip(good, {"op.npy": _npy_header("(" * 5000 + ")" * 5000)}), ERR, "malformed .npy header"),
        ("lgn npy version 3", rezip(good, {"op.npy": _npy_header("{}", version=3)}), ERR, "not a .npy array"),
        ("lgn npy object dtype", rezip(good, {"op.npy": _npy(np.array([None] * 30, dtype=object))}), ERR,
         "holds Python objects"),
        ("lgn npy data bomb", rezip(good, {"op.npy": _npy(np.zeros(20 << 20, np.uint8))}, method=zipfile.ZIP_DEFLATED),
         ERR, "header says"),
        ("lgn consistent data bomb", _lgn_consistent_bomb(good, head), ERR, "zip bomb"),
        ("lgn npy short data", rezip(good, {"a.npy": _npy(np.zeros(30, np.int32))[:-8]}), ERR, "its .npy header declares"),
        ("lgn truncated", good[: len(good) // 2], ERR, "truncated or corrupt"),
        ("lgn only the header", rezip(good, drop=("op.npy", "a.npy", "b.npy", "outputs.npy", "bias.npy", "thresholds.npy")),
         ERR, "member op.npy is missing"),
    ]


def _lgn_consistent_bomb(good, head):
    n = 16 << 20
    arrays = {**head["arrays"], "op": {"dtype": "uint8", "shape": [n]}}
    return rezip(good, {"lgnhw.json": json.dumps({**head, "arrays": arrays}), "op.npy": _npy(np.zeros(n, np.uint8))},
                 method=zipfile.ZIP_DEFLATED)


def aiger_cases():
    net = random_dag(4, 30, 6, 3, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        write_aiger(net, os.path.join(tmp, "m.aag"))
        write_aiger(net, os.path.join(tmp, "m.aig"))
        aag = open(os.path.join(tmp, "m.aag"), "rb").read()
        aig = open(os.path.join(tmp, "m.aig"), "rb").read()
    chain = b"aig %d 1 0 1 %d\n%d\n" % (1 + 300_000, 300_000, 2 * (1 + 300_000)) + b"\x02\x00" * 300_000
    return [
        ("aag genuine", aag, OK, None),
        ("aig genuine", aig, OK, None),
        ("aag 300000000 0 0 1 0 (24 bytes)", b"aag 300000000 0 0 1 0\n0\n", OK, None),
        ("aag sparse variable numbers", b"aag 99999999999 1 0 1 1\n2\n199999999998\n199999999998 2 3\n", OK, None),
        ("aig 200000000 AND gates", b"aig 200000000 0 0 0 200000000\n", ERR, "more than the limit"),
        ("aig 99999999 AND gates, no data", b"aig 99999999 0 0 0 99999999\n", ERR, "the file holds 0 after the header"),
        ("aig 99999999 implicit inputs", b"aig 99999999 99999999 0 1 0\n2\n", ERR, "may imply"),
        ("aig 1000 implicit inputs (allowed)", b"aig 1000 1000 0 1 0\n2\n", OK, None),
        ("aag M 2**63", b"aag 9223372036854775808 1 0 1 0\n2\n2\n", ERR, "below 10**18"),
        ("aag M 2**64", b"aag 18446744073709551616 0 0 1 0\n0\n", ERR, "below 10**18"),
        ("aag literal 2**63", b"aag 1 1 0 1 0\n2\n9223372036854775808\n", ERR, "below 2**63"),
        ("aag literal 10**30", b"aag 1 1 0 1 0\n2\n1000000000000000000000000000000\n", ERR, "below 2**63"),
        ("aag literal 10**5 digits", b"aag 1 1 0 1 0\n2\n" + b"9" * 100_000 + b"\n", ERR, "expected unsigned integers"),
        ("aag negative count", b"aag 1 -1 0 1 0\n2\n", ERR, "malformed AIGER header"),
        ("aag header of 10 MB", b"aag " + b"1 " * (5 << 20) + b"\n", ERR, "expected at most 9 numbers"),
        ("aag metadata 10**5-deep JSON", aag.replace(b"\nlgnhw {", b"\nlgnhw {\"a\":" + b"[" * 100_000 + b"\nlgnhw {"),
         ERR, "nested too deeply"),
        ("aag metadata num_classes 2**64, 0 outputs", b"aag 0 0 0 0 0\nc\nlgnhw {\"num_classes\": 18446744073709551616}\n",
         ERR, "cannot be split into"),
        ("aag metadata bias 2**70", aag.replace(b'"bias":[', b'"bias":[1180591620717411303424,'), ERR, "malformed lgnhw metadata"),
        ("aag metadata thresholds shape 2**63", aag.replace(b'"num_classes"', b'"thresholds":{"shape":[9223372036854775808],'
                                                                              b'"values":[]},"num_classes"'), ERR, "malformed lgnhw metadata"),
        ("aag symbol index 10**5 digits", aag.replace(b"\nc\n", b"\ni" + b"9" * 100_000 + b" x\nc\n"), ERR,
         "malformed symbol table line"),
        ("aag symbol name x<10**5 digits>", aag.replace(b"i0 x0", b"i0 x" + b"9" * 100_000), OK, None),
        ("aig delta of 6 bytes", b"aig 2 1 0 1 1\n4\n\x80\x80\x80\x80\x80\x01\x01", ERR, "wider than 32 bits"),
        ("aig delta larger than literal", b"aig 2 1 0 1 1\n4\n\x7f\x00", ERR, "delta larger than its literal"),
        ("aig output line at end of file", b"aig 2 1 0 1 1\n1234", ERR, "truncated"),
        ("aig chain of 300k ANDs", chain, OK, None),
        ("aag 10**5 self-loop ANDs", b"aag 100001 1 0 1 100000\n2\n4\n" + b"".join(b"%d %d 2\n" % (2 * v, 2 * v)
                                                                              for v in range(2, 100_002)), ERR, "cycle"),
    ]


def blif_cases():
    net = random_dag(4, 30, 6, 3, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        write_blif(net, os.path.join(tmp, "m.blif"))
        blif = open(os.path.join(tmp, "m.blif"), "rb").read()
    names = b" ".join(b"i%d" % k for k in range(200_000))
    some = b" ".join(b"i%d" % k for k in range(90_000))
    cont = b".model c\n.inputs " + b" \\\n".join(b"i%d" % k for k in range(1_000_000)) + b"\n.outputs y\n.names i0 y\n1 1\n.end\n"
    wide = b".model w\n.inputs " + some + b"\n.outputs y\n.names " + some + b" y\n" + b"1" * 90_000 + b" 1\n.end\n"
    first, rest = blif.split(b"\n", 1)
    model_line, body = rest.split(b"\n", 1)
    deep = model_line + b"\n# lgnhw {\"a\":" + b"[" * 100_000 + b"\n" + body
    return [
        ("blif genuine", blif, OK, None),
        ("blif 200k inputs, one duplicate", b".model d\n.inputs " + names + b" i7\n.outputs y\n.names i0 y\n1 1\n.end\n",
         ERR, "input i7 is declared twice"),
        ("blif 10**6 continuation lines", cont, OK, None),
        ("blif cover of ~90k inputs", wide, OK, None),
        ("blif metadata 10**5-deep JSON", deep, ERR, "nested too deeply"),
        ("blif metadata num_classes 2**64", blif.replace(b'"num_classes":3', b'"num_classes":18446744073709551616'),
         ERR, "cannot be split into"),
        ("blif metadata bias 2**70", blif.replace(b'"bias":[', b'"bias":[1180591620717411303424,'), ERR,
         "malformed lgnhw metadata"),
        ("blif metadata tau 1e999", blif.replace(b'"tau":1.0', b'"tau":1e999'), ERR, "tau is inf"),
        ("blif output names c<2**64>_0", b".model o\n.inputs a\n.outputs c18446744073709551616_0\n"
                                         b".names a c18446744073709551616_0\n1 1\n.end\n", OK, None),
        ("blif directive with control characters", b".model m\n.inputs a\n.outputs y\n.\x1b[31m" + b"z" * 10**6 + b"\n",
         ERR, "unsupported directive"),
        ("blif cover row of 10**6 characters", b".model m\n.inputs a\n.outputs y\n.names a y\n" + b"2" * 10**6 + b" 1\n",
         ERR, "does not match 1 inputs"),
        ("blif no outputs", b".model m\n.inputs a\n.end\n", ERR, "no .outputs"),
    ]


def torchlogix_cases():
    def circuit(**changes):
        d = {"n_inputs": 2, "input_shape": [2], "outputs": [5, 6], "output_shape": [2],
             "gates": [{"gate_id": 2, "op": "AND", "in0": 0, "in1": 1},
                       {"gate_id": 3, "op": "XOR", "in0": 0, "in1": 2},
                       {"gate_id": 4, "op": "OR", "in0": 1, "in1": 3}],
             "sum_nodes": [{"node_id": 5, "input_ids": [2, 3], "tau": 2.0, "beta": 0.0},
                           {"node_id": 6, "input_ids": [4, 0], "tau": 2.0, "beta": 1.0}]}
        d.update(changes)
        return json.dumps(d).encode()
    wide = {"node_id": 5, "input_ids": list(range(5)) * 4000, "tau": 1.0, "beta": 0.0}
    many = [{"gate_id": 100_000 + 2 - j, "op": "NOT", "in0": 100_000 + 1 - j if j < 100_000 - 1 else 0, "in1": 0}
            for j in range(100_000)]
    return [
        ("torchlogix genuine", circuit(), OK, None),
        ("torchlogix sum node 20k times in outputs", circuit(outputs=[5] * 20_000, sum_nodes=[wide]), ERR,
         "more than the limit"),
        ("torchlogix sum node 2k times in outputs", circuit(outputs=[5] * 2_000, sum_nodes=[wide]), ERR,
         "more than 4 per byte"),
        ("torchlogix 10**5-deep junk field", circuit()[:-1] + b', "junk": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
         ERR, "nested too deeply"),
        ("torchlogix beta 1e300", circuit(sum_nodes=[{"node_id": 5, "input_ids": [2], "beta": 1e300},
                                                     {"node_id": 6, "input_ids": [3], "beta": 0.0}]), ERR, "beyond +-2**53"),
        ("torchlogix tau 1e300 (allowed)", circuit(sum_nodes=[{"node_id": 5, "input_ids": [2], "tau": 1e300},
                                                              {"node_id": 6, "input_ids": [3], "tau": 1e300}]), OK, None),
        ("torchlogix n_inputs 2**62-1", circuit(n_inputs=2**62 - 1, input_shape=None), ERR, "more than the limit"),
        ("torchlogix n_inputs 1e30", circuit(n_inputs=1e30), ERR, "n_inputs"),
        ("torchlogix n_inputs 2**64", circuit(n_inputs=2**64), ERR, "n_inputs"),
        ("torchlogix input_shape 10**5 x 2**62", circuit(input_shape=[2**62 - 1] * 100_000), ERR, "more than 2**62 bits"),
        ("torchlogix op name of 1 MB", circuit(gates=[{"gate_id": 2, "op": "X" * 10**6, "in0": 0, "in1": 1}]), ERR,
         "unknown op"),
        ("torchlogix 100k gates in reverse order", json.dumps({"n_inputs": 2, "gates": many, "outputs": [3, 4]}).encode(),
         ERR, "pass num_classes"),
        ("torchlogix truncated", circuit()[:40], ERR, "not a torchlogix circuit"),
        ("torchlogix truncated after the keys", circuit()[:-30], ERR, "not valid JSON"),
    ]


def special_cases(tmp):
    fifo = os.path.join(tmp, "model.fifo")
    os.mkfifo(fifo)
    link = os.path.join(tmp, "zero.lgn")
    os.symlink("/dev/zero", link)
    os.mkdir(os.path.join(tmp, "adir"))
    return [
        ("special FIFO", fifo, ERR, "is a FIFO"),
        ("special /dev/null", "/dev/null", ERR, "is a character device"),
        ("special symlink to /dev/zero", link, ERR, "is a character device"),
        ("special directory", os.path.join(tmp, "adir"), ERR, "is a directory"),
        ("special missing file", os.path.join(tmp, "missing.pt"), ERR, "cannot read"),
        ("special empty file", b"", ERR, "file is empty"),
        ("special sparse 8 GB AIGER file", _sparse(os.path.join(tmp, "sparse.aag"), b"aag 1 1 0 1 0\n2\n2\n", 8 << 30),
         ERR, "not enough memory to load this 8,589,934,592-byte aiger file"),
    ]


def _sparse(path, head: bytes, size: int) -> str:
    """A file of ``size`` bytes that holds ``head`` and then a hole (no disk space)."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def wiring_cases():
    sd, wiring = state_dict_file()
    good_npz = wiring

    def npz(**members):
        src = zipfile.ZipFile(io.BytesIO(good_npz))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info.filename, members.pop(info.filename, src.read(info)))
            for name, data in members.items():
                dst.writestr(name, data)
        return buf.getvalue()
    return sd, [
        ("wiring genuine", good_npz, OK, None),
        ("wiring npy shape (2**40,)", npz(**{"a_0.npy": _npy_header("{'descr': '<i8', 'fortran_order': False, "
                                                                    "'shape': (1099511627776,), }")}), ERR, "its .npy header declares"),
        ("wiring object array", npz(**{"a_0.npy": _npy(np.array([None], dtype=object))}), ERR, "expected numbers"),
        ("wiring deflate bomb", npz(**{"a_0.npy": _npy(np.zeros(2 << 20, np.int64))}), ERR, "zip bomb"),
        ("wiring tokenize error", npz(**{"a_0.npy": _npy_header("{'descr': \"\"\"")}), ERR, "malformed .npy header"),
        ("wiring num_classes 2**62", npz(**{"num_classes.npy": _npy(np.int64(2**62))}), ERR, "classes, more than the limit"),
        ("wiring num_inputs 2**62", npz(**{"num_inputs.npy": _npy(np.int64(2**62))}), ERR, "more than the limit"),
    ]


def build_corpus(tmp) -> list[tuple[str, str, list, str, str | None]]:
    """``(name, path, extra CLI args, expected outcome, phrase of the problem)`` per case."""
    cases = []

    def add(name, data, expect, phrase, args=()):
        if isinstance(data, bytes):
            path = os.path.join(tmp, f"case{len(cases):03d}")
            with open(path, "wb") as f:
                f.write(data)
        else:
            path = data
        cases.append((name, path, list(args), expect, phrase))

    for group in (pickle_cases(), lgn_cases(), aiger_cases(), blif_cases(), torchlogix_cases(), special_cases(tmp)):
        for case in group:
            add(*case)
    sd, wiring = wiring_cases()
    sd_path = os.path.join(tmp, "state_dict.pt")
    with open(sd_path, "wb") as f:
        f.write(sd)
    for name, data, expect, phrase in wiring:
        wpath = os.path.join(tmp, f"wiring{len(cases):03d}.npz")
        with open(wpath, "wb") as f:
            f.write(data)
        cases.append((name, wpath, ["--wiring", wpath, "--model-path", sd_path], expect, phrase))
    return cases


# -- running a case as a user would ------------------------------------------------------
#
# ``lgnhw inspect --json`` for every case. Starting Python and numpy takes most of
# a second per process, so the corpus runs in forks of a server that has imported
# lgnhw.cli once: each case is a fresh child process with RLIMIT_AS set, its own
# stdout/stderr files, the CLI's ``main`` and what the interpreter does at exit
# (an escaping exception prints a traceback and exits 1). A sample of the cases
# also runs as ``python -m lgnhw.cli`` from scratch, and must agree.

_SERVER = r"""
import json, os, resource, sys, time, traceback
from lgnhw.cli import main
limit, seconds = int(sys.argv[1]), float(sys.argv[2])
for line in sys.stdin:
    argv, out_path, err_path = json.loads(line)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        code = 1
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    status = None
    while time.perf_counter() - t0 < seconds:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        status = None
        time.sleep(0.002)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    code = None if status is None else os.waitstatus_to_exitcode(status)
    print(json.dumps([code, time.perf_counter() - t0]), flush=True)
"""


def _argv(path, args):
    """CLI arguments of a case (a wiring case's model is the state_dict next to it)."""
    args = list(args)
    model = path
    if "--model-path" in args:
        i = args.index("--model-path")
        model = args[i + 1]
        del args[i:i + 2]
    return ["inspect", "--json", str(model), *args]


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


class ForkServer:
    """Runs ``lgnhw`` CLI invocations in forks of one process that imported it once."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(MEMORY_LIMIT), str(TIME_LIMIT)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, argv, tag):
        out, err = os.path.join(self.tmp, f"{tag}.out"), os.path.join(self.tmp, f"{tag}.err")
        self.proc.stdin.write(json.dumps([argv, out, err]) + "\n")
        self.proc.stdin.flush()
        code, seconds = json.loads(self.proc.stdout.readline())
        with open(out) as fo, open(err) as fe:
            return code, fo.read(), fe.read(), seconds

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def run_fresh(argv):
    """The same in a fresh ``python -m lgnhw.cli`` process, exactly as a user runs it."""
    t0 = time.perf_counter()
    try:
        res = subprocess.run([sys.executable, "-m", "lgnhw.cli", *argv], capture_output=True, text=True,
                             timeout=TIME_LIMIT, preexec_fn=_limit, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "", "", TIME_LIMIT
    return res.returncode, res.stdout, res.stderr, time.perf_counter() - t0


def judge(case, code, out, err, seconds):
    """None when the case ended as the contract and its expectation say, else what went wrong."""
    name, path, args, expect, phrase = case
    if code is None or seconds > TIME_LIMIT:
        return f"{name}: did not end within {TIME_LIMIT:.0f} s"
    lines = err.splitlines()
    if code == 0:
        try:
            obj = json.loads(out)
        except ValueError:
            return f"{name}: exit 0 without one JSON object on stdout: {out[:200]!r}"
        if not isinstance(obj, dict) or len(out.strip().splitlines()) != 1 or err:
            return f"{name}: exit 0 but not one JSON object and an empty stderr: {out[:100]!r} {err[:200]!r}"
        if expect != OK:
            return f"{name}: loaded, expected an error with {phrase!r}"
        return None
    if code != 2 or len(lines) != 1 or "Traceback" in err or out:
        return f"{name}: exit {code} with stderr {err[-600:]!r}"
    if not lines[0].startswith(f"lgnhw: error: {path}: "):
        return f"{name}: the error line does not name the file: {lines[0][:300]!r}"
    if expect != ERR:
        return f"{name}: expected to load, got {lines[0][:300]!r}"
    if "not enough memory" in lines[0] and "not enough memory" not in phrase:
        return f"{name}: refused only by the out-of-memory safety net: {lines[0][:300]!r}"
    if phrase not in lines[0]:
        return f"{name}: expected {phrase!r} in {lines[0][:300]!r}"
    if len(lines[0]) > 1000:
        return f"{name}: the error line is {len(lines[0])} characters long"
    return None


def run_corpus(corpus, tmp, workers=2):
    """``[(case, problem or None, seconds)]`` for every case, ``workers`` fork servers at a time."""
    chunks = [corpus[i::workers] for i in range(workers)]

    def serve(k):
        server = ForkServer(tmp)
        try:
            results = []
            for j, case in enumerate(chunks[k]):
                code, out, err, seconds = server.run(_argv(case[1], case[2]), f"w{k}-{j}")
                results.append((case, judge(case, code, out, err, seconds), seconds))
            return results
        finally:
            server.close()
    with ThreadPoolExecutor(workers) as pool:
        return [r for part in pool.map(serve, range(workers)) for r in part]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(str(tmp_path_factory.mktemp("hostile")))


def test_corpus_covers_every_format_and_category(corpus):
    names = [c[0] for c in corpus]
    assert len(names) == len(set(names)) and len(names) >= 120
    for prefix in ("pt ", "lgn ", "aag ", "aig ", "blif ", "torchlogix ", "special ", "wiring "):
        assert sum(n.startswith(prefix) for n in names) >= 5, prefix
    assert sum(c[3] == OK for c in corpus) >= 15       # hostile-looking but valid files still load


def test_every_hostile_file_ends_in_time_with_one_json_object_or_one_error_line(corpus, tmp_path):
    results = run_corpus(corpus, str(tmp_path))
    assert len(results) == len(corpus)
    problems = [problem for _, problem, _ in results if problem]
    assert problems == [], "\n".join(problems)
    assert max(seconds for _, _, seconds in results) < TIME_LIMIT


SAMPLE = ("pt GroupSum k shared nested list 2**40", "pt storage zip bomb 256 MB", "pt genuine legacy",
          "lgn num_inputs 1e30", "lgn genuine", "aag 300000000 0 0 1 0 (24 bytes)", "aig 200000000 AND gates",
          "blif 200k inputs, one duplicate", "torchlogix sum node 20k times in outputs", "special FIFO",
          "wiring deflate bomb")


def test_a_sample_agrees_when_run_as_a_fresh_lgnhw_process(corpus):
    cases = [c for c in corpus if c[0] in SAMPLE]
    assert len(cases) == len(SAMPLE)
    with ThreadPoolExecutor(2) as pool:
        problems = list(pool.map(lambda c: judge(c, *run_fresh(_argv(c[1], c[2]))), cases))
    assert [p for p in problems if p] == []


# -- in one process -------------------------------------------------------------------------

def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("build", [
    b"ctorch\nLongStorage\n}X\x05\x00\x00\x00dtypeX\x07\x00\x00\x00float32sb",          # BUILD on a stand-in
    b"ctorch\nLongStorage\n(N}X\x05\x00\x00\x00dtypeX\x07\x00\x00\x00float32stb",       # ... its slots
    b"ctorch\nfloat32\n(N}X\x04\x00\x00\x00nameX\x05\x00\x00\x00int64stb",              # a dtype stand-in
    b"cdifflogic.difflogic\nGroupSum\n(N}X\x09\x00\x00\x00type_nameX\x01\x00\x00\x00xstb",  # a stand-in class
    b"ctorch._utils\n_rebuild_tensor_v2\n(N}X\x0c\x00\x00\x00__defaults__)stb",          # a rebuild function
    b"ccollections\nOrderedDict\n(N}X\x08\x00\x00\x00__init__Nstb",                   # the OrderedDict stand-in
])
def test_no_pickle_changes_what_a_later_genuine_checkpoint_loads_as(tmp_path, build):
    genuine, want = difflogic_file(4)
    legacy, want_legacy = difflogic_file(5, legacy=True)
    before = load_model(_write(tmp_path, "g.pt", genuine))
    for name, data in (("zip.pt", top_level(Raw(build))), ("raw.pt", b"\x80\x02" + build + b".")):
        with pytest.raises(FormatError) as err:
            load_model(_write(tmp_path, name, data))
        assert "BUILD on" in str(err.value) or "wrong magic number" in str(err.value)
    after = load_model(_write(tmp_path, "g2.pt", genuine))
    again = load_model(_write(tmp_path, "l.pt", legacy))
    for name in ("op", "a", "b", "outputs"):
        assert np.array_equal(getattr(before, name), getattr(want, name))
        assert np.array_equal(getattr(after, name), getattr(want, name))
        assert np.array_equal(getattr(again, name), getattr(want_legacy, name))


def test_the_shared_stand_ins_are_immutable():
    from lgnhw.formats import torch_pickle as tp
    stype = tp._ALLOWED[("torch", "LongStorage")]
    for target, attr in ((stype, "dtype"), (tp._ALLOWED[("torch", "float32")], "name")):
        with pytest.raises(AttributeError):
            setattr(target, attr, "float32")
        with pytest.raises((AttributeError, TypeError)):
            target.__dict__
    assert stype.dtype == "int64"


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_no_code_runs_from_a_hostile_checkpoint(tmp_path, legacy):
    marker = tmp_path / "pwned"
    payloads = [Call(Global("os", "system"), f"touch {marker}"),
                Call(Global("builtins", "exec"), f"open({str(marker)!r}, 'w')"),
                Call(Global("subprocess", "call"), ["touch", str(marker)]),
                Call(Global("builtins", "getattr"), Global("os", "system"), "__call__")]
    for i, payload in enumerate(payloads):
        path = _write(tmp_path, f"evil{i}.pt", layer_with(legacy, connections=payload))
        with pytest.raises(FormatError, match="forbidden global"):
            load_model(path)
    assert not marker.exists()


def test_hashing_a_shared_tuple_is_refused_quickly(tmp_path):
    path = _write(tmp_path, "hash.pt", top_level(Raw(b"}" + shared_list(60, True).data + b"K\x01s")))
    t0 = time.perf_counter()
    with pytest.raises(FormatError, match="dict key or set element is a tuple of 2 items"):
        load_model(path)
    assert time.perf_counter() - t0 < 2


def test_lower_limit_from_the_environment(tmp_path, monkeypatch):
    path = _write(tmp_path, "m.aag", b"aag 3 2 0 1 1\n2\n4\n6\n6 2 4\n")
    assert load_model(path).num_gates == 1
    monkeypatch.setenv("LGNHW_MAX_GATES", "1")
    with pytest.raises(FormatError, match="declares 2 inputs, more than the limit of 1 .set LGNHW_MAX_GATES"):
        load_model(path)
    monkeypatch.setenv("LGNHW_MAX_GATES", "lots")
    with pytest.raises(Exception, match="LGNHW_MAX_GATES='lots': expected a positive integer"):
        load_model(path)
