"""Direct structural Verilog writer for netlists too big for Amaranth's Python AST.

Renders the same :class:`lgnhw.gateware.plan.Plan` as the Amaranth
:class:`~lgnhw.gateware.LgnCore`, so the module has the same ports
(``clk``, ``rst``, ``i__payload``, ``i__valid``, ``i__ready``, ``o__payload``,
``o__valid``, ``o__ready``; no ready ports when ``always_ready``), the same
latency and the same register placement. The AXI-Stream wrapper module
``<name>_axis`` (:mod:`lgnhw.axistream`) follows the core.

Naming inside the module (for reading waveforms):

* ``s<n>``: netlist signal ``n`` (inputs and gates), ``s<n>_d<k>`` its copy
  delayed by ``k`` register ranks;
* ``p<c>_<n>``: node ``n`` of class ``c``'s popcount tree (bits: the gate
  outputs as read by the tree; adders ``a + b (+ c)``), ``sc<c>`` the class
  score, ``t<n>``/``m<n>``/``x<n>``: compare result (compare stage), max
  count and index (select stage) of argmax node ``n``; ``_d<k>`` suffixes
  are delayed copies;
* ``en`` advances the whole pipeline, ``vld`` holds the valid bit per rank;
* the delay registers themselves are packed into vectors of at most 1024
  bits (``sr<k>_<g>`` gate copies delayed by ``k``, ``pr<c>_<k>_<g>``
  popcount, ``ar<k>_<g>`` argmax), each updated by one clocked assignment,
  which keeps yosys' ``proc`` linear; every copy is also a named wire.

The text is built a block of gates at a time with list comprehensions over
numpy-derived integer lists and streamed to disk through
:func:`lgnhw.fileio.atomic_open`; the output is byte-identical for equal
inputs.
"""

from __future__ import annotations

import numpy as np

from .axistream import AxisLayout, axis_wrapper
from .errors import LgnhwError
from .fileio import atomic_open
from .gateware.plan import Plan, unread_signals
from .netlist import FIRST_INPUT, Netlist

__all__ = ["write_verilog", "GATE_TEMPLATES"]

#: Verilog expression of each op (difflogic numbering) on operands ``{a}``, ``{b}``.
GATE_TEMPLATES = (
    "1'b0", "{a} & {b}", "{a} & ~{b}", "{a}",
    "~{a} & {b}", "{b}", "{a} ^ {b}", "{a} | {b}",
    "~({a} | {b})", "~({a} ^ {b})", "~{b}", "{a} | ~{b}",
    "~{a}", "~{a} | {b}", "~({a} & {b})", "1'b1",
)


def _printf_templates() -> tuple:
    """Each gate line as a printf template of five arguments ``(v, a,
    suffix_a, b, suffix_b)``, indexed by ``op * 4 + 2 * const_a + const_b``:
    an operand is ``s<a><suffix>`` (``s12``, ``s12_d1``), or the literal
    ``1'b<a>`` when it is a constant (its suffix swallowed by ``%.0s``);
    ``%.0s`` also swallows the operands an op does not read. So a whole
    block of gates is formatted by a single ``%`` operation."""
    lines = []
    for t in GATE_TEMPLATES:
        if "{a}" in t and "{b}" in t and t.index("{a}") > t.index("{b}"):
            raise AssertionError("gate templates must name a before b")
        for const_a in (False, True):
            for const_b in (False, True):
                ref_a = "1'b%d%.0s" if const_a else "s%d%s"
                ref_b = "1'b%d%.0s" if const_b else "s%d%s"
                body = t.replace("%", "%%").replace("{a}", ref_a).replace("{b}", ref_b)
                lines.append("    wire s%d = " + ("" if "{a}" in t else "%.0s%.0s") + body
                             + ("" if "{b}" in t else "%.0s%.0s") + ";\n")
    return tuple(lines)


_GATE_PRINTF = _printf_templates()

_BLOCK = 1 << 16  # gates per text block
_CHUNK = 32       # registers per line of a bank update
_BANK_BITS = 1024  # bits per register vector


def _pick(strings: list, index: np.ndarray) -> list:
    """``[strings[i] for i in index]``, without a Python-level loop."""
    if not index.size:
        return []
    if index.min() == index.max():
        return [strings[int(index[0])]] * index.size
    return np.array(strings, dtype=object).take(index).tolist()


def _patched(default: str, n: int, where: np.ndarray, values) -> list:
    """``n`` copies of ``default``, with ``values`` (in order) at the indices ``where``."""
    out = [default] * n
    for i, v in zip(where.tolist(), values):
        out[i] = v
    return out


def _delay_suffixes(delay: np.ndarray) -> list:
    """``""`` for no delay, ``_d<k>`` for ``k`` ranks."""
    return _pick([""] + [f"_d{k}" for k in range(1, int(delay.max(initial=0)) + 1)], delay)


def _ref_parts(src: np.ndarray, delay: np.ndarray) -> tuple[list, list, list]:
    """Names of signals ``src`` delayed by ``delay`` ranks as ``(prefixes, numbers,
    suffixes)`` for a ``%s%d%s`` template: ``s12``, ``s12_d2``; constants are
    literals ``1'b0``/``1'b1`` whatever the delay."""
    const = src < FIRST_INPUT
    delay = np.where(const, 0, delay)
    where = np.flatnonzero(const)
    return _patched("s", src.size, where, ["1'b"] * where.size), src.tolist(), _delay_suffixes(delay)


def _zext(ref: str, have: int, want: int) -> str:
    return ref if have == want else f"{{{want - have}'d0, {ref}}}"


def _header(plan: Plan, name: str, always_ready: bool) -> str:
    net = plan.net
    lines = [
        f"// {name}: logic gate network classifier, generated by lgnhw (direct Verilog writer).",
        f"// {net.num_gates} gates, depth {plan.depth}, {net.num_inputs} inputs, "
        f"{net.num_classes} classes x {net.group_size} outputs.",
        f"// pipeline_every {plan.pipeline_every}: latency {plan.latency} cycles "
        f"({plan.depth} LUT{plan.lut_size} levels, popcount to stage {plan.head_start}, "
        f"{plan.compare_levels} compare levels).",
        f"// o__payload = {{counts[{net.num_classes - 1}..0] ({plan.count_width} bits each), "
        f"cls ({plan.class_width} bits)}}.",
        "`default_nettype none",
        f"module {name} (",
        "    input  wire clk,",
        "    input  wire rst,",
        f"    input  wire [{net.num_inputs - 1}:0] i__payload,",
        "    input  wire i__valid,",
    ]
    if not always_ready:
        lines.append("    output wire i__ready,")
    lines += [
        f"    output wire [{plan.payload_width - 1}:0] o__payload,",
        "    output wire o__valid" + ("" if always_ready else ","),
    ]
    if not always_ready:
        lines.append("    input  wire o__ready")
    lines.append(");")
    r = plan.latency
    if r == 0:
        lines.append("    wire _unused_clock = &{1'b0, clk, rst, 1'b0};  // combinational: no registers")
        lines.append("    assign o__valid = i__valid;")
        if not always_ready:
            lines.append("    assign i__ready = o__ready;")
    else:
        lines.append(f"    reg [{r - 1}:0] vld;")
        lines.append("    assign o__valid = vld[%d];" % (r - 1))
        if always_ready:
            lines.append("    wire en = 1'b1;")
        else:
            lines.append("    wire en = o__ready | ~o__valid;")
            lines.append("    assign i__ready = en;")
        shift = "i__valid" if r == 1 else f"{{vld[{r - 2}:0], i__valid}}"
        lines += [
            "    always @(posedge clk) begin",
            "        if (rst) vld <= %d'd0;" % r,
            f"        else if (en) vld <= {shift};",
            "    end",
        ]
    return "\n".join(lines) + "\n"


def _interleave(*cols: list) -> tuple:
    """``(c0[0], c1[0], ..., c0[1], c1[1], ...)``: the arguments of a repeated template."""
    out = [None] * (len(cols) * len(cols[0]))
    for k, col in enumerate(cols):
        out[k::len(cols)] = col
    return tuple(out)


def _bank(bank: str, ids: list, dst: str, src: str, widths=None) -> tuple[str, str]:
    """Registers holding delayed copies, packed into vectors.

    Copy ``j`` is named ``dst % ids[j]`` and loads ``src % ids[j]`` (each
    format takes one ``%`` argument). The copies are packed into vector
    registers ``<bank>_<g>`` of at most ``_BANK_BITS`` bits, each updated by
    one clocked assignment; every copy keeps its own name as a wire. Returns
    ``(head, tail)``: ``head`` declares the vectors and the named wires
    (write it before any reader), ``tail`` the clocked updates (write it
    after every source is declared). Narrow vectors with one assignment each
    keep yosys' ``proc`` and ``check`` linear on million-register designs.
    """
    if not ids:
        return "", ""
    n = len(ids)
    w = np.ones(n, dtype=np.int64) if widths is None else np.asarray(widths, dtype=np.int64)
    ends = np.cumsum(w)
    group = (ends - 1) // _BANK_BITS               # by last bit: a copy is never split
    cuts = [0, *(np.flatnonzero(group[1:] != group[:-1]) + 1).tolist(), n]
    row = ", ".join([src] * _CHUNK)
    head, tail = [], []
    for start, stop in zip(cuts[:-1], cuts[1:]):
        base = int(ends[start] - w[start])
        name = f"{bank}_{int(group[start])}"
        head.append(f"    reg [{int(ends[stop - 1]) - base - 1}:0] {name};\n")
        lo = ends[start:stop] - w[start:stop] - base
        m = stop - start
        part = ids[start:stop]
        if widths is None:
            head.append(("    wire " + dst + " = " + name + "[%d];\n") * m % _interleave(part, lo.tolist()))
        else:
            wd = w[start:stop]
            head.append(("    wire [%d:0] " + dst + " = " + name + "[%d:%d];\n") * m
                        % _interleave((wd - 1).tolist(), part, (lo + wd - 1).tolist(), lo.tolist()))
        rows = [row] * (m // _CHUNK) + ([", ".join([src] * (m % _CHUNK))] if m % _CHUNK else [])
        tail.append(f"    always @(posedge clk) if (en) {name} <= {{\n        "
                    + ",\n        ".join(rows) % tuple(part[::-1]) + "};\n")
    return "".join(head), "".join(tail)


def _unused_wires(plan: Plan) -> str:
    """``_unused_ok``: the AND of the inputs and gates nothing reads (Verilator's idiom:
    ``-Wall`` does not warn about a signal whose name contains ``unused``)."""
    idle = unread_signals(plan.net).tolist()
    if not idle:
        return ""
    rows = [", ".join(f"s{n}" for n in idle[i:i + _CHUNK]) for i in range(0, len(idle), _CHUNK)]
    return ("    wire _unused_ok = &{1'b0,\n        " + ",\n        ".join(rows) + ",\n        1'b0};\n")


def _gate_section(plan: Plan, out):
    net, sch = plan.net, plan.gates
    first = net.first_gate
    stage, last = sch.stage, sch.last
    out.write("    // -- gate network: %d gates, %d register ranks\n" % (net.num_gates, sch.latency))
    inputs = range(FIRST_INPUT, first)
    out.write("".join(f"    wire s{s} = i__payload[{s - FIRST_INPUT}];\n" for s in inputs))
    # delay registers, declared before any use
    delays = (last - stage).astype(np.int64)
    delays[:FIRST_INPUT] = 0
    sigs = np.flatnonzero(delays > 0)
    maxd = int(delays.max(initial=0))

    tails = []
    for k in range(1, maxd + 1):
        sel = sigs[delays[sigs] >= k].tolist()
        prev = "" if k == 1 else f"_d{k - 1}"
        head, tail = _bank(f"sr{k}", sel, f"s%d_d{k}", f"s%d{prev}")
        out.write(head)
        tails.append(tail)
        del head, tail
    for start in range(0, net.num_gates, _BLOCK):
        stop = min(start + _BLOCK, net.num_gates)
        t = stage[first + start:first + stop]
        a = net.a[start:stop].astype(np.int64)
        b = net.b[start:stop].astype(np.int64)
        ca, cb = a < FIRST_INPUT, b < FIRST_INPUT
        args = _interleave(list(range(first + start, first + stop)),
                           a.tolist(), _delay_suffixes(np.where(ca, 0, t - stage[a])),
                           b.tolist(), _delay_suffixes(np.where(cb, 0, t - stage[b])))
        line = (net.op[start:stop].astype(np.int64) << 2) | (ca << 1) | cb
        out.write("".join(_pick(_GATE_PRINTF, line)) % args)
    out.write("".join(tails))
    out.write(_unused_wires(plan))


def _adder_lines(pre: str, tree, adders: np.ndarray, width: np.ndarray) -> str:
    """``wire [w-1:0] p<c>_<n> = x + y (+ z);`` for every adder, by one ``%``
    operation: each operand is ``open prefix number suffix close``
    (``{2'd0, p0_12_d1}``, ``p0_7``, ``4'd3`` for the constant), and the
    two-operand template swallows the absent third operand with ``%.0s``."""
    w = width[adders]
    t = tree.stage[adders]
    const = tree.const_node
    cols = []
    for side in (tree.a[adders], tree.b[adders], tree.c[adders]):
        sd = np.where(side >= 0, side, 0)
        is_const = (side == const) & (const >= 0)
        plain = ~is_const & (side >= 0)
        pad = np.where(plain, w - width[sd], 0)
        opens = _pick([f"{{{p}'d0, " if p else "" for p in range(int(pad.max()) + 1)], pad)
        closes = _pick(["", "}"], (pad > 0).astype(np.int64))
        cw = np.flatnonzero(is_const)
        prefixes = _patched(pre, sd.size, cw, [f"{int(x)}'d" for x in w[cw]])
        numbers = np.where(is_const, tree.constant, sd).tolist()
        suffixes = _delay_suffixes(np.where(plain, t - tree.stage[sd], 0))
        cols += [opens, prefixes, numbers, suffixes, closes]
    # an adder read in its own stage (pipelined, K >= 2) keeps its own carry chain (see popcount.py)
    keep = (tree.read[adders] == t) & (adders != tree.root) & (tree.end > 0)
    line = "    %swire [%d:0] " + pre + "%d = %s%s%d%s%s + %s%s%d%s%s"
    templates = (line + "%.0s%.0s%.0s%.0s%.0s;\n", line + " + %s%s%d%s%s;\n")
    kinds = (tree.c[adders] >= 0).astype(np.int64)
    return ("".join(_pick(templates, kinds))
            % _interleave(_pick(["", "(* keep *) "], keep.astype(np.int64)), (w - 1).tolist(),
                          adders.tolist(), *cols))


def _popcount_section(plan: Plan, c: int, out):
    tree = plan.trees[c]
    nw = plan.count_width
    if tree.root < 0:
        out.write(f"    wire [{nw - 1}:0] sc{c} = {nw}'d0;\n")
        return
    const, nb = tree.const_node, tree.num_bits
    stage = tree.stage
    delays = tree.delays()
    width = tree.widths()
    pre = f"p{c}_"
    out.write("    // -- popcount of class %d: %d bits + %d\n" % (c, nb, tree.constant))
    # delay registers first (declared before use)
    nodes = np.flatnonzero(delays > 0)
    tails = []
    for d in range(1, int(delays.max(initial=0)) + 1):
        sel = nodes[delays[nodes] >= d].tolist()
        prev = "" if d == 1 else f"_d{d - 1}"
        head, tail = _bank(f"pr{c}_{d}", sel, f"{pre}%d_d{d}", f"{pre}%d{prev}", width[sel])
        out.write(head)
        tails.append(tail)
    # bits: the gate network's outputs, each as seen in the stage it is read in
    sigs = plan.leaf_signals(c)
    parts = _ref_parts(sigs.astype(np.int64), stage[:nb] - plan.gates.stage[sigs])
    out.write(("    wire " + pre + "%d = %s%d%s;\n") * nb % _interleave(list(range(nb)), *parts))
    # adders: a + b (+ c), each operand zero-extended to the node's width
    adders = tree.adders
    if adders.size:
        out.write(_adder_lines(pre, tree, adders, width))
    root = tree.root
    if root == const:
        score = f"{nw}'d{tree.constant}"
    elif root < nb:
        score = _zext(f"{pre}{root}", 1, nw)
    else:
        d = tree.end - int(stage[root])
        score = _zext(f"{pre}{root}" + (f"_d{d}" if d else ""), int(width[root]), nw)
    out.write(f"    wire [{nw - 1}:0] sc{c} = {score};\n")
    out.write("".join(tails))


def _argmax_section(plan: Plan, out):
    tree = plan.argmax
    nw, cw, nc = plan.count_width, plan.class_width, plan.num_classes
    stage, last, take_at = tree.stage.tolist(), tree.last.tolist(), tree.take_stage.tolist()
    left, right = tree.left.tolist(), tree.right.tolist()

    def cnt(n, at):
        d = at - stage[n]
        base = f"sc{n}" if n < nc else f"m{n}"
        return f"{base}_d{d}" if d else base

    vary = tree.index_bits.tolist()   # low index bits that vary; the rest is constant
    lo = tree.lo.tolist()

    def idx(n, at, bits=cw):
        """The low ``bits`` bits of node ``n``'s class index as read in stage ``at``."""
        if n < nc:
            return f"{bits}'d{n & ((1 << bits) - 1)}"
        d = at - stage[n]
        reg = f"x{n}_d{d}" if d else f"x{n}"
        if vary[n] == bits:
            return reg
        high = (lo[n] >> vary[n]) & ((1 << (bits - vary[n])) - 1)
        return f"{{{bits - vary[n]}'d{high}, {reg}}}"

    lines = []
    items_by_delay = {}
    root = tree.root
    for n in range(nc, len(stage)):
        t, s, a, b = take_at[n], stage[n], left[n], right[n]
        take = f"t{n}_d{s - t}" if s > t else f"t{n}"
        v = vary[n]
        lines.append(f"    wire t{n} = {cnt(b, t)} > {cnt(a, t)};")
        if n != root:   # the winner's count is not an output: only its index leaves the tree
            lines.append(f"    wire [{nw - 1}:0] m{n} = {take} ? {cnt(b, s)} : {cnt(a, s)};")
        lines.append(f"    wire [{v - 1}:0] x{n} = {take} ? {idx(b, s, v)} : {idx(a, s, v)};")
        for d in range(1, s - t + 1):
            items_by_delay.setdefault(d, []).append((f"t{n}", 1))
    count_last = tree.count_last.tolist()
    for n in range(len(stage)):
        for d in range(1, last[n] - stage[n] + 1):
            if n < nc:
                items = [(f"sc{n}", nw)]
            else:
                items = ([(f"m{n}", nw)] if d <= count_last[n] - stage[n] else []) + [(f"x{n}", vary[n])]
            items_by_delay.setdefault(d, []).extend(items)
    heads, tails = [], []
    for d in sorted(items_by_delay):
        items = items_by_delay[d]
        head, tail = _bank(f"ar{d}", [b for b, _ in items], f"%s_d{d}",
                           f"%s_d{d - 1}" if d > 1 else "%s", [w for _, w in items])
        heads.append(head)
        tails.append(tail)
    end = tree.end
    fields = [cnt(c, end) for c in reversed(range(nc))] + [idx(tree.root, end)]
    out.write("    // -- argmax over %d classes (ties -> lowest index)\n" % nc)
    out.write("".join(heads) + "\n".join(lines) + "\n" + "".join(tails))
    out.write(f"    assign o__payload = {{{', '.join(fields)}}};\n")


def _check_name(name) -> str:
    import re
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise LgnhwError(f"module name must be a Verilog identifier, not {name!r}")
    return name


def write_verilog(net: Netlist | Plan, path, pipeline_every: int = 1, name: str = "lgn_core",
                  always_ready: bool = False) -> dict:
    """Write the pipelined core ``name`` and its ``<name>_axis`` wrapper to ``path``.

    ``net`` is a Netlist (scheduled with ``pipeline_every``) or a ready
    :class:`Plan`. Returns ``{"gates", "latency_cycles", "registers"}``
    (registers: data register bits, excluding the valid bits).
    """
    name = _check_name(name)
    plan = net if isinstance(net, Plan) else Plan.build(net, pipeline_every)
    with atomic_open(path, "w") as out:
        out.write(_header(plan, name, always_ready))
        _gate_section(plan, out)
        for c in range(plan.num_classes):
            _popcount_section(plan, c, out)
        _argmax_section(plan, out)
        out.write("endmodule\n\n")
        out.write(axis_wrapper(name, AxisLayout.for_plan(plan), plan.latency, always_ready))
        out.write("`default_nettype wire\n")
    return {"gates": plan.net.num_gates, "latency_cycles": plan.latency,
            "registers": register_bits(plan)}


def register_bits(plan: Plan) -> int:
    """Data register bits of the pipelined core (gate delays, popcount, argmax)."""
    total = int(plan.gates.delays[FIRST_INPUT:].sum())
    for tree in plan.trees:
        if tree.root >= 0:
            total += int((tree.delays() * tree.widths()).sum())
    t = plan.argmax
    dl = t.last - t.stage
    nc = plan.num_classes
    total += int(dl[:nc].sum()) * plan.count_width
    counts = t.count_last - t.stage
    total += int(counts[nc:].sum()) * plan.count_width + int((dl * t.index_bits)[nc:].sum())
    total += int((t.stage - t.take_stage)[nc:].sum())
    return total
