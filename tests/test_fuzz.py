"""Mutation fuzzing of every loader: no mutant may crash ``load_model``.

A *crash* is any exception other than :class:`lgnhw.errors.LgnhwError` out of
``load_model`` (or out of ``net.depth`` on what it returns, as ``inspect``
computes it), a warning (it would print a second stderr line), a mutant that
takes over 20 s, or a memory blow-up: each format's mutants run in a child
process under a 3 GB address-space limit (RLIMIT_AS), so a blow-up is a
MemoryError, and a watchdog kills a child that makes no progress.

Seeds are built here, without torch: small netlists written as .lgn, ASCII
and binary AIGER and BLIF; torchlogix circuit JSON; difflogic ``torch.save``
checkpoints (zip and legacy layouts, from :func:`torch_zip` / :func:`torch_legacy`,
a small pickle writer that emits the opcodes torch.save emits); a wiring
``.npz`` for a state_dict. The mutator is seeded (``random.Random``): bit
flips, interesting bytes and numbers, cuts, insertions, repeats, splices; for
zip formats also one member mutated and the archive rebuilt (stored or
deflated), so mutants get past the CRC checks into the pickle and .npy readers.

This module also serves ``test_hostile.py`` (the pickle/zip writers) and
``benchmarks/fuzz.py`` (long runs: :func:`run_isolated`). Run as a script it is
the child process: ``python test_fuzz.py FORMAT START COUNT SEED RESULTS``.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from lgnhw.errors import LgnhwError  # noqa: E402
from lgnhw.formats.limits import OutOfMemory  # noqa: E402
from lgnhw.netlist import Netlist  # noqa: E402

FORMATS = ("pt", "lgn", "aag", "aig", "torchlogix", "blif", "wiring")
TIME_LIMIT = 20.0                 # seconds per mutant
MEMORY_LIMIT = 3_000_000_000      # bytes of address space per child
CI_MUTANTS = 250                  # per format in the test below: all formats in well under 60 s


# -- a minimal pickle writer (protocol 2), enough for torch.save's layout ------------

class Global:
    """``module.name``, written as a GLOBAL opcode."""

    def __init__(self, module, name):
        self.module, self.name = module, name


class Call:
    """``func(*args)``: REDUCE."""

    def __init__(self, func, *args):
        self.func, self.args = func, args


class Obj:
    """``cls.__new__(cls)`` then ``BUILD state``: how torch.save writes an nn.Module."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state


class ODict:
    """``OrderedDict()`` then SETITEMS, as pickle writes an OrderedDict."""

    def __init__(self, pairs=()):
        self.pairs = list(pairs)


class Pid:
    """A persistent id (BINPERSID)."""

    def __init__(self, value):
        self.value = value


class Raw:
    """Opcodes written as they are."""

    def __init__(self, data: bytes):
        self.data = data


OD = Global("collections", "OrderedDict")


def _emit(obj, out: list) -> None:
    w = out.append
    if obj is None:
        w(b"N")
    elif obj is True or obj is False:
        w(b"\x88" if obj else b"\x89")
    elif isinstance(obj, int):
        if -2**31 <= obj < 2**31:
            w(b"J" + struct.pack("<i", obj))
        else:
            raw = obj.to_bytes((obj.bit_length() + 8) // 8, "little", signed=True)
            w((b"\x8a" + bytes([len(raw)]) if len(raw) < 256 else b"\x8b" + struct.pack("<I", len(raw))) + raw)
    elif isinstance(obj, float):
        w(b"G" + struct.pack(">d", obj))
    elif isinstance(obj, str):
        raw = obj.encode("utf-8", "surrogatepass")
        w(b"X" + struct.pack("<I", len(raw)) + raw)
    elif isinstance(obj, bytes):
        w(b"C" + bytes([len(obj)]) + obj if len(obj) < 256 else b"B" + struct.pack("<I", len(obj)) + obj)
    elif isinstance(obj, tuple):
        w(b"(")
        for item in obj:
            _emit(item, out)
        w(b"t")
    elif isinstance(obj, list):
        w(b"]")
        if obj:
            w(b"(")
            for item in obj:
                _emit(item, out)
            w(b"e")
    elif isinstance(obj, (dict, ODict)):
        pairs = obj.pairs if isinstance(obj, ODict) else list(obj.items())
        if isinstance(obj, ODict):
            _emit(OD, out)
            w(b")R")
        else:
            w(b"}")
        if pairs:
            w(b"(")
            for k, v in pairs:
                _emit(k, out)
                _emit(v, out)
            w(b"u")
    elif isinstance(obj, Global):
        w(b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
    elif isinstance(obj, Call):
        _emit(obj.func, out)
        _emit(tuple(obj.args), out)
        w(b"R")
    elif isinstance(obj, Obj):
        _emit(obj.cls, out)
        w(b")\x81")
        _emit(obj.state, out)
        w(b"b")
    elif isinstance(obj, Pid):
        _emit(obj.value, out)
        w(b"Q")
    elif isinstance(obj, Raw):
        w(obj.data)
    else:
        raise TypeError(f"cannot write {type(obj).__name__}")


def dumps(obj) -> bytes:
    out = [b"\x80\x02"]
    _emit(obj, out)
    out.append(b".")
    return b"".join(out)


# -- difflogic models as torch.save writes them ---------------------------------------

SEQUENTIAL = ("torch.nn.modules.container", "Sequential")
LOGIC_LAYER = ("difflogic.difflogic", "LogicLayer")
GROUP_SUM = ("difflogic.difflogic", "GroupSum")


def random_layers(seed=0, in_dim=12, widths=(20, 16), k=4):
    """``[(weights float32 (n, 16), a, b)]`` of a random difflogic model."""
    rng = np.random.default_rng(seed)
    layers, prev = [], in_dim
    for n in widths:
        layers.append((rng.standard_normal((n, 16)).astype(np.float32),
                       rng.integers(0, prev, n), rng.integers(0, prev, n)))
        prev = n
    return layers


def expected_netlist(layers, in_dim, k, tau) -> Netlist:
    return Netlist.from_layers(in_dim, [(np.argmax(w, 1), a, b) for w, a, b in layers], k, tau=tau,
                               meta={"source": "difflogic"})


class _Storages:
    """Collects raw storages; ``ref`` gives the persistent id torch.save writes."""

    def __init__(self, legacy: bool):
        self.legacy, self.data = legacy, {}

    def tensor(self, arr, size=None, stride=None, offset=0, storage_type=None):
        key = str(len(self.data))
        arr = np.ascontiguousarray(arr)
        self.data[key] = arr
        stype = storage_type or {"float32": "FloatStorage", "int64": "LongStorage"}[arr.dtype.name]
        pid = ("storage", Global("torch", stype), key, "cpu", arr.size) + ((None,) if self.legacy else ())
        size = arr.shape if size is None else size
        stride = tuple(int(s) // arr.itemsize for s in arr.strides) if stride is None else stride
        return Call(Global("torch._utils", "_rebuild_tensor_v2"),
                    Pid(pid), offset, tuple(size), tuple(stride), False, ODict())


def _module(cls, legacy, **attrs):
    kind = Pid(("module", Global(*cls), "difflogic.py", "")) if legacy else Global(*cls)
    state = {"training": False, "_parameters": ODict(attrs.pop("_parameters", ())),
             "_buffers": ODict(), "_modules": ODict(attrs.pop("_modules", ())), **attrs}
    return Obj(kind, state)


def model_object(layers, in_dim, k, tau, storages, legacy=False, group_sum=None):
    """The pickled object tree of ``torch.save(model)`` for a Sequential of LogicLayers + GroupSum."""
    mods, prev = [], in_dim
    for i, (w, a, b) in enumerate(layers):
        n = w.shape[0]
        weights = Call(Global("torch._utils", "_rebuild_parameter"), storages.tensor(w), True, ODict())
        both = storages.tensor(np.concatenate([a, b]).astype(np.int64))   # a, b: views of one storage
        ia = Call(both.func, both.args[0], 0, (n,), (1,), False, ODict())
        ib = Call(both.func, both.args[0], n, (n,), (1,), False, ODict())
        mods.append((str(i), _module(LOGIC_LAYER, legacy, _parameters=[("weights", weights)],
                                     in_dim=prev, out_dim=n, device="cpu", indices=(ia, ib))))
        prev = n
    gs = group_sum if group_sum is not None else _module(GROUP_SUM, legacy, k=k, tau=tau, device="cpu")
    mods.append((str(len(layers)), gs))
    return _module(SEQUENTIAL, legacy, _modules=mods)


def torch_zip(obj_for, path=None, prefix="archive", compress=zipfile.ZIP_STORED) -> bytes:
    """A zip-layout ``torch.save`` file; ``obj_for(storages)`` returns the object to pickle."""
    storages = _Storages(legacy=False)
    pkl = dumps(obj_for(storages))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        zf.writestr(f"{prefix}/data.pkl", pkl)
        zf.writestr(f"{prefix}/byteorder", "little")
        for key, arr in storages.data.items():
            zf.writestr(f"{prefix}/data/{key}", arr.tobytes())
        zf.writestr(f"{prefix}/version", "3\n")
    data = buf.getvalue()
    if path is not None:
        with open(path, "wb") as f:
            f.write(data)
    return data


def torch_legacy(obj_for, path=None) -> bytes:
    """A legacy-layout ``torch.save`` file (``_use_new_zipfile_serialization=False``)."""
    storages = _Storages(legacy=True)
    obj = dumps(obj_for(storages))
    info = {"protocol_version": 1001, "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    parts = [dumps(0x1950A86A20F9469CFC6C), dumps(1001), dumps(info), obj,
             dumps(list(storages.data))]
    for arr in storages.data.values():
        parts.append(struct.pack("<q", arr.size) + arr.tobytes())
    data = b"".join(parts)
    if path is not None:
        with open(path, "wb") as f:
            f.write(data)
    return data


def difflogic_file(seed=0, legacy=False, in_dim=12, widths=(20, 16), k=4, tau=2.0):
    layers = random_layers(seed, in_dim, widths, k)
    write = torch_legacy if legacy else torch_zip
    return write(lambda st: model_object(layers, in_dim, k, tau, st, legacy)), \
        expected_netlist(layers, in_dim, k, tau)


def state_dict_file(seed=0):
    """``(state_dict checkpoint, wiring .npz)`` bytes for one model."""
    layers = random_layers(seed)
    sd = torch_zip(lambda st: ODict([(f"{i}.weights", Call(Global("torch._utils", "_rebuild_parameter"),
                                                           st.tensor(w), True, ODict()))
                                     for i, (w, _, _) in enumerate(layers)]))
    arrays = {"num_classes": np.int64(4), "tau": np.float64(2.0), "num_inputs": np.int64(12)}
    for i, (_, a, b) in enumerate(layers):
        arrays[f"a_{i}"], arrays[f"b_{i}"] = a.astype(np.int64), b.astype(np.int64)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return sd, buf.getvalue()


# -- seeds ----------------------------------------------------------------------------

def _torchlogix_json(seed, n_inputs=6, n_gates=30, k=3) -> bytes:
    from lgnhw.formats.torchlogix import OPS
    rng = random.Random(seed)
    names = sorted(OPS)
    gates = []
    for j in range(n_gates):
        gid = n_inputs + j
        gates.append({"gate_id": gid, "op": rng.choice(names), "in0": rng.randrange(-1, gid),
                      "in1": rng.randrange(-1, gid), "node_idx": -1})
    per = n_gates // k
    sums = [{"node_id": n_inputs + n_gates + c, "tau": 2.0, "beta": float(c),
             "input_ids": [n_inputs + c * per + i for i in range(per)]} for c in range(k)]
    d = {"n_inputs": n_inputs, "input_shape": [n_inputs], "outputs": [s["node_id"] for s in sums],
         "output_shape": [k], "gates": gates, "sum_nodes": sums}
    return json.dumps(d).encode()


_FOREIGN_BLIF = b"""# a foreign file: wide covers, off-set rows, continuations, .conn
.model foreign
.inputs p q \\
 r s
.outputs y z w
.names p q t1
11 0
.names t1 r y
00 0
.names p q r s z
11-- 1
1-1- 1
-11- 1
---1 1
.conn z w2
.names w2 w
1 1
.end
"""


def seeds(fmt: str) -> list[tuple[bytes, dict]]:
    """Valid files of one format, each with the ``load_model`` options it needs."""
    from lgnhw.formats import write_lgn
    from lgnhw.formats.aiger import write_aiger
    from lgnhw.formats.blif import write_blif
    from lgnhw.randnet import random_dag
    nets = [random_dag(6, 40, 6, 3, seed=1, const_prob=0.05, bias_max=2),
            random_dag(4, 12, 2, 1, seed=2).replace(thresholds=np.linspace(0, 1, 4).reshape(2, 2),
                                                    meta={"source": "seed", "name": "t"})]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, net in enumerate(nets):
            p = os.path.join(tmp, f"s{i}")
            if fmt in ("lgn", "aag", "aig", "blif"):
                {"lgn": write_lgn, "blif": write_blif}.get(fmt, write_aiger)(
                    net, p + "." + fmt)
                with open(p + "." + fmt, "rb") as f:
                    out.append((f.read(), {}))
    if fmt == "blif":
        out.append((_FOREIGN_BLIF, {}))
    elif fmt == "torchlogix":
        out += [(_torchlogix_json(s), {}) for s in (1, 2)]
    elif fmt == "pt":
        out += [(difflogic_file(0)[0], {}), (difflogic_file(1, legacy=True)[0], {}),
                (torch_zip(lambda st: {"model": model_object(random_layers(3), 12, 4, 1.0, st),
                                       "epoch": 3, "history": [0.5, 0.25]}), {})]
    elif fmt == "wiring":
        sd, wiring = state_dict_file()
        out.append((wiring, {"state_dict": sd}))
    return out


# -- the mutator ----------------------------------------------------------------------

INTERESTING_BYTES = (0, 1, 0x7F, 0x80, 0xFF, ord("-"), ord("9"), ord("["), ord("{"), ord("\n"))
#: Inserted as they are: JSON values, deep nesting, and pickle opcodes that ask for a lot
#: (LONG_BINPUT 2**28, BYTEARRAY8 / BINBYTES8 / BINUNICODE8 / FRAME of 2**40, deep MARKs, lists).
SNIPPETS = (b"null", b"[]", b"{}", b'"x"', b"true", b"1e999", b"-0", b"\\", b"\x00", b"\xff\xfe",
            b"[" * 20000, b"{\"a\":" * 5000, b"r\x00\x00\x00\x10", b"\x96" + struct.pack("<Q", 2**40),
            b"\x8e" + struct.pack("<Q", 2**40), b"\x8d" + struct.pack("<Q", 2**40),
            b"\x95" + struct.pack("<Q", 2**40), b"(" * 5000, b"]" + b"]a" * 5000, b"N" * 3 + b"t",
            b"\x8a\x08" + b"\xff" * 8, b"J\xff\xff\xff\x7f", b"h\x00", b"b", b"R", b"\x81", b"Q")
#: Swapped for one another: names the loaders look for.
TOKENS = (b"FloatStorage", b"LongStorage", b"BFloat16Storage", b"UntypedStorage", b"BoolStorage",
          b"_rebuild_tensor_v2", b"_rebuild_tensor_v3", b"_rebuild_parameter", b"LogicLayer",
          b"GroupSum", b"Sequential", b"OrderedDict", b"device", b"Size", b"frozenset", b"indices",
          b"weights", b"in_dim", b"out_dim", b"_modules", b"little", b"big",
          b'"gates"', b'"sum_nodes"', b'"outputs"', b'"input_ids"', b'"n_inputs"', b'"beta"', b'"tau"',
          b'"shape"', b'"dtype"', b'"num_inputs"', b'"num_classes"', b'"arrays"', b"uint8", b"int32",
          b"int64", b"float64", b"<i4", b"<i8", b"|u1", b"<f8", b"|O", b"True", b"False",
          b".names", b".inputs", b".outputs", b".model", b".end", b".conn", b".latch", b"\\\n",
          b"aag", b"aig", b"\nc\n", b"lgnhw {", b"i0 ", b"o0 ", b"x0", b"c0_0", b"WIRE", b"NOT_B")
INTERESTING_NUMBERS = (b"0", b"1", b"-1", b"2", b"255", b"65536", b"4294967296", b"100000000",
                       b"9223372036854775807", b"9223372036854775808", b"18446744073709551616",
                       b"1e30", b"1e309", b"-1e300", b"1.5", b"99999999999999999999999999999")


def _bytes_mutation(rng: random.Random, data: bytes, others) -> bytes:
    b = bytearray(data)
    kind = rng.randrange(14)
    if not b:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    i = rng.randrange(len(b))
    if kind == 0:                                   # flip bits
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif kind == 1:                                 # interesting bytes
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.choice(INTERESTING_BYTES)
    elif kind == 2:                                 # cut
        del b[i:i + rng.choice((1, 4, 16, 256, len(b)))]
    elif kind == 3:                                 # insert random bytes
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.choice((1, 2, 8, 64))))
    elif kind == 4:                                 # repeat a chunk
        j = min(len(b), i + rng.choice((1, 2, 8, 64)))
        b[i:i] = b[i:j] * rng.choice((2, 16, 1000))
    elif kind == 5:                                 # replace a number
        starts = [k for k in range(len(b)) if chr(b[k]).isdigit() and (k == 0 or not chr(b[k - 1]).isdigit())]
        if starts:
            k = rng.choice(starts)
            e = k
            while e < len(b) and chr(b[e]).isdigit():
                e += 1
            b[k:e] = rng.choice(INTERESTING_NUMBERS)
    elif kind == 6:                                 # splice with another seed
        other = rng.choice(others)
        b = b[:i] + other[rng.randrange(len(other) + 1):]
    elif kind == 7:                                 # truncate
        del b[i:]
    elif kind == 8:                                 # overwrite a 4- or 8-byte field
        width = rng.choice((4, 8))
        value = rng.choice((0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**62, 2**63 - 1, 2**64 - 1)) % (1 << 8 * width)
        b[i:i + width] = value.to_bytes(width, "little")
    elif kind == 10:                                # insert a snippet
        b[i:i] = rng.choice(SNIPPETS)
    elif kind in (11, 12):                          # swap a known name for another
        present = [t for t in TOKENS if t in b]
        if present:
            t = rng.choice(present)
            k = bytes(b).find(t, rng.randrange(len(b)))
            k = bytes(b).find(t) if k < 0 else k
            b[k:k + len(t)] = rng.choice(TOKENS)
    else:                                           # duplicate a line
        lines = bytes(b).split(b"\n")
        k = rng.randrange(len(lines))
        lines[k:k] = [lines[k]] * rng.choice((1, 10, 1000))
        b = bytearray(b"\n".join(lines))
    return bytes(b)


def _zip_mutation(rng: random.Random, data: bytes, others) -> bytes:
    """Mutate one member of a zip archive and rebuild it (stored or deflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    except Exception:      # noqa: BLE001  (an earlier mutation broke the archive: mutate bytes)
        return _bytes_mutation(rng, data, others)
    if not members:
        return data
    k = rng.randrange(len(members))
    name, content = members[k]
    action = rng.randrange(8)
    if action == 0:
        del members[k]
    elif action == 1:
        members.append((name if rng.random() < 0.5 else name + "x", content))
    else:
        members[k] = (name, _bytes_mutation(rng, content, [c for _, c in members]))
    buf = io.BytesIO()
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(buf, "w", method) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")           # duplicate member names are a mutation too
        for n, c in members:
            zf.writestr(n, c)
    return buf.getvalue()


def mutate(rng: random.Random, data: bytes, others, is_zip: bool) -> bytes:
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        data = (_zip_mutation if is_zip and rng.random() < 0.7 else _bytes_mutation)(rng, data, others)
    return data


def mutants(fmt: str, seed: int):
    """Endless, reproducible ``(data, options)`` mutants of ``fmt``'s seeds."""
    pool = seeds(fmt)
    others = [d for d, _ in pool]
    rng = random.Random(f"{fmt}-{seed}")
    is_zip = fmt in ("pt", "lgn", "wiring")
    while True:
        data, options = rng.choice(pool)
        yield mutate(rng, data, others, is_zip), options


# -- running mutants ------------------------------------------------------------------

class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def try_one(path, options, state_dict_path=None) -> str:
    """Load one file: ``"loaded"``, ``"refused"`` (an LgnhwError) or the crash."""
    from lgnhw.formats import load_model
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if state_dict_path is not None:
                net = load_model(state_dict_path, wiring=path)
            else:
                net = load_model(path, **options)
            net.depth
        return "loaded"
    except OutOfMemory as err:         # a one-line error, but a memory blow-up all the same
        return f"OutOfMemory: {err}"
    except LgnhwError:
        return "refused"
    except _Timeout:
        return f"timeout: over {TIME_LIMIT:.0f} s"
    except Exception as err:    # noqa: BLE001  (what the fuzzer is looking for)
        return f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def worker(fmt: str, start: int, count: int, seed: int, results: str) -> None:
    """The child: mutants ``start .. count-1``; one JSON line per event in ``results``."""
    gen = mutants(fmt, seed)
    with tempfile.TemporaryDirectory() as tmp, open(results, "a") as log:
        path = os.path.join(tmp, "mutant")
        sd_path = None
        for i in range(count):
            data, options = next(gen)
            if i < start:
                continue
            options = dict(options)
            if "state_dict" in options:
                sd_path = os.path.join(tmp, "sd.pt")
                with open(sd_path, "wb") as f:
                    f.write(options.pop("state_dict"))
            with open(path, "wb") as f:
                f.write(data)
            log.write(json.dumps({"start": i}) + "\n")
            log.flush()
            t0 = time.perf_counter()
            outcome = try_one(path, options, sd_path)
            event = {"done": i, "s": round(time.perf_counter() - t0, 4)}
            if outcome in ("loaded", "refused"):
                event[outcome] = 1
            else:
                event["crash"] = outcome
                keep = os.path.join(os.path.dirname(results), f"crash-{fmt}-{i}")
                with open(keep, "wb") as f:
                    f.write(data)
            log.write(json.dumps(event) + "\n")
            log.flush()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        log.write(json.dumps({"finished": count, "peak_rss_kb": rss}) + "\n")


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_isolated(fmt: str, count: int, seed: int = 0, out_dir: str | None = None) -> dict:
    """Fuzz ``count`` mutants of ``fmt`` in child processes (3 GB limit, watchdog).

    Returns ``{"format", "mutants", "loaded", "crashes": [(index, what)], "seconds",
    "slowest_s", "peak_rss_mb"}``; crashing mutants are kept in ``out_dir``."""
    own = out_dir is None
    out_dir = out_dir or tempfile.mkdtemp(prefix=f"fuzz-{fmt}-")
    results = os.path.join(out_dir, f"{fmt}.jsonl")
    open(results, "w").close()
    crashes, slowest, peak, start, t0 = [], 0.0, 0, 0, time.perf_counter()
    loaded = 0
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    while start < count:
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), fmt, str(start),
                                  str(count), str(seed), results], env=env,
                                 preexec_fn=_limit_memory, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        current, since = None, time.monotonic()
        with open(results) as log:
            log.seek(0, os.SEEK_END)
            while True:
                line = log.readline()
                if line:
                    event = json.loads(line)
                    if "start" in event:
                        current, since = event["start"], time.monotonic()
                    elif "done" in event:
                        slowest = max(slowest, event["s"])
                        loaded += event.get("loaded", 0)
                        if "crash" in event:
                            crashes.append((event["done"], event["crash"]))
                        start, current = event["done"] + 1, None
                    elif "finished" in event:
                        peak = max(peak, event["peak_rss_kb"])
                    continue
                if child.poll() is not None:
                    break
                if current is not None and time.monotonic() - since > TIME_LIMIT + 10:
                    child.kill()
                    child.wait()
                    break
                time.sleep(0.05)
        err = child.stderr.read().decode(errors="replace")
        child.stderr.close()
        if current is not None:         # the child died or was killed inside a mutant
            crashes.append((current, "killed (time or memory)" if child.returncode else err[-200:]))
            start = current + 1
        elif child.returncode:
            raise RuntimeError(f"fuzz worker for {fmt} failed: {err[-2000:]}")
    if own and not crashes:
        import shutil
        shutil.rmtree(out_dir, ignore_errors=True)
    return {"format": fmt, "mutants": count, "loaded": loaded, "crashes": crashes, "out_dir": out_dir,
            "seconds": round(time.perf_counter() - t0, 1), "slowest_s": round(slowest, 3),
            "peak_rss_mb": round(peak / 1024, 1)}


# -- tests ----------------------------------------------------------------------------

def test_seeds_are_valid_and_load():
    """Every seed loads (so mutants start from real files); the checkpoints give the right netlist."""
    from lgnhw.formats import load_model
    for fmt in FORMATS:
        for data, options in seeds(fmt):
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "seed")
                with open(path, "wb") as f:
                    f.write(data)
                if "state_dict" in options:
                    sd = os.path.join(tmp, "sd.pt")
                    with open(sd, "wb") as f:
                        f.write(options["state_dict"])
                    load_model(sd, wiring=path)
                else:
                    load_model(path)
    for legacy in (False, True):
        data, want = difflogic_file(5, legacy=legacy)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.pt")
            with open(path, "wb") as f:
                f.write(data)
            net = load_model(path)
        for name in ("op", "a", "b", "outputs", "bias"):
            assert np.array_equal(getattr(net, name), getattr(want, name)), name
        assert (net.num_inputs, net.num_classes, net.tau) == (want.num_inputs, want.num_classes, want.tau)


def test_mutator_is_reproducible_and_mutates():
    a = [next(g)[0] for g in [mutants("aag", 3)] for _ in range(20)]
    b = [next(g)[0] for g in [mutants("aag", 3)] for _ in range(20)]
    assert a == b
    originals = {d for d, _ in seeds("aag")}
    assert sum(m not in originals for m in a) >= 18


def test_fuzz_every_loader_without_a_crash():
    """CI_MUTANTS mutants per format, each in a memory-limited child, all formats at once in
    two children at a time; 0 crashes. benchmarks/fuzz.py runs the long version."""
    from concurrent.futures import ThreadPoolExecutor
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda fmt: run_isolated(fmt, CI_MUTANTS, seed=1), FORMATS))
    for run in runs:
        assert run["crashes"] == [], (run["format"], run["crashes"][:5], run["out_dir"])
        assert run["slowest_s"] < TIME_LIMIT
    assert time.perf_counter() - t0 < 60


if __name__ == "__main__":
    fmt_, start_, count_, seed_, results_ = sys.argv[1:6]
    worker(fmt_, int(start_), int(count_), int(seed_), results_)
