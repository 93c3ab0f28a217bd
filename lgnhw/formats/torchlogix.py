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

import json
import math
import os

import numpy as np

from ..errors import FormatError, LgnhwError
from ..netlist import CONST0, FIRST_INPUT, Netlist
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

_GATE_KEYS = ("gate_id", "op", "in0", "in1")


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

def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_column(values, path, what):
    arr = np.array(values) if values else np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        bad = next((i for i, v in enumerate(values) if not _int(v)), None)
        if bad is None:
            raise FormatError(path, f"{what(0)}...: ids out of the 64-bit integer range")
        raise FormatError(path, f"{what(bad)} is {values[bad]!r}, expected an integer id")
    return arr.astype(np.int64)


def _gate_columns(gates, path):
    """(ids, op index, in0, in1) as numpy arrays, without per-gate objects."""
    try:
        cols = [[g[k] for g in gates] for k in _GATE_KEYS]
    except (KeyError, TypeError):
        for i, g in enumerate(gates):
            if not isinstance(g, dict):
                raise FormatError(path, f"gates[{i}] is not a JSON object") from None
            for k in _GATE_KEYS:
                if k not in g:
                    raise FormatError(path, f"gates[{i}] has no {k!r} field") from None
        raise
    ids = _int_column(cols[0], path, lambda i: f"gates[{i}].gate_id")
    try:
        kind = np.fromiter((_NAME_INDEX[n] for n in cols[1]), dtype=np.uint8, count=len(gates))
    except (KeyError, TypeError):
        i, name = next((i, n) for i, n in enumerate(cols[1])
                       if not isinstance(n, str) or n not in _NAME_INDEX)
        raise FormatError(path, f"gate id {cols[0][i]} has unknown op {name!r} "
                                f"(known: {', '.join(sorted(OPS))})") from None
    in0 = _int_column(cols[2], path, lambda i: f"gate id {cols[0][i]} in0")
    in1 = _int_column(cols[3], path, lambda i: f"gate id {cols[0][i]} in1")
    return ids, kind, in0, in1


class _Ids:
    """Maps torchlogix ids to provisional signals: inputs and constants keep
    their lgnhw numbers, the gate at list position j is ``first + j``."""

    def __init__(self, n_inputs, gate_ids):
        self.n_inputs = n_inputs
        self.first = FIRST_INPUT + n_inputs
        self.order = np.argsort(gate_ids, kind="stable")
        self.sorted = gate_ids[self.order]

    def gate_positions(self, ids):
        """List position of each id's gate, -1 where it is no gate."""
        if not self.sorted.size:
            return np.full(ids.shape, -1, dtype=np.int64)
        lo, hi = int(self.sorted[0]), int(self.sorted[-1])
        if hi - lo + 1 == self.sorted.size:           # contiguous ids (unsimplified circuits)
            inside = (ids >= lo) & (ids <= hi)
            return np.where(inside, self.order[np.where(inside, ids - lo, 0)], -1)
        pos = np.minimum(np.searchsorted(self.sorted, ids), self.sorted.size - 1)
        return np.where(self.sorted[pos] == ids, self.order[pos], -1)

    def signals(self, ids):
        """Provisional signal per id; -1 where the id is unknown."""
        ids = np.asarray(ids, dtype=np.int64)
        gate = self.gate_positions(ids)
        sig = np.where(gate >= 0, self.first + gate, -1)
        sig = np.where((ids >= 0) & (ids < self.n_inputs), FIRST_INPUT + ids, sig)
        return np.where(ids == -1, CONST0, sig)


def _topological_order(a, b, first, gate_ids, path):
    """Gate list positions in a topological order (None if the file order is one)."""
    g = a.size
    own = first + np.arange(g)
    if g == 0 or (np.all(a < own) and np.all(b < own)):
        return None
    order, node = topological_order(np.where(a >= first, a - first, -1),
                                    np.where(b >= first, b - first, -1))
    if node is not None:
        raise FormatError(path, f"gates form a cycle (gate id {gate_ids[node]} depends on itself)")
    return order


def _sum_nodes(data, path):
    nodes = data.get("sum_nodes", [])
    if not isinstance(nodes, list):
        raise FormatError(path, "'sum_nodes' is not a list")
    ids, inputs, taus, betas = [], [], [], []
    for i, sr in enumerate(nodes):
        if not isinstance(sr, dict):
            raise FormatError(path, f"sum_nodes[{i}] is not a JSON object")
        for k in ("node_id", "input_ids"):
            if k not in sr:
                raise FormatError(path, f"sum_nodes[{i}] has no {k!r} field")
        if not _int(sr["node_id"]):
            raise FormatError(path, f"sum_nodes[{i}].node_id is {sr['node_id']!r}, expected an integer")
        if not isinstance(sr["input_ids"], list):
            raise FormatError(path, f"sum node {sr['node_id']}: input_ids is not a list")
        ids.append(sr["node_id"])
        inputs.append(_int_column(sr["input_ids"], path,
                                  lambda j, n=sr["node_id"]: f"sum node {n} input_ids[{j}]"))
        for k, default, store in (("tau", 1.0, taus), ("beta", 0.0, betas)):
            v = sr.get(k, default)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise FormatError(path, f"sum node {sr['node_id']}: {k} is {v!r}, expected a finite number")
            store.append(v)
    return np.array(ids, dtype=np.int64), inputs, taus, betas


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


def read_torchlogix(path, *, num_classes: int | None = None, tau: float | None = None) -> Netlist:
    """Load a torchlogix ``Circuit.write_json`` file into a checked :class:`Netlist`.

    ``num_classes`` (and ``tau``) are needed only for circuits without sum
    nodes, whose outputs are plain bits grouped difflogic-style; for circuits
    with sum nodes they are taken from the file.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    except json.JSONDecodeError as err:
        raise FormatError(path, f"not valid JSON (line {err.lineno} column {err.colno}: {err.msg})") from None
    except (UnicodeDecodeError, RecursionError) as err:
        raise FormatError(path, f"not valid JSON ({type(err).__name__})") from None
    if not isinstance(data, dict):
        raise FormatError(path, "not a torchlogix circuit (the JSON top level is not an object)")
    for key in ("n_inputs", "gates", "outputs"):
        if key not in data:
            raise FormatError(path, f"torchlogix circuit has no {key!r} key")
    n_inputs = data["n_inputs"]
    if not _int(n_inputs) or n_inputs < 0:
        raise FormatError(path, f"n_inputs is {n_inputs!r}, expected a non-negative integer")
    shape = data.get("input_shape")
    if shape is not None:
        if not (isinstance(shape, list) and all(_int(d) and d >= 0 for d in shape)):
            raise FormatError(path, f"input_shape is {shape!r}, expected a list of sizes")
        if math.prod(shape) != n_inputs:
            raise FormatError(path, f"input_shape {shape} holds {math.prod(shape)} bits, "
                                    f"but n_inputs is {n_inputs}")
    gates, outputs = data["gates"], data["outputs"]
    if not isinstance(gates, list):
        raise FormatError(path, "'gates' is not a list")
    if not isinstance(outputs, list) or not outputs:
        raise FormatError(path, "'outputs' is not a non-empty list of ids")

    gate_ids, kind, in0, in1 = _gate_columns(gates, path)
    del data["gates"], gates                      # free the per-gate dicts early
    if gate_ids.size:
        low = np.flatnonzero(gate_ids < n_inputs)
        if low.size:
            raise FormatError(path, f"gate id {gate_ids[low[0]]} is below n_inputs={n_inputs} "
                                    "(ids 0..n_inputs-1 are the inputs)")
        srt = np.sort(gate_ids)
        dup = np.flatnonzero(srt[1:] == srt[:-1])
        if dup.size:
            raise FormatError(path, f"gate id {srt[dup[0]]} is used by more than one gate")
    ids = _Ids(n_inputs, gate_ids)
    sums = _sum_nodes(data, path)
    if sums[0].size:
        clash = np.flatnonzero(ids.gate_positions(sums[0]) >= 0)
        if clash.size:
            raise FormatError(path, f"sum node id {sums[0][clash[0]]} is also a gate id")
        if np.unique(sums[0]).size != sums[0].size:
            raise FormatError(path, "two sum nodes share one node_id")

    uses = _USES_OF[kind]
    op = _OP_OF[kind]
    # Unread slots take the read slot's id (constants read constant 0).
    src0 = np.where(uses == _IN1, in1, in0)
    src1 = np.where(uses == _IN0, in0, in1)
    src0 = np.where(uses == _NONE, -1, src0)
    src1 = np.where(uses == _NONE, -1, src1)
    a, b = ids.signals(src0), ids.signals(src1)
    for name, sig, src in (("in0", a, src0), ("in1", b, src1)):
        bad = np.flatnonzero(sig < 0)
        if bad.size:
            j = int(bad[0])
            slot = name if uses[j] == _BOTH else ("in1" if uses[j] == _IN1 else "in0")
            raise FormatError(path, f"gate id {gate_ids[j]} {slot} refers to id {src[j]}, "
                                    "which is neither an input nor a gate")

    first = ids.first
    order = _topological_order(a, b, first, gate_ids, path)
    out_ids = _int_column(outputs, path, lambda i: f"outputs[{i}]")
    out_sig, k, bias, tau = _class_groups(out_ids, ids, sums, path, num_classes, tau)
    if order is not None:
        remap = np.arange(first + gate_ids.size, dtype=np.int64)
        remap[first + order] = first + np.arange(order.size)
        op, a, b = op[order], remap[a[order]], remap[b[order]]
        out_sig = remap[out_sig]
    meta = {"source": "torchlogix circuit JSON"}
    if shape is not None:
        meta["input_shape"] = "x".join(str(d) for d in shape)
    try:
        return Netlist(num_inputs=n_inputs, op=op, a=a, b=b, outputs=out_sig, num_classes=k,
                       bias=bias, tau=tau, meta=meta).check()
    except LgnhwError as err:
        raise FormatError(path, str(err)) from None
