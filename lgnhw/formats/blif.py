"""BLIF (Berkeley Logic Interchange Format), combinational single-model subset.

Writing: one ``.model``, ``.inputs x0 x1 ...``, ``.outputs c<class>_<k> ...``
and one single-output ``.names`` cover per gate (``11 1`` for AND, ``1- 1`` /
``-1 1`` for OR, ...); output ``k`` is a buffer from its signal. The first
line is the comment ``# lgnhw {json}`` holding the class count, bias, tau,
thresholds and metadata (see :mod:`lgnhw.formats.aiger`), so our reader
restores the classification head; a foreign file without it gets
``num_classes`` from output names ``c<class>_<k>``, the caller, or 1.

Reading accepts what yosys and ABC write: ``.names`` covers with any number
of inputs, don't-cares ``-``, on-set (output 1) or off-set (output 0) rows,
``.conn`` aliases, ``$false``/``$true``/``$undef`` constants, and ignores
``.attr``/``.cname``/``.param``. Covers of up to two inputs become one gate
(their truth table is the op id); wider covers are decomposed as a sum of
products (an AND chain per row, an OR chain over rows). Latches, ``.subckt``
and ``.gate`` are refused: flatten and map to logic first (``yosys -p
"flatten; techmap; abc -g AND"``). Only the first model is read.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .. import ops
from ..errors import FormatError
from ..fileio import atomic_open
from ..netlist import Netlist
from .aiger import assemble, input_name, metadata_line, output_name, parse_metadata
from .limits import clip, regular_file_size

__all__ = ["write_blif", "read_blif", "is_blif", "COVERS"]

#: Per op id: (number of inputs used, cover rows). Ops 3/12 read input a, 5/10 input b.
COVERS = {
    0: (0, ()), 15: (0, ("1",)),
    3: (1, ("1 1",)), 12: (1, ("0 1",)), 5: (1, ("1 1",)), 10: (1, ("0 1",)),
    1: (2, ("11 1",)), 2: (2, ("10 1",)), 4: (2, ("01 1",)), 8: (2, ("00 1",)),
    6: (2, ("01 1", "10 1")), 9: (2, ("00 1", "11 1")),
    7: (2, ("1- 1", "-1 1")), 11: (2, ("1- 1", "-0 1")),
    13: (2, ("0- 1", "-1 1")), 14: (2, ("0- 1", "-0 1")),
}


def _wrap(keyword: str, names: list[str], per_line: int = 16) -> str:
    if not names:
        return keyword + "\n"
    chunks = [" ".join(names[i:i + per_line]) for i in range(0, len(names), per_line)]
    return keyword + " " + " \\\n ".join(chunks) + "\n"


def _model_name(net: Netlist) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", net.meta.get("name", "")) or "lgnhw"
    return name


def write_blif(net: Netlist, path) -> None:
    """Write ``net`` as a BLIF model, atomically and deterministically."""
    net.check()
    n_in, first = net.num_inputs, net.first_gate
    names = (["k0", "k1"] + [input_name(k) for k in range(n_in)]
             + [f"g{g}" for g in range(net.num_gates)])
    parts = ["# " + metadata_line(net) + "\n", f".model {_model_name(net)}\n",
             _wrap(".inputs", names[2:first]),
             _wrap(".outputs", [output_name(net, k) for k in range(net.num_outputs)])]
    used = np.zeros(2, dtype=bool)
    ins = np.concatenate([net.a, net.b, net.outputs])
    used[0], used[1] = (ins == 0).any(), (ins == 1).any()
    if used[0]:
        parts.append(".names k0\n")
    if used[1]:
        parts.append(".names k1\n1\n")
    templates = {}
    for op, (k, rows) in COVERS.items():
        ins_fmt = {0: "", 1: " {b}" if op in (5, 10) else " {a}", 2: " {a} {b}"}[k]
        templates[op] = ".names" + ins_fmt + " {g}\n" + "".join(r + "\n" for r in rows)
    gate_names = names[first:]
    for op, a, b, g in zip(net.op.tolist(), net.a.tolist(), net.b.tolist(), gate_names):
        parts.append(templates[op].format(a=names[a], b=names[b], g=g))
    for k, s in enumerate(net.outputs.tolist()):
        parts.append(f".names {names[s]} {output_name(net, k)}\n1 1\n")
    parts.append(".end\n")
    with atomic_open(path, "w") as f:
        f.write("".join(parts))


def is_blif(head: bytes) -> bool:
    """True when the first directive of ``head`` is ``.model`` (comments and blank lines skipped)."""
    for line in head.split(b"\n"):
        line = line.split(b"#", 1)[0].strip()
        if line:
            return line.startswith(b".model")
    return False


_IGNORED = {".attr", ".cname", ".param", ".area", ".delay", ".wire_load_slope", ".input_arrival",
            ".output_required", ".default_input_arrival", ".default_output_required"}
_REFUSED = {".latch": "latches (only combinational netlists are supported)",
            ".subckt": ".subckt instances (flatten and map to .names first, e.g. yosys 'flatten; techmap')",
            ".gate": ".gate library cells (map to .names first)",
            ".mlatch": "latches (only combinational netlists are supported)",
            ".search": ".search includes"}


@functools.lru_cache(maxsize=4096)
def _cover_table(n: int, rows: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    """Validate a cover; return (input parts of the rows, output value). ValueError if malformed."""
    parts, value = [], None
    for r in rows:
        tok = r.split()
        if n == 0:
            if len(tok) != 1:
                raise ValueError(f"constant cover row {clip(r, 40)!r} must be one bit")
            cube, out = "", tok[0]
        else:
            if len(tok) != 2 or len(tok[0]) != n:
                raise ValueError(f"cover row {clip(r, 40)!r} does not match {n} inputs")
            cube, out = tok
            if set(cube) - set("01-"):
                raise ValueError(f"cover row {clip(r, 40)!r} has characters other than 0, 1, -")
        if out not in ("0", "1"):
            raise ValueError(f"cover row {clip(r, 40)!r} has output {clip(out, 8)!r}, must be 0 or 1")
        if value is not None and int(out) != value:
            raise ValueError("cover mixes on-set and off-set rows")
        value = int(out)
        parts.append(cube)
    return tuple(parts), (1 if value is None else value)


@functools.lru_cache(maxsize=4096)
def _small_op(cubes: tuple[str, ...], value: int, n: int) -> int:
    """Op id of a cover on n <= 2 inputs (1-input covers read input a twice)."""
    op = 0
    for A in (0, 1):
        for B in (0, 1):
            bits = (A, B) if n == 2 else (A,) if n == 1 else ()
            hit = any(all(c == "-" or int(c) == v for c, v in zip(cube, bits)) for cube in cubes)
            out = hit if value == 1 else not hit
            op |= int(out) << (3 - (2 * A + B))
    return op


def read_blif(path, *, num_classes: int | None = None, optimize: bool = False) -> Netlist:
    """Read the first model of a BLIF file into a checked Netlist, as it is (``optimize=True``
    runs :func:`lgnhw.passes.optimize` on it)."""
    regular_file_size(path)
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None

    ids: dict[str, int] = {}
    names: list[str] = []

    def net(name):
        i = ids.get(name)
        if i is None:
            i = ids[name] = len(names)
            names.append(name)
        return i

    def fresh():
        names.append(f"<internal {len(names)}>")
        return len(names) - 1

    inputs, outputs, comments = [], [], []
    g_op, g_a, g_b, g_out = [], [], [], []
    const0, const1 = [], []
    model_seen = ended = False
    cover = None  # (lineno, input nets, output net, rows)

    def gate(op, a, b, out):
        g_op.append(op)
        g_a.append(a)
        g_b.append(b)
        g_out.append(out)

    def and_chain(lits):
        """Net computing the AND of (net, positive) literals."""
        cur, pol = lits[0]
        if len(lits) == 1:
            if pol:
                return cur
            out = fresh()
            gate(ops.NOT_A, cur, cur, out)
            return out
        for nxt, npol in lits[1:]:
            op = ops.AND
            if not pol:
                op = ops.negate_a(op)
            if not npol:
                op = ops.negate_b(op)
            out = fresh()
            gate(op, cur, nxt, out)
            cur, pol = out, True
        return cur

    def finish_cover():
        nonlocal cover
        if cover is None:
            return
        lineno, in_nets, out, rows = cover
        cover = None
        n = len(in_nets)
        try:
            cubes, value = _cover_table(n, tuple(rows))
        except ValueError as err:
            raise FormatError(path, f"line {lineno}: {err}") from None
        if n == 0:
            (const1 if (cubes and value == 1) else const0).append(out)
            return
        if n <= 2:
            op = _small_op(cubes, value, n)
            a = in_nets[0]
            b = in_nets[1] if n == 2 else a
            gate(op, a, b, out)
            return
        if not cubes:  # no rows: constant 0
            const0.append(out)
            return
        # Sum of products: one AND chain per cube, an OR chain over cubes.
        terms = []
        for cube in cubes:
            lits = [(in_nets[i], c == "1") for i, c in enumerate(cube) if c != "-"]
            terms.append(None if not lits else and_chain(lits))
        if any(t is None for t in terms):  # a cube of only don't-cares: constant
            (const1 if value == 1 else const0).append(out)
            return
        cur = terms[0]
        for t in terms[1:]:
            nxt = fresh()
            gate(ops.OR, cur, t, nxt)
            cur = nxt
        gate(ops.A if value == 1 else ops.NOT_A, cur, cur, out)

    lines = text.replace("\r", "").split("\n")
    logical, i = [], 0
    while i < len(lines):  # join "\" continuations (in linear time), keep the first line number
        start, parts = i + 1, [lines[i]]
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            parts[-1] = parts[-1].rstrip()[:-1]
            parts.append(lines[i])
        logical.append((start, " ".join(parts)))
        i += 1

    for lineno, raw in logical:
        if "#" in raw:
            raw, comment = raw.split("#", 1)
            comments.append(comment)
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("."):
            if cover is None:
                raise FormatError(path, f"line {lineno}: {clip(line, 40)!r} is outside any .names cover")
            cover[3].append(line)
            continue
        finish_cover()
        tok = line.split()
        kw = tok[0]
        if kw == ".model":
            if model_seen:
                break  # only the first model
            model_seen = True
            continue
        if not model_seen:
            raise FormatError(path, f"line {lineno}: {clip(kw, 40)} before .model")
        if kw == ".end":
            ended = True
            break
        if kw == ".inputs":
            inputs += tok[1:]
        elif kw == ".outputs":
            outputs += tok[1:]
        elif kw == ".names":
            if len(tok) < 2:
                raise FormatError(path, f"line {lineno}: .names needs an output net")
            cover = (lineno, [net(t) for t in tok[1:-1]], net(tok[-1]), [])
        elif kw == ".conn":
            if len(tok) != 3:
                raise FormatError(path, f"line {lineno}: .conn needs two nets")
            gate(ops.A, net(tok[1]), net(tok[1]), net(tok[2]))
        elif kw in _REFUSED:
            raise FormatError(path, f"line {lineno}: {_REFUSED[kw]} are not supported")
        elif kw == ".exdc":
            break
        elif kw not in _IGNORED:
            raise FormatError(path, f"line {lineno}: unsupported directive {clip(kw, 40)}")
    finish_cover()
    if not model_seen:
        raise FormatError(path, "not a BLIF file (no .model line)")
    del ended  # a missing .end at end of file is tolerated
    if not outputs:
        raise FormatError(path, "the model declares no .outputs")
    seen = set()
    for name in inputs:
        if name in seen:
            raise FormatError(path, f"input {clip(name)} is declared twice")
        seen.add(name)

    in_nets = [net(n) for n in inputs]
    out_nets = [net(n) for n in outputs]
    info = parse_metadata(path, [c.strip() for c in comments])
    return assemble(path, len(names), lambda i: f"net {clip(names[i])}", in_nets, g_op, g_a, g_b, g_out,
                    out_nets, const0=const0, const1=const1, output_names=outputs,
                    input_names=inputs, info=info, num_classes=num_classes, optimize=optimize)
