"""torchlogix circuit JSON (``Circuit.write_json``) -> :class:`Netlist`.

torchlogix (github ligerlac/torchlogix, ``torchlogix/circuit.py``) exports a
trained dense or convolutional LGN as one JSON object::

    {"n_inputs": I, "input_shape": [...], "outputs": [id, ...], "output_shape": [...],
     "gates": [{"gate_id", "op", "in0", "in1", "node_idx"}, ...],
     "sum_nodes": [{"node_id", "input_ids", "tau", "beta"}, ...]}      # only with GroupSum

Semantics, as torchlogix evaluates it (``Circuit.__call__``, ``get_c_code``):

* ids ``0 .. I-1`` are the input bits (the input tensor flattened in C order);
  gates and sum nodes share one id space above them (gate ids need not be
  contiguous after ``simplify()``). An input slot of ``-1`` reads constant 0.
* ``op`` is a ``GateOp`` name. Single-input ops read only one slot: ``WIRE``,
  ``NOT`` and ``NOT_A`` read ``in0``, ``NOT_B`` reads ``in1``; ``CONST_FALSE``
  and ``CONST_TRUE`` read nothing. Unread slots are ignored, whatever they hold.
* a sum node's value is ``(popcount(input_ids) + beta) / tau``; the circuit's
  class scores are the sum nodes listed in ``outputs``, in that order.

Mapping to lgnhw: the gate names map to difflogic op ids (table :data:`OPS`),
gates are topologically sorted if the file lists them out of order, each sum
node becomes one class group, ``beta`` becomes the class bias (it must be an
integer) and ``tau`` (one value for all classes) is kept as ``Netlist.tau``,
so the golden counts are the scores before the division by tau. Groups of
different sizes (``simplify()`` folds constant inputs into ``beta``) are
padded with constant-0 outputs, which count nothing.
"""

from __future__ import annotations

import math
import mmap
import os
import re
from operator import attrgetter
from typing import Annotated, Literal, Optional

import msgspec
import numpy as np

from ..errors import FormatError, LgnhwError
from ..netlist import CONST0, FIRST_INPUT, Netlist, first_unordered
from .limits import check_model_size, clip, regular_file_size
from .toposort import topological_order

__all__ = ["read_torchlogix", "is_torchlogix_json", "OPS"]

# Which input slots an op reads.
_NONE, _IN0, _IN1, _BOTH = 0, 1, 2, 3

#: GateOp name -> (difflogic op id, slots read). Checked against torchlogix's
#: ``_eval_gate_op`` truth tables in tests/test_torchlogix.py.
OPS = {
    "CONST_FALSE": (0, _NONE),
    "AND": (1, _BOTH),
    "AND_NOT_B": (2, _BOTH),    # a & ~b
    "WIRE": (3, _IN0),          # a
    "AND_NOT_A": (4, _BOTH),    # ~a & b
    "XOR": (6, _BOTH),
    "OR": (7, _BOTH),
    "NOR": (8, _BOTH),
    "XNOR": (9, _BOTH),
    "NOT_B": (10, _IN1),        # ~b
    "OR_NOT_B": (11, _BOTH),    # a | ~b
    "NOT": (12, _IN0),          # ~a
    "NOT_A": (12, _IN0),        # ~a
    "OR_NOT_A": (13, _BOTH),    # ~a | b
    "NAND": (14, _BOTH),
    "CONST_TRUE": (15, _NONE),
}
_NAMES = tuple(OPS)
_NAME_INDEX = {n: i for i, n in enumerate(_NAMES)}
_OP_OF = np.array([OPS[n][0] for n in _NAMES], dtype=np.uint8)
_USES_OF = np.array([OPS[n][1] for n in _NAMES], dtype=np.uint8)

_MAX_ID = (1 << 62) - 1       # ids are int64 signal numbers after the remap
_MAX_BETA = float(1 << 53)    # exact integers in a float; the class bias is int64


# -- detection -----------------------------------------------------------------

def is_torchlogix_json(path, chunk: int = 1 << 20) -> bool:
    """True if the file is a JSON object holding torchlogix's ``gates`` and
    ``n_inputs`` (or ``sum_nodes``) keys. Scans the bytes, stops when both are seen."""
    need_gates, need_other = b'"gates"', (b'"n_inputs"', b'"sum_nodes"')
    found_gates = found_other = False
    tail = b""
    with open(path, "rb") as f:
        first = True
        while True:
            block = f.read(chunk)
            if not block:
                return False
            if first:
                if not block.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
                    return False
                first = False
            data = tail + block
            found_gates = found_gates or need_gates in data
            found_other = found_other or any(k in data for k in need_other)
            if found_gates and found_other:
                return True
            tail = data[-16:]


# -- reading -------------------------------------------------------------------

# The file's schema, decoded and type-checked by msgspec in one pass (no
# per-gate dicts); unknown fields such as ``node_idx`` are ignored.
_Id = Annotated[int, msgspec.Meta(ge=0, le=_MAX_ID)]
_Slot = Annotated[int, msgspec.Meta(ge=-_MAX_ID, le=_MAX_ID)]   # unread slots may hold anything


class _Gate(msgspec.Struct, gc=False):     # ints and a str only: never in a cycle
    gate_id: _Id
    op: Literal[_NAMES]                      # decodes to the interned name, no new string
    in0: _Slot
    in1: _Slot


class _SumNode(msgspec.Struct):
    node_id: _Id
    input_ids: list[_Slot]
    tau: float = 1.0
    beta: float = 0.0


class _Circuit(msgspec.Struct):
    n_inputs: _Id
    gates: list[_Gate]
    outputs: Annotated[list[_Slot], msgspec.Meta(min_length=1)]
    input_shape: Optional[list[_Id]] = None
    sum_nodes: list[_SumNode] = []


_DECODER = msgspec.json.Decoder(_Circuit)
_GATES = msgspec.json.Decoder(list[_Gate])

# Streaming the gates: ``"gates": [`` and, between gates, write_json's ", ".
_GATES_KEY = re.compile(rb'"gates"\s*:\s*(\[)\s*\{')
_BETWEEN = b"}, {"
_CHUNK = 1 << 20     # bytes of gates decoded at a time


def _decode(path) -> tuple[_Circuit, tuple]:
    """The circuit (its ``gates`` emptied) and the gates as columns (:func:`_gate_columns`)."""
    regular_file_size(path)
    try:
        with open(path, "rb") as f:
            try:          # decode from the page cache; private, as _in_chunks writes brackets
                raw = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
            except (OSError, ValueError):        # empty file, pipe, ...
                raw = f.read()
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    try:
        streamed = _in_chunks(raw) if isinstance(raw, mmap.mmap) else None
        if streamed is not None:
            return streamed
        circuit = _DECODER.decode(raw)
    except msgspec.ValidationError as err:
        problem = _where_first(str(err))
        if problem.endswith("'") and ".op: invalid enum value" in problem:
            problem = clip(problem.replace("invalid enum value", "unknown op"), 80) \
                + f" (known: {', '.join(sorted(OPS))})"
        raise FormatError(path, clip(problem, 400)) from None
    except msgspec.DecodeError as err:
        raise FormatError(path, f"not valid JSON ({clip(err, 160)})") from None
    except RecursionError:
        raise FormatError(path, "not valid JSON (nested too deeply)") from None
    finally:
        if isinstance(raw, mmap.mmap):
            raw.close()
    columns = _gate_columns(circuit.gates)
    circuit.gates = []                           # free the per-gate objects early
    return circuit, columns


def _in_chunks(raw: mmap.mmap):
    """Decode the gates about ``_CHUNK`` bytes at a time, so that only one
    chunk's gate objects exist at once (a fraction of the memory, and faster),
    then the rest of the file with an empty gate list; returns what
    :func:`_decode` returns, or None to have the whole file decoded at once.

    The gates are cut between two gates (``}, {``, as write_json separates
    them; the ``, `` becomes ``][`` in this private mapping, so each chunk is
    a JSON list) and end at the first ``]``, which must follow a ``}``. A
    cut anywhere else (inside a string or a nested value) leaves a chunk that
    is not a list of gates, a wrong end leaves a rest that is not a circuit
    with no gates, and a wrong ``"gates"`` key leaves the real gates in the
    rest: each gives None, and the whole-file decode then reports any problem
    with its exact location.
    """
    key = _GATES_KEY.search(raw)
    # the first ']' (a rare byte: gates hold no arrays) closes the gate list;
    # '}]' itself is slow to search for, as '}' ends every gate
    end = raw.find(b"]", key.end()) - 1 if key else -1
    if end < 0 or raw[end:end + 1] != b"}":
        return None
    lo, cuts, parts = key.start(1), [], []      # lo: the '[' of the next chunk
    try:
        with memoryview(raw) as view:
            while True:
                cut = raw.find(_BETWEEN, lo + _CHUNK, end)
                stop = end + 2 if cut < 0 else cut + 2
                if cut >= 0:
                    raw[cut + 1:cut + 3] = b"]["
                    cuts.append(cut + 1)
                with view[lo:stop] as chunk:
                    parts.append(_gate_columns(_GATES.decode(chunk)))
                if cut < 0:
                    break
                lo = cut + 2
        rest = _DECODER.decode(raw[:key.start(1)] + b"[]" + raw[end + 2:])
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    finally:
        for at in cuts:
            raw[at:at + 2] = b", "
    if rest.gates:
        return None
    return rest, tuple(np.concatenate(column) for column in zip(*parts))


def _where_first(message: str) -> str:
    """msgspec's ``"Expected `int`, got `str` - at `$.gates[3].in0`"`` as
    ``"gates[3].in0: expected `int`, got `str`"``."""
    problem, sep, where = message.rpartition(" - at `")
    if not sep:                                   # msgspec omits the location at the top level
        problem, where = message, ""
    where = where.rstrip("`").removeprefix("$").lstrip(".")
    problem = problem[:1].lower() + problem[1:]
    if not where:
        return f"not a torchlogix circuit (top level: {problem})"
    return f"{where}: {problem}"


def _gate_columns(gates):
    """(ids, op index, in0, in1) as numpy arrays."""
    n = len(gates)
    ids = np.fromiter(map(attrgetter("gate_id"), gates), dtype=np.int64, count=n)
    kind = np.fromiter(map(_NAME_INDEX.__getitem__, map(attrgetter("op"), gates)),
                       dtype=np.uint8, count=n)
    in0 = np.fromiter(map(attrgetter("in0"), gates), dtype=np.int64, count=n)
    in1 = np.fromiter(map(attrgetter("in1"), gates), dtype=np.int64, count=n)
    return ids, kind, in0, in1


class _Ids:
    """Maps torchlogix ids to provisional signals: inputs and constants keep
    their lgnhw numbers, the gate at list position j is ``first + j``."""

    def __init__(self, n_inputs, gate_ids):
        self.n_inputs = n_inputs
        self.first = FIRST_INPUT + n_inputs
        # torchlogix lists gates by increasing id: then no sort is needed
        self.ascending = bool(np.all(gate_ids[1:] > gate_ids[:-1]))
        self.order = None if self.ascending else np.argsort(gate_ids, kind="stable")
        self.sorted = gate_ids if self.ascending else gate_ids[self.order]
        # Write_json's own numbering: gates n_inputs, n_inputs + 1, ... in list
        # order; then an id's signal is simply id + 2 (inputs and gates alike).
        self.canonical = self.ascending and (not gate_ids.size or (
            int(gate_ids[0]) == n_inputs and int(gate_ids[-1]) == n_inputs + gate_ids.size - 1))

    def gate_positions(self, ids):
        """List position of each id's gate, -1 where it is no gate."""
        if not self.sorted.size:
            return np.full(ids.shape, -1, dtype=np.int64)
        lo, hi = int(self.sorted[0]), int(self.sorted[-1])
        if hi - lo + 1 == self.sorted.size:           # contiguous ids (unsimplified circuits)
            inside = (ids >= lo) & (ids <= hi)
            if self.ascending:
                return np.where(inside, ids - lo, -1)
            return np.where(inside, self.order[np.where(inside, ids - lo, 0)], -1)
        pos = np.minimum(np.searchsorted(self.sorted, ids), self.sorted.size - 1)
        return np.where(self.sorted[pos] == ids, pos if self.ascending else self.order[pos], -1)

    def signals(self, ids, *, reuse: bool = False):
        """Provisional signal per id; -1 where the id is unknown. ``reuse``:
        the caller gives up its int64 ``ids``; with write_json's own numbering
        and every id known they become the signals in place (a load's largest
        arrays), otherwise ``ids`` stay as they are for error messages."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.canonical:
            unknown = (ids < -1) | (ids >= self.n_inputs + self.sorted.size)
            in_place = reuse and not unknown.any()
            sig = np.add(ids, FIRST_INPUT, out=ids if in_place else None)
            sig[sig == FIRST_INPUT - 1] = CONST0              # id -1: constant 0
            sig[unknown] = -1
            return sig
        gate = self.gate_positions(ids)
        sig = np.where(gate >= 0, self.first + gate, -1)
        sig = np.where((ids >= 0) & (ids < self.n_inputs), FIRST_INPUT + ids, sig)
        return np.where(ids == -1, CONST0, sig)


def _topological_order(a, b, first, gate_ids, path):
    """Gate list positions in a topological order (None if the file order is one)."""
    if first_unordered(a, first) < 0 and first_unordered(b, first) < 0:
        return None
    order, node = topological_order(np.where(a >= first, a - first, -1),
                                    np.where(b >= first, b - first, -1))
    if node is not None:
        raise FormatError(path, f"gates form a cycle (gate id {gate_ids[node]} depends on itself)")
    return order


def _sum_nodes(circuit, path):
    """(node ids, input id arrays, taus, betas) of the sum nodes."""
    nodes = circuit.sum_nodes
    ids = np.array([sr.node_id for sr in nodes], dtype=np.int64)
    inputs = [np.array(sr.input_ids, dtype=np.int64) for sr in nodes]
    for sr in nodes:
        for k in ("tau", "beta"):
            if not math.isfinite(getattr(sr, k)):
                raise FormatError(path, f"sum node {sr.node_id}: {k} is {getattr(sr, k)!r}, "
                                        "expected a finite number")
        if abs(sr.beta) > _MAX_BETA:
            raise FormatError(path, f"sum node {sr.node_id}: beta {sr.beta!r} is beyond "
                                    f"+-2**53, too large for a class score offset")
    return ids, inputs, [sr.tau for sr in nodes], [sr.beta for sr in nodes]


def _check_outputs(path, classes, width):
    """Class groups are padded to the widest: a sum node listed many times (or one
    wide group among narrow ones) may not make more than 4 outputs per byte of the file."""
    count = classes * width
    check_model_size(path, "outputs", count)
    size = os.stat(path).st_size
    if count > 4 * size:
        raise FormatError(path, f"{classes} class scores of up to {width} bits make {count:,} "
                                f"outputs, more than 4 per byte of the file ({size:,} bytes)")


def _class_groups(out_ids, ids, sums, path, num_classes, tau):
    """(output signals, num_classes, bias, tau) from the outputs list."""
    sum_ids, sum_inputs, taus, betas = sums
    where = {int(n): i for i, n in enumerate(sum_ids.tolist())}
    is_sum = np.array([int(o) in where for o in out_ids.tolist()], dtype=bool)
    if is_sum.all():
        picked = [where[int(o)] for o in out_ids.tolist()]
        if num_classes is not None and num_classes != len(picked):
            raise FormatError(path, f"the circuit has {len(picked)} class scores (sum nodes), "
                                    f"num_classes={num_classes} was requested")
        tau_set = sorted({taus[i] for i in picked})
        if len(tau_set) > 1:
            raise FormatError(path, f"sum nodes have different tau values {tau_set}; lgnhw needs "
                                    "one tau for all classes")
        if tau_set[0] <= 0:
            raise FormatError(path, f"sum node tau is {tau_set[0]}, must be positive")
        bias = []
        for i in picked:
            if float(betas[i]) != round(betas[i]):
                raise FormatError(path, f"sum node {sum_ids[i]} has beta {betas[i]}, not an integer: "
                                        "the class score offset cannot be represented exactly")
            bias.append(int(round(betas[i])))
        width = max(1, max(sum_inputs[i].size for i in picked))
        _check_outputs(path, len(picked), width)
        groups = np.full((len(picked), width), CONST0, dtype=np.int64)
        for row, i in enumerate(picked):
            sig = ids.signals(sum_inputs[i])
            bad = np.flatnonzero(sig < 0)
            if bad.size:
                raise FormatError(path, f"sum node {sum_ids[i]} reads id {sum_inputs[i][bad[0]]}, "
                                        "which is neither an input nor a gate")
            groups[row, :sig.size] = sig
        return groups.reshape(-1), len(picked), np.array(bias, dtype=np.int64), float(tau_set[0])
    if is_sum.any():
        raise FormatError(path, "outputs mix sum nodes and plain gate outputs; lgnhw needs "
                                "either all class scores or all bits")
    sig = ids.signals(out_ids)
    bad = np.flatnonzero(sig < 0)
    if bad.size:
        raise FormatError(path, f"outputs[{bad[0]}] is id {out_ids[bad[0]]}, which is neither "
                                "an input, a gate nor a sum node")
    if num_classes is None:
        raise FormatError(path, f"the circuit has no sum nodes (its {sig.size} outputs are bits); "
                                "pass num_classes to group them into class scores (GroupSum)")
    if num_classes < 1 or sig.size % num_classes:
        raise FormatError(path, f"{sig.size} output bits cannot be split into {num_classes} "
                                "equal class groups")
    return sig, num_classes, np.zeros(num_classes, dtype=np.int64), 1.0 if tau is None else float(tau)


def _product(shape) -> int:
    """``math.prod(shape)``, or ``_MAX_ID + 1`` as soon as it exceeds ``_MAX_ID``
    (the product of a long list of huge numbers takes very long)."""
    if 0 in shape:
        return 0
    out = 1
    for n in shape:
        out *= n
        if out > _MAX_ID:
            return _MAX_ID + 1
    return out


def read_torchlogix(path, *, num_classes: int | None = None, tau: float | None = None) -> Netlist:
    """Load a torchlogix ``Circuit.write_json`` file into a checked :class:`Netlist`.

    ``num_classes`` (and ``tau``) are needed only for circuits without sum
    nodes, whose outputs are plain bits grouped difflogic-style; for circuits
    with sum nodes they are taken from the file.
    """
    path = os.fspath(path)
    circuit, (gate_ids, kind, in0, in1) = _decode(path)
    n_inputs, shape = circuit.n_inputs, circuit.input_shape
    check_model_size(path, "inputs", n_inputs)
    if shape is not None and _product(shape) != n_inputs:
        bits = _product(shape)
        raise FormatError(path, f"input_shape {clip(shape)} holds "
                                f"{bits if bits <= _MAX_ID else 'more than 2**62'} bits, "
                                f"but n_inputs is {n_inputs}")
    if gate_ids.size:
        low = np.flatnonzero(gate_ids < n_inputs)
        if low.size:
            raise FormatError(path, f"gate id {gate_ids[low[0]]} is below n_inputs={n_inputs} "
                                    "(ids 0..n_inputs-1 are the inputs)")
    ids = _Ids(n_inputs, gate_ids)
    dup = np.flatnonzero(ids.sorted[1:] == ids.sorted[:-1])
    if dup.size:
        raise FormatError(path, f"gate id {ids.sorted[dup[0]]} is used by more than one gate")
    sums = _sum_nodes(circuit, path)
    if sums[0].size:
        clash = np.flatnonzero(ids.gate_positions(sums[0]) >= 0)
        if clash.size:
            raise FormatError(path, f"sum node id {sums[0][clash[0]]} is also a gate id")
        if len(set(sums[0].tolist())) != sums[0].size:
            raise FormatError(path, "two sum nodes share one node_id")

    uses = _USES_OF[kind]
    op = _OP_OF[kind]
    # Unread slots take the read slot's id (constants read constant 0); in
    # place, as these columns are the largest arrays of a load.
    src0, src1 = in0, in1
    only0, only1, none = uses == _IN0, uses == _IN1, uses == _NONE
    src1[only0] = src0[only0]
    src0[only1] = src1[only1]
    src0[none] = src1[none] = -1
    a, b = ids.signals(src0, reuse=True), ids.signals(src1, reuse=True)
    for name, sig, src in (("in0", a, src0), ("in1", b, src1)):   # src kept where sig < 0
        bad = np.flatnonzero(sig < 0)
        if bad.size:
            j = int(bad[0])
            slot = name if uses[j] == _BOTH else ("in1" if uses[j] == _IN1 else "in0")
            raise FormatError(path, f"gate id {gate_ids[j]} {slot} refers to id {src[j]}, "
                                    "which is neither an input nor a gate")

    first = ids.first
    order = _topological_order(a, b, first, gate_ids, path)
    out_ids = np.array(circuit.outputs, dtype=np.int64)
    out_sig, k, bias, tau = _class_groups(out_ids, ids, sums, path, num_classes, tau)
    if order is not None:
        position = np.empty(order.size, dtype=np.int64)      # new place of each gate
        position[order] = np.arange(order.size)

        def remap(sig):
            return np.where(sig >= first, first + position[np.maximum(sig - first, 0)], sig)
        op, a, b = op[order], remap(a[order]), remap(b[order])
        out_sig = remap(out_sig)
    meta = {"source": "torchlogix circuit JSON"}
    if shape is not None:
        meta["input_shape"] = "x".join(str(d) for d in shape)
    try:
        return Netlist(num_inputs=n_inputs, op=op, a=a, b=b, outputs=out_sig, num_classes=k,
                       bias=bias, tau=tau, meta=meta).check()
    except LgnhwError as err:
        raise FormatError(path, str(err)) from None
