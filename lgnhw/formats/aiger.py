"""AIGER (ASCII ``aag`` and binary ``aig``), AIGER 1.9 combinational subset.

Writing decomposes every two-input gate into AND gates on (possibly
inverted) literals: AND-like and OR-like ops need one AND, XOR/XNOR three,
wires and constants none (they become literals). Outputs are the netlist
outputs, in order. The class structure survives a round trip through our own
reader in two places:

* the symbol table names input ``k`` ``x<k>`` and output ``k`` of class ``c``
  ``c<c>_<k>`` (a tool that keeps symbols, such as yosys with
  ``write_aiger -symbols``, keeps the class split and the port order);
* the comment section holds one line ``lgnhw {json}`` with ``num_classes``,
  ``bias``, ``tau``, the thermometer ``thresholds`` and ``meta``.

Reading turns every AND into op 1 with input inversions absorbed into the op
id (:func:`lgnhw.ops.negate_a` / :func:`~lgnhw.ops.negate_b`); literal 0/1
are the constant signals; an inverted output gets one NOT gate. The file is
loaded as it is (``optimize=True`` runs :func:`lgnhw.passes.optimize` on the
result), so an export and its re-import have the same gates. Latches, bad-state, constraint, justice and fairness
sections are refused: lgnhw netlists are combinational.

The helpers under "shared with blif.py" turn any list of two-input gates on
named nets (in any order) into a checked :class:`~lgnhw.netlist.Netlist`.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np

from .. import ops
from ..errors import FormatError, LgnhwError
from ..fileio import atomic_open
from ..netlist import FIRST_INPUT, Netlist
from .limits import check_model_size, clip, describe, loads_json, one_line, regular_file_size
from .toposort import topological_order

__all__ = ["write_aiger", "read_aiger", "is_aiger", "netlist_to_aig"]

# -- shared with blif.py ----------------------------------------------------------

METADATA_TAG = "lgnhw"
_INPUT_NAME = re.compile(r"x(\d{1,18})\Z")           # at most 18 digits: an int64
_OUTPUT_NAME = re.compile(r"c(\d{1,18})_(\d{1,18})\Z")


def input_name(k: int) -> str:
    return f"x{k}"


def output_name(net: Netlist, k: int) -> str:
    return f"c{k // net.group_size}_{k}"


def metadata_line(net: Netlist) -> str:
    """``lgnhw {json}``: everything a gate-level format cannot hold."""
    info = {"num_classes": net.num_classes, "bias": [int(v) for v in net.bias], "tau": net.tau,
            "meta": dict(sorted(net.meta.items()))}
    if net.thresholds is not None:
        info["thresholds"] = {"shape": list(net.thresholds.shape),
                              "values": [float(v) for v in net.thresholds.reshape(-1)]}
    return METADATA_TAG + " " + json.dumps(info, sort_keys=True, separators=(",", ":"))


def parse_metadata(path, lines) -> dict | None:
    """The metadata dict of the first ``lgnhw {json}`` line among ``lines`` (or None)."""
    for line in lines:
        line = line.strip()
        if line.startswith(METADATA_TAG + " {"):
            info = loads_json(path, line[len(METADATA_TAG) + 1:], "lgnhw metadata comment")
            if not isinstance(info, dict):
                raise FormatError(path, "malformed lgnhw metadata comment (not an object)")
            return info
    return None


def _name_permutation(names, pattern, count, index_group, other_group=None):
    """Indices ``k`` parsed from names like ``x<k>`` (per position), if they form a permutation.

    With ``other_group``, returns ``(k, other)`` with a second parsed number per name.
    """
    if count == 0 or names is None or len(names) != count or any(n is None for n in names):
        return None
    matches = [pattern.match(name) for name in names]
    if not all(matches):
        return None
    ks = np.array([int(mt.group(index_group)) for mt in matches], dtype=np.int64)
    if not np.array_equal(np.sort(ks), np.arange(count)):
        return None
    if other_group is None:
        return ks
    return ks, np.array([int(mt.group(other_group)) for mt in matches], dtype=np.int64)


def class_structure(path, num_outputs, output_names, info, num_classes):
    """Decide ``(output order, num_classes, bias, tau, thresholds, meta)`` for a read netlist.

    Precedence for the class count: the caller's ``num_classes``, then the
    metadata comment, then output names ``c<class>_<k>``, then 1.
    """
    parsed = _name_permutation(output_names, _OUTPUT_NAME, num_outputs, 2, 1)
    order = from_names = None
    if parsed is not None:
        order = parsed[0]
        cls = np.empty(num_outputs, dtype=np.int64)
        cls[order] = parsed[1]
        k = int(cls.max()) + 1
        if num_outputs % k == 0 and np.array_equal(cls, np.arange(num_outputs) // (num_outputs // k)):
            from_names = k
    info = info or {}
    bias = None
    if num_classes is not None:
        k = int(num_classes)
        if info.get("num_classes") == k:
            bias = info.get("bias")
    elif "num_classes" in info:
        k, bias = info["num_classes"], info.get("bias")
    elif from_names is not None:
        k = from_names
    else:
        k = 1
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise FormatError(path, f"num_classes is {describe(k)}, must be a positive integer")
    if num_outputs % k or k > max(num_outputs, 1):
        raise FormatError(path, f"{num_outputs} outputs cannot be split into {describe(k)} equal class groups")
    try:
        bias = np.zeros(k, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
        tau = float(info.get("tau", 1.0))
        thr = info.get("thresholds")
        if thr is not None:
            thr = np.asarray(thr["values"], dtype=np.float64).reshape(thr["shape"])
        meta = {str(a): str(b) for a, b in dict(info.get("meta", {})).items()}
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise FormatError(path, f"malformed lgnhw metadata comment ({one_line(err)})") from None
    if bias.shape != (k,):
        raise FormatError(path, f"metadata bias has {bias.size} values for {k} classes")
    return order, k, bias, tau, thr, meta


def assemble(path, n_nets, net_name, input_nets, gate_op, gate_a, gate_b, gate_out, output_nets,
             *, const0=(), const1=(), output_names=None, input_names=None, info=None,
             num_classes=None, optimize=False) -> Netlist:
    """Build a checked Netlist from two-input gates on integer net ids in any order.

    ``net_name(id)`` names a net in error messages. Gates are put in
    topological order; undriven, doubly driven and cyclic nets are refused.
    """
    i_count = len(input_nets)
    input_nets = np.asarray(input_nets, dtype=np.int64)
    gate_op = np.asarray(gate_op, dtype=np.int64)
    gate_a, gate_b, gate_out = (np.asarray(x, dtype=np.int64) for x in (gate_a, gate_b, gate_out))
    output_nets = np.asarray(output_nets, dtype=np.int64)
    g = gate_out.size

    in_order = _name_permutation(input_names, _INPUT_NAME, i_count, 1)
    sig = np.full(n_nets, -1, dtype=np.int64)
    sig[np.asarray(const0, dtype=np.int64)] = 0
    sig[np.asarray(const1, dtype=np.int64)] = 1
    drivers = np.concatenate([np.asarray(const0, dtype=np.int64), np.asarray(const1, dtype=np.int64),
                              input_nets, gate_out])
    uniq, counts = np.unique(drivers, return_counts=True)
    if (counts > 1).any():
        raise FormatError(path, f"{net_name(int(uniq[np.argmax(counts > 1)]))} is defined more than once")
    sig[input_nets] = FIRST_INPUT + (np.arange(i_count) if in_order is None else in_order)
    defined = sig >= 0
    defined[gate_out] = True
    for refs in (gate_a, gate_b, output_nets):
        bad = np.flatnonzero(~defined[refs])
        if bad.size:
            raise FormatError(path, f"{net_name(int(refs[bad[0]]))} is used but never defined")

    own = np.empty(n_nets, dtype=np.int64)
    own[gate_out] = np.arange(g)
    is_gate = np.zeros(n_nets, dtype=bool)
    is_gate[gate_out] = True
    in_order_already = g == 0 or not (
        (is_gate[gate_a] & (own[gate_a] >= np.arange(g))).any()
        or (is_gate[gate_b] & (own[gate_b] >= np.arange(g))).any())
    if in_order_already:
        order = np.arange(g)
    else:
        order, cycle = topological_order(np.where(is_gate[gate_a], own[gate_a], -1),
                                         np.where(is_gate[gate_b], own[gate_b], -1))
        if cycle is not None:
            raise FormatError(path, f"the gates form a combinational cycle (through "
                                    f"{net_name(int(gate_out[cycle]))})")
    first = FIRST_INPUT + i_count
    sig[gate_out[order]] = first + np.arange(g)
    info_cls = class_structure(path, output_nets.size, output_names, info, num_classes)
    out_order, k, bias, tau, thr, meta = info_cls
    outputs = sig[output_nets]
    if out_order is not None:
        reordered = np.empty_like(outputs)
        reordered[out_order] = outputs
        outputs = reordered
    if thr is not None and thr.size != i_count:
        thr = None
    try:
        net = Netlist(num_inputs=i_count, op=gate_op[order], a=sig[gate_a[order]],
                      b=sig[gate_b[order]], outputs=outputs, num_classes=k, bias=bias, tau=tau,
                      thresholds=thr, meta=meta).check()
    except LgnhwError as err:
        raise FormatError(path, str(err)) from None
    if optimize:
        from ..passes import optimize as run_passes
        net, _ = run_passes(net)
    return net


# -- netlist -> AIG ---------------------------------------------------------------

# Per op: number of AND gates; for AND-like ops (negate a, negate b, negate out).
_N_ANDS = np.array([0, 1, 1, 0, 1, 0, 3, 1, 1, 3, 0, 1, 0, 1, 1, 0], dtype=np.int64)
_NEG = np.zeros((16, 3), dtype=np.int64)
for _op, _n in {1: (0, 0, 0), 2: (0, 1, 0), 4: (1, 0, 0), 8: (1, 1, 0),
                14: (0, 0, 1), 13: (0, 1, 1), 11: (1, 0, 1), 7: (1, 1, 1)}.items():
    _NEG[_op] = _n


def netlist_to_aig(net: Netlist) -> tuple[np.ndarray, np.ndarray]:
    """``(ands (A, 3) int64 [lhs, rhs0, rhs1] with rhs0 >= rhs1, output literals (O,))``.

    Inputs are variables 1..I; ANDs follow in gate order, so the result is in
    the binary-AIGER normal form (lhs increasing, lhs > rhs0 >= rhs1).
    """
    n_in, first, g = net.num_inputs, net.first_gate, net.num_gates
    op = net.op.astype(np.int64)
    a = net.a.astype(np.int64)
    b = net.b.astype(np.int64)
    n_and = _N_ANDS[op]
    row0 = np.cumsum(n_and) - n_and                     # first AND row of each gate
    var0 = n_in + 1 + row0                              # its variable
    # Literal of every signal: a gate that is a wire/constant points at its source.
    lit = np.zeros(net.num_signals, dtype=np.int64)
    lit[1] = 1
    lit[FIRST_INPUT:first] = 2 * np.arange(1, n_in + 1)
    andlike = n_and == 1
    xorlike = n_and == 3
    lit[first:][andlike] = 2 * var0[andlike] ^ _NEG[op[andlike], 2]
    lit[first:][xorlike] = 2 * (var0[xorlike] + 2) ^ (op[xorlike] == ops.XOR)
    ptr = np.arange(net.num_signals, dtype=np.int64)
    flip = np.zeros(net.num_signals, dtype=np.int64)
    wire = n_and == 0
    gsig = first + np.arange(g)
    ptr[gsig[wire]] = np.select([op[wire] == 0, op[wire] == 15, (op[wire] == 3) | (op[wire] == 12)],
                                [0, 0, a[wire]], b[wire])
    flip[gsig[wire]] = np.isin(op[wire], (15, 12, 10))
    while True:  # pointer jumping through chains of wires
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        flip ^= flip[ptr]
        ptr = nxt
    lit = lit[ptr] ^ flip
    la, lb = lit[a], lit[b]
    ands = np.empty((int(n_and.sum()), 3), dtype=np.int64)
    r = row0[andlike]
    ands[r, 0] = 2 * var0[andlike]
    ands[r, 1] = la[andlike] ^ _NEG[op[andlike], 0]
    ands[r, 2] = lb[andlike] ^ _NEG[op[andlike], 1]
    r, v, xa, xb = row0[xorlike], var0[xorlike], la[xorlike], lb[xorlike]
    ands[r, 0], ands[r, 1], ands[r, 2] = 2 * v, xa, xb ^ 1                  # a & ~b
    ands[r + 1, 0], ands[r + 1, 1], ands[r + 1, 2] = 2 * v + 2, xa ^ 1, xb  # ~a & b
    ands[r + 2, 0], ands[r + 2, 1], ands[r + 2, 2] = 2 * v + 4, 2 * v + 1, 2 * v + 3
    hi = np.maximum(ands[:, 1], ands[:, 2])
    ands[:, 2] = np.minimum(ands[:, 1], ands[:, 2])
    ands[:, 1] = hi
    return ands, lit[net.outputs.astype(np.int64)]


def _encode_deltas(ands: np.ndarray) -> bytes:
    """Binary AIGER AND section: per AND, varints of lhs-rhs0 and rhs0-rhs1."""
    d = np.empty(2 * ands.shape[0], dtype=np.uint64)
    d[0::2] = ands[:, 0] - ands[:, 1]
    d[1::2] = ands[:, 1] - ands[:, 2]
    nbytes = np.ones(d.size, dtype=np.int64)
    for j in range(1, 10):
        nbytes += d >= np.uint64(1 << (7 * j))
    offs = np.cumsum(nbytes) - nbytes
    out = np.empty(int(nbytes.sum()), dtype=np.uint8)
    for j in range(int(nbytes.max()) if d.size else 0):
        m = nbytes > j
        byte = (d[m] >> np.uint64(7 * j)) & np.uint64(0x7F)
        byte |= np.where(nbytes[m] > j + 1, np.uint64(0x80), np.uint64(0))
        out[offs[m] + j] = byte.astype(np.uint8)
    return out.tobytes()


def _int_lines(arr: np.ndarray, per_line: int) -> str:
    flat = arr.reshape(-1).tolist()
    fmt = " ".join(["%d"] * per_line) + "\n"
    chunk = 1 << 16
    parts = []
    for s in range(0, len(flat) // per_line, chunk):
        rows = flat[s * per_line:(s + chunk) * per_line]
        parts.append((fmt * (len(rows) // per_line)) % tuple(rows))
    return "".join(parts)


def write_aiger(net: Netlist, path, *, binary: bool | None = None) -> None:
    """Write ``net`` as AIGER; binary ``aig`` when ``binary`` (default: path ends in ``.aig``)."""
    net.check()
    if binary is None:
        binary = os.fspath(path).endswith(".aig")
    ands, out_lits = netlist_to_aig(net)
    n_in, n_and = net.num_inputs, ands.shape[0]
    header = f"{'aig' if binary else 'aag'} {n_in + n_and} {n_in} 0 {net.num_outputs} {n_and}\n"
    symbols = "".join(f"i{k} {input_name(k)}\n" for k in range(n_in))
    symbols += "".join(f"o{k} {output_name(net, k)}\n" for k in range(net.num_outputs))
    comment = "c\n" + metadata_line(net) + "\n"
    with atomic_open(path, "wb") as f:
        f.write(header.encode())
        if binary:
            f.write(_int_lines(out_lits, 1).encode())
            f.write(_encode_deltas(ands))
        else:
            f.write(_int_lines(2 * np.arange(1, n_in + 1), 1).encode())
            f.write(_int_lines(out_lits, 1).encode())
            f.write(_int_lines(ands, 3).encode())
        f.write(symbols.encode())
        f.write(comment.encode())


# -- AIG -> netlist ---------------------------------------------------------------

def is_aiger(head: bytes) -> bool:
    return head.startswith((b"aag ", b"aig "))


def _decode_deltas(path, data: bytes, start: int, n_and: int) -> tuple[np.ndarray, int]:
    """Decode ``2 * n_and`` varints from ``data[start:]``; returns (values, end offset)."""
    if n_and == 0:
        return np.zeros(0, dtype=np.int64), start
    need = 2 * n_and
    buf = np.frombuffer(data, dtype=np.uint8, offset=min(start, len(data)))[:5 * need]  # 5 bytes: 32 bits
    ends = np.flatnonzero(buf < 0x80)
    if ends.size < need:
        raise FormatError(path, f"binary AND section is truncated or holds a delta wider than 32 bits "
                                f"({ends.size // 2} of {n_and} AND gates)")
    ends = ends[:need]
    starts = np.empty(need, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts + 1
    if length.max() > 5:
        raise FormatError(path, "binary AND section holds a delta wider than 32 bits")
    vals = np.zeros(need, dtype=np.int64)
    for k in range(int(length.max())):       # byte k of every varint that long
        at = np.flatnonzero(length > k)
        vals[at] |= (buf[starts[at] + k].astype(np.int64) & 0x7F) << (7 * k)
    return vals, start + int(ends[-1]) + 1


def _read_int_lines(path, lines, what) -> np.ndarray:
    try:
        return np.array([int(t) for line in lines for t in line.split()], dtype=np.int64)
    except (ValueError, OverflowError):
        raise FormatError(path, f"malformed {what} line (expected unsigned integers below 2**63)") from None


_NUMBER = re.compile(r"\d{1,18}\Z")
_SYMBOL = re.compile(r"([ilobcjf])(\d{1,18}) (.*)\Z")
_IMPLICIT_INPUTS = 1 << 20     # binary inputs the file need not back with bytes (+ 16 per byte)
_MAX_HEADER = 256              # bytes of the header line: "aig" and at most 9 numbers


def _header(path, data: bytes) -> tuple[bool, list[int], int]:
    """``(binary, [M, I, L, O, A, ...], offset of the body)`` of an AIGER file."""
    nl = data.find(b"\n", 0, _MAX_HEADER)
    head = data[:nl if nl >= 0 else _MAX_HEADER].decode("ascii", "replace").split()
    if not head or head[0] not in ("aag", "aig"):
        raise FormatError(path, "not an AIGER file (header must start with 'aag' or 'aig')")
    shown = clip(" ".join(head[:12]))
    if nl < 0 and len(data) > _MAX_HEADER or len(head) > 10:
        raise FormatError(path, f"malformed AIGER header {shown!r} (expected at most 9 numbers)")
    if not all(_NUMBER.match(t) for t in head[1:]):
        raise FormatError(path, f"malformed AIGER header {shown!r} (expected numbers below 10**18)")
    nums = [int(t) for t in head[1:]]
    if len(nums) < 5:
        raise FormatError(path, f"malformed AIGER header {shown!r} (need M I L O A)")
    return head[0] == "aig", nums, (nl + 1 if nl >= 0 else len(data))


def _check_sizes(path, binary, n_in, n_out, n_and, body: int, size: int) -> None:
    """Refuse declared counts above the model-size limit or beyond what the file holds."""
    for what, count in (("inputs", n_in), ("outputs", n_out), ("AND gates", n_and)):
        check_model_size(path, what, count)
    lines = n_out + (0 if binary else n_in + n_and)         # each line takes >= 2 bytes
    least = 2 * lines - 1 + (2 * n_and if binary else 0)    # a binary AND takes >= 2 bytes
    if least > body:
        raise FormatError(path, f"header declares {n_in} inputs, {n_out} outputs and {n_and} AND "
                                f"gates, which take at least {least:,} bytes; the file holds "
                                f"{body:,} after the header (truncated or corrupt)")
    if binary and n_in > _IMPLICIT_INPUTS + 16 * size:
        raise FormatError(path, f"header declares {n_in:,} inputs, more than the "
                                f"{_IMPLICIT_INPUTS + 16 * size:,} a binary file of {size:,} bytes may imply")


def read_aiger(path, *, num_classes: int | None = None, optimize: bool = False) -> Netlist:
    """Read an AIGER file (``aag`` or ``aig``) into a checked Netlist, as it is (see ``optimize``)."""
    size = regular_file_size(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    binary, nums, pos = _header(path, data)
    m, n_in, n_latch, n_out, n_and = nums[:5]
    if n_latch:
        raise FormatError(path, f"has {n_latch} latches; only combinational AIGER is supported")
    extra = nums[5:]
    if any(extra):
        names = ("bad-state", "constraint", "justice", "fairness")
        which = ", ".join(n for n, v in zip(names, extra) if v)
        raise FormatError(path, f"has {which} properties; only combinational AIGER is supported")
    if m < n_in + n_and:
        raise FormatError(path, f"header says M={m} < I+L+A={n_in + n_and}")
    _check_sizes(path, binary, n_in, n_out, n_and, len(data) - pos, size)

    def take_lines(count, what):
        nonlocal pos
        out = []
        for _ in range(count):
            end = data.find(b"\n", pos)
            if end < 0:
                if pos < len(data):
                    end = len(data)
                else:
                    raise FormatError(path, f"file ends inside the {what} section")
            out.append(data[pos:end].decode("ascii", "replace"))
            pos = end + 1
        return out

    if binary:
        in_lits = 2 * np.arange(1, n_in + 1, dtype=np.int64)
        out_lits = _read_int_lines(path, take_lines(n_out, "output"), "output")
        deltas, pos = _decode_deltas(path, data, pos, n_and)
        lhs = 2 * (n_in + 1 + np.arange(n_and, dtype=np.int64))
        r0 = lhs - deltas[0::2]
        r1 = r0 - deltas[1::2]
        if (r1 < 0).any():
            raise FormatError(path, "binary AND section has a delta larger than its literal")
    else:
        in_lits = _read_int_lines(path, take_lines(n_in, "input"), "input")
        out_lits = _read_int_lines(path, take_lines(n_out, "output"), "output")
        rows = _read_int_lines(path, take_lines(n_and, "AND"), "AND")
        if in_lits.size != n_in or out_lits.size != n_out or rows.size != 3 * n_and:
            raise FormatError(path, "malformed AIGER body (wrong number of literals on a line)")
        rows = rows.reshape(n_and, 3)
        lhs, r0, r1 = rows[:, 0], rows[:, 1], rows[:, 2]
    if out_lits.size != n_out:
        raise FormatError(path, "malformed output section (one literal per line expected)")
    for what, arr in (("input", in_lits), ("output", out_lits), ("AND", lhs), ("AND", r0), ("AND", r1)):
        bad = np.flatnonzero((arr < 0) | (arr > 2 * m + 1))
        if bad.size:
            raise FormatError(path, f"{what} literal {arr[bad[0]]} exceeds 2*M+1 = {2 * m + 1}")
    for what, arr in (("input", in_lits), ("AND", lhs)):
        bad = np.flatnonzero((arr & 1) | (arr < 2))
        if bad.size:
            raise FormatError(path, f"{what} literal {arr[bad[0]]} must be even and not a constant")

    # Symbols and comments.
    in_names, out_names, comments = [None] * n_in, [None] * n_out, []
    rest = data[pos:].decode("utf-8", "replace").split("\n")
    for i, line in enumerate(rest):
        if line == "c" or line.startswith("c "):
            comments = rest[i + 1:]
            break
        if not line:
            continue
        mm = _SYMBOL.match(line)
        if not mm:
            raise FormatError(path, f"malformed symbol table line {clip(line, 40)!r}")
        kind, idx, name = mm.group(1), int(mm.group(2)), mm.group(3)
        table = {"i": in_names, "o": out_names}.get(kind)
        if table is not None and idx < len(table):
            table[idx] = name
    info = parse_metadata(path, comments)

    # Variables may be numbered sparsely up to M (ASCII): then the ones in use are
    # renumbered densely, so that memory follows the file's size, not M.
    var = None
    if m + 1 > 2 * (n_in + n_out + n_and) + 1024:
        var = np.unique(np.concatenate([[0], in_lits >> 1, out_lits >> 1, lhs >> 1, r0 >> 1, r1 >> 1]))

        def dense(lits):
            return (np.searchsorted(var, lits >> 1) << 1) | (lits & 1)
        in_lits, out_lits, lhs, r0, r1 = map(dense, (in_lits, out_lits, lhs, r0, r1))
    top = m if var is None else var.size - 1            # the largest variable, as numbered now

    # Output inversions become NOT gates on fresh nets after the variables.
    out_var, out_neg = out_lits >> 1, (out_lits & 1).astype(bool) & (out_lits > 1)
    neg_vars = np.unique(out_var[out_neg])
    not_net = top + 1 + np.arange(neg_vars.size)
    out_nets = out_var.copy()
    out_nets[out_neg] = not_net[np.searchsorted(neg_vars, out_var[out_neg])]
    out_nets[out_lits == 1] = top + 1 + neg_vars.size   # constant 1 net
    gate_op = np.full(n_and, ops.AND, dtype=np.int64)
    gate_op = np.where(r0 & 1, ops.negate_a(gate_op), gate_op)
    gate_op = np.where(r1 & 1, ops.negate_b(gate_op), gate_op)
    gate_op = np.concatenate([gate_op, np.full(neg_vars.size, ops.NOT_A)])
    gate_a = np.concatenate([r0 >> 1, neg_vars])
    gate_b = np.concatenate([r1 >> 1, neg_vars])
    gate_out = np.concatenate([lhs >> 1, not_net])

    def net_name(v):
        if v > top:
            v = int(neg_vars[v - top - 1]) if v - top - 1 < neg_vars.size else v
            return f"inverted output of variable {v if var is None else int(var[v])}"
        return f"literal {2 * (v if var is None else int(var[v]))}"

    return assemble(path, top + 2 + neg_vars.size, net_name, in_lits >> 1, gate_op, gate_a, gate_b,
                    gate_out, out_nets, const0=[0], const1=[top + 1 + neg_vars.size],
                    output_names=out_names, input_names=in_names, info=info,
                    num_classes=num_classes, optimize=optimize)
