"""Fit check before elaboration: predict a design's LUTs, FFs, carries and BRAMs from its plan.

:func:`predict` needs only the netlist and the pipeline :class:`Plan` (both
computed in well under a second for the models lgnhw targets), so a board
that cannot hold a design is refused in seconds, before Amaranth elaborates
anything and long before synthesis.

The model, per part of the design (:data:`lgnhw.report.PARTS`):

* **gate layers.** Flip-flops are exact: the plan's delay registers of gate
  and input signals. LUTs come from a greedy cone mapping of each pipeline
  stage into ``k``-input LUTs (``k`` = the family's LUT size): a gate with a
  single reader in its own stage, and no register or popcount tap of its
  own, merges into that reader while the merged cone has at most ``k``
  inputs. That is what ABC's area mapping finds on these networks, less
  what logic duplication buys; the measured factor per family and ``K``
  (:data:`CALIBRATION`) corrects for the rest.
* **popcount.** Flip-flops are exact (the adder trees' registers). LUTs and
  carries scale with the adder bits of the trees (sum of each adder's output
  width) by measured factors per family.
* **argmax.** Flip-flops are exact; LUTs are one per compared bit (the
  compare's carry chain) plus one per selected bit (a 2:1 mux), carries one
  per compared bit on carry-chain families. The counts' delay line is one
  block RAM per ``bram width`` bits when the Amaranth core puts it there.
* **shell.** The UART, frame receiver and reply serialiser: fixed logic plus
  one register (and on LUT4 fabrics about one LUT) per bit of the input
  frame and of the reply.

The factors were fitted on trained and random models of several sizes
(``benchmarks/bench_fit.py``, which also reports the accuracy in the
README). A prediction is an estimate: :func:`check_board` refuses only
designs clearly too big (over :data:`REFUSE_MARGIN` of the device), and the
build checks again on the synthesised counts before place and route.
"""

from __future__ import annotations

import numpy as np

from .devices import Device
from .errors import BuildError
from .gateware.plan import Plan
from .netlist import FIRST_INPUT

__all__ = ["predict", "predict_boards", "board_plans", "shares", "check_board", "require_measured_fit",
           "too_big_for_all", "fits", "holds", "suggestion", "cone_luts",
           "CALIBRATION", "REFUSE_MARGIN", "HOLD_SHARE"]

#: A predicted design is refused only when it needs more than this share of a
#: resource; between 100 % and this margin the build goes on to synthesis,
#: whose exact counts decide.
REFUSE_MARGIN = 1.10

#: A board *holds* a design (``boards --fits``, the boards a refusal names) when
#: the prediction leaves this much of every resource: the prediction is within
#: about +-10 % (README, "Fit check accuracy"), and a design at 100 % of its LUTs
#: does not pack into an FPGA's slices (carry chains, control sets).
HOLD_SHARE = 0.90

#: Measured correction factors per family (see the module docstring), fitted on
#: one model only, ``benchmarks/models/digits4k.lgn`` at K=2 (yosys per-part and
#: flattened counts); every other model in ``benchmarks/bench_fit.py`` checks them.
#: ``gates``: synthesised gate-layer LUTs / cone-mapped LUTs, by K (1, 2, 3+),
#: re-fitted for ranks by LUT level on the bundled model (K=1, 2; HX8K, ULX3S,
#: Arty) and digits4k (K=1, HX8K);
#: ``pop_luts`` / ``pop_carries``: popcount LUTs / carry cells per adder bit;
#: ``argmax_luts`` / ``argmax_ffs``: measured / structural argmax counts;
#: ``flat`` / ``flat_ffs``: flattened counts / the sum of the parts (optimisation
#: across parts); ``srl``: delay chains become shift registers in LUTs (Xilinx);
#: ``shell_luts`` / ``shell_ffs``:
#: the shell's fixed part.
_LUT4 = {"gates": (0.835, 0.785, 0.785), "argmax_luts": 1.13, "argmax_ffs": 1.16, "flat": 0.93, "flat_ffs": 1.0}
CALIBRATION = {
    # iCE40 keeps the counts' delay line in block RAM: its pointers cost argmax LUTs
    "ice40": {**_LUT4, "argmax_luts": 1.9, "shell_carries": 39, "pop_luts": 0.85, "pop_carries": 0.51,
              "shell_luts": 112, "shell_ffs": 75},
    "ecp5": {**_LUT4, "shell_carries": 17, "pop_luts": 1.18, "pop_carries": 0.157, "shell_luts": 115,
             "shell_ffs": 75},
    "gowin": {**_LUT4, "shell_carries": 50, "pop_luts": 1.0, "pop_carries": 0.68, "shell_luts": 126,
              "shell_ffs": 75},
    "xilinx": {"gates": (0.833, 0.72, 0.72), "pop_luts": 0.85, "pop_carries": 0.21, "argmax_luts": 1.13,
               "argmax_ffs": 1.16, "flat": 0.88, "flat_ffs": 1.0, "srl": True, "shell_carries": 15, "shell_luts": 82,
               "shell_ffs": 75},
    "intel": {"gates": (0.835, 0.785, 0.785), "pop_luts": 1.0, "pop_carries": 0.0, "argmax_luts": 1.13,
              "argmax_ffs": 1.16, "flat": 0.93, "flat_ffs": 1.0, "shell_carries": 0, "shell_luts": 82,
              "shell_ffs": 75},
}
CALIBRATION["generic"] = CALIBRATION["intel"]

#: Widest block-RAM data port per family (the argmax counts' delay line).
_BRAM_WIDTH = {"ice40": 16, "ecp5": 36, "gowin": 36, "xilinx": 72, "intel": 40, "generic": 72}


def cone_luts(plan: Plan, k: int) -> int:
    """LUTs of a greedy ``k``-input cone mapping of the gate network, stage by stage.

    Gates in topological order; a gate whose only reader is a gate of its own
    stage, and that has no register or popcount tap, is *absorbed*: it costs
    nothing while its reader's merged cone has at most ``k`` leaves. A reader
    whose cone would be wider keeps its operands as LUTs of their own.
    """
    net = plan.net
    g0, n = net.first_gate, net.num_gates
    if n == 0 or k <= 2:   # 2-input LUTs: one per gate
        return n
    stage, last = plan.gates.stage, plan.gates.last
    a, b = net.a.astype(np.int64), net.b.astype(np.int64)
    fanout = np.bincount(a, minlength=net.num_signals) + np.bincount(b, minlength=net.num_signals)
    tapped = last > stage
    tapped[net.outputs] = True
    reader = np.full(net.num_signals, -1, dtype=np.int64)
    reader[a] = np.arange(g0, g0 + n)
    reader[b] = np.arange(g0, g0 + n)
    same_stage = np.zeros(net.num_signals, dtype=bool)
    has = reader >= 0
    same_stage[has] = stage[reader[has]] == stage[has]
    absorbable = ((fanout == 1) & ~tapped & same_stage).tolist()
    a_l, b_l = a.tolist(), b.tolist()
    cone: dict = {}          # absorbed gate -> its leaves
    luts = 0
    for i in range(n):
        ops = [x for x in {a_l[i], b_l[i]} if x >= FIRST_INPUT]
        leaves = set()
        for x in ops:
            leaves |= cone.get(x, {x})
        if len(leaves) > k:  # too wide: the absorbed operands become LUTs of their own
            for x in ops:
                if x in cone:
                    del cone[x]
                    luts += 1
            leaves = set(ops)
        else:
            for x in ops:
                cone.pop(x, None)
        if absorbable[g0 + i]:
            cone[g0 + i] = leaves
        else:
            luts += 1
    return luts


def _delay_chains(plan: Plan) -> list[tuple[int, int]]:
    """``(length, width)`` of every delay chain of the core (gate signals, popcount adders,
    argmax scores and nodes)."""
    out = []
    d = plan.gates.delays[FIRST_INPUT:]
    out += [(int(x), 1) for x in d[d > 0]]
    for tree in plan.trees:
        if tree.root < 0:
            continue
        dl, w = tree.delays(), tree.widths()
        out += [(int(a), int(b)) for a, b in zip(dl[dl > 0], w[dl > 0])]
    t, nc, nw = plan.argmax, plan.num_classes, plan.count_width
    dl = t.last - t.stage
    out += [(int(x), nw) for x in dl[:nc] if x > 0]
    out += [(int(x), nw + int(v)) for x, v in zip(dl[nc:], t.index_bits[nc:]) if x > 0]
    return out


def _adder_bits(plan: Plan) -> tuple[int, int]:
    """``(adder output bits, popcount register bits)`` over every class's tree."""
    bits = regs = 0
    for tree in plan.trees:
        if tree.root < 0:
            continue
        w = tree.widths()
        adders = tree.adders
        bits += int(w[adders].sum())
        regs += int((tree.delays() * w).sum())
    return bits, regs


def _argmax(plan: Plan, ram_delay: bool) -> tuple[int, int, int, int, int]:
    """``(compare bits, select bits, register bits, delay-line bits in BRAM, delay stages)``."""
    from .gateware.argmax import uses_ram_delay
    t = plan.argmax
    nc, nw = plan.num_classes, plan.count_width
    nodes = np.arange(nc, len(t.stage))
    cmp_bits = len(nodes) * nw
    sel_bits = int(len(nodes) * nw + t.index_bits[nodes].sum())
    dl = t.last - t.stage
    ram = uses_ram_delay(int(t.end), nc, nw, ram_delay)
    leaf_regs = int(dl[:nc].sum()) * nw
    ram_bits = 0
    if ram:
        # the leaves' chains only reach their parents' select stage; the rest is block RAM
        until = np.zeros(nc, dtype=np.int64)
        for n in nodes.tolist():
            for leaf in (int(t.left[n]), int(t.right[n])):
                if leaf < nc:
                    until[leaf] = max(until[leaf], int(t.stage[n]))
        leaf_regs = int(until.sum()) * nw
        ram_bits = nc * nw
    regs = leaf_regs + int(dl[nc:].sum()) * nw + int((dl * t.index_bits)[nc:].sum()) \
        + int((t.stage - t.take_stage)[nc:].sum())
    if ram:
        regs += 2 * max(1, (t.end - 1).bit_length()) + nc * nw   # pointers; the read port's register
    return cmp_bits, sel_bits, regs, ram_bits, int(t.end)


def predict(plan: Plan, dev: Device, *, shell: bool = True, self_test_vectors: int = 0) -> dict:
    """Predicted ``{"luts", "ffs", "carries", "brams", "parts": {part: {...}}}`` of the core
    (and the board shell when ``shell``) on ``dev``'s family."""
    fam = dev.family
    cal = CALIBRATION[fam]
    k = dev.lut_inputs
    kk = min(max(plan.pipeline_every, 1), 3)
    net = plan.net
    parts = {}
    gate_regs = int(plan.gates.delays[FIRST_INPUT:].sum())
    parts["gate_layers"] = {"luts": round(cone_luts(plan, k) * cal["gates"][kk - 1]), "ffs": gate_regs,
                            "carries": 0, "brams": 0}
    adder_bits, pop_regs = _adder_bits(plan)
    parts["popcount"] = {"luts": round(adder_bits * cal["pop_luts"]), "ffs": pop_regs,
                         "carries": round(adder_bits * cal["pop_carries"]), "brams": 0}
    cmp_bits, sel_bits, am_regs, ram_bits, _ = _argmax(plan, dev.ram_delay)
    chain = fam in ("ice40", "ecp5", "gowin", "xilinx")
    carry_per_bit = {"ice40": 1.0, "ecp5": 0.5, "gowin": 1.0, "xilinx": 0.25}.get(fam, 0.0)
    cmp_luts = cmp_bits if fam != "xilinx" else cmp_bits // 2 + 1
    parts["argmax"] = {"luts": round((cmp_luts + sel_bits) * cal["argmax_luts"]),
                       "ffs": round(am_regs * cal["argmax_ffs"]),
                       "carries": round(cmp_bits * carry_per_bit) if chain else 0,
                       "brams": -(-ram_bits // _BRAM_WIDTH[fam]) if ram_bits else 0}
    parts["core_control"] = {"luts": 2, "ffs": plan.latency + 1, "carries": 0, "brams": 0}
    if shell:
        in_bits = -(-net.num_inputs // 8) * 8
        reply_bits = max(2 + net.num_classes * -(-plan.count_width // 8), 8) * 8
        luts = cal["shell_luts"] + (reply_bits if k == 4 else reply_bits // 2)
        ffs = cal["shell_ffs"] + in_bits + reply_bits
        brams = 0
        if self_test_vectors:
            luts += 40 + plan.class_width
            ffs += 40 + net.num_inputs
            width = _BRAM_WIDTH[fam]
            words = self_test_vectors * (-(-net.num_inputs // width))
            brams = max(1, -(-words * width // dev.bram_bits)) + 1
        parts["shell"] = {"luts": int(luts), "ffs": int(ffs), "carries": cal["shell_carries"], "brams": brams}
    total = {key: int(sum(p[key] for p in parts.values())) for key in ("luts", "ffs", "carries", "brams")}
    # the parts are synthesised together: a few per cent go in optimisation across them
    total["luts"] = round(total["luts"] * cal["flat"])
    total["ffs"] = round(total["ffs"] * cal["flat_ffs"])
    if cal.get("srl"):
        # Xilinx: yosys turns a delay chain of 3 or more registers into SRL16/SRLC32 shift
        # registers, one LUT per bit and 32 stages, instead of flip-flops
        long = [(n, w) for n, w in _delay_chains(plan) if n >= 3]
        total["ffs"] -= sum(n * w for n, w in long)
        total["luts"] += sum(w * -(-n // 32) for n, w in long)
    return {**total, "parts": parts}


def shares(res: dict, dev: Device) -> dict:
    """Used share of each limited resource (iCE40: LUTs and FFs share the logic cells)."""
    if dev.luts is None:
        return {}
    used = {"luts": res["luts"] / dev.luts, "ffs": res["ffs"] / dev.ffs}
    if dev.brams:
        used["brams"] = res["brams"] / dev.brams
    return used


def fits(res: dict, dev: Device, margin: float = 1.0) -> bool:
    """Whether every resource's share of ``dev`` is at most ``margin``."""
    return all(s <= margin for s in shares(res, dev).values())


def holds(res: dict, dev: Device) -> bool:
    """Whether a predicted design fits ``dev`` with room to spare (:data:`HOLD_SHARE`)."""
    return fits(res, dev, HOLD_SHARE)


def board_plans(net, k_of, known: Plan | None = None):
    """``plan_for(board)`` for :func:`predict_boards`: ``net``'s plan at the board's
    K (``k_of(board)``) with ranks by the LUT levels of the board's fabric, each
    (K, LUT size) built once; ``known``: a plan already built."""
    plans = {} if known is None else {(known.pipeline_every, known.lut_size): known}

    def plan_for(b):
        key = (k_of(b), b.dev.lut_inputs)
        if key not in plans:
            plans[key] = Plan.build(net, *key)
        return plans[key]
    return plan_for


def predict_boards(plan_for, self_test_vectors: int = 0) -> list[tuple]:
    """``[(board, prediction)]`` for every board, smallest device first; ``plan_for(board)``
    gives the design's plan on that board. Boards whose device is predicted the same way
    (same plan, family and block-RAM size) share one prediction."""
    from .boards.catalog import BOARDS
    memo, out = {}, []
    for b in sorted(BOARDS.values(), key=lambda b: (b.dev.luts or 0, b.name)):
        plan = plan_for(b)
        key = (id(plan), b.family, b.dev.bram_bits)
        if key not in memo:
            memo[key] = predict(plan, b.dev, self_test_vectors=self_test_vectors)
        out.append((b, memo[key]))
    return out


def suggestion(board, res: dict) -> str:
    """The next thing to try for a design too big for ``board``: larger boards of the same family."""
    bigger = [b.name for b in _same_family_bigger(board) if holds(res, b.dev)]
    if bigger:
        return "boards of this family that fit: " + ", ".join(f"--board {n}" for n in bigger)
    return "see `lgnhw boards --fits MODEL` for the boards that fit"


def _same_family_bigger(board) -> list:
    from .boards.catalog import BOARDS
    return sorted((b for b in BOARDS.values() if b.family == board.family
                   and (b.dev.luts or 0) > (board.dev.luts or 0)), key=lambda b: b.dev.luts or 0)


_WHAT = {"luts": "LUTs", "ffs": "flip-flops", "brams": "block RAMs"}


def _refusal(board, res: dict, how: str) -> str:
    dev = board.dev
    used = shares(res, dev)
    worst = max(used, key=used.get)
    avail = {"luts": dev.luts, "ffs": dev.ffs, "brams": dev.brams}[worst]
    what = _WHAT[worst]
    return (f"design does not fit the {board.title}: needs {res[worst]:,} {what} ({how}), the "
            f"{dev.name} has {avail:,} ({used[worst]:.0%})")


def check_board(plan: Plan, board, *, self_test_vectors: int = 0) -> dict:
    """The prediction for ``board``; :class:`BuildError` when it is clearly too big
    (over :data:`REFUSE_MARGIN`), naming the boards that fit, smallest first, or
    how much too big it is for the largest board."""
    res = predict(plan, board.dev, self_test_vectors=self_test_vectors)
    if fits(res, board.dev, REFUSE_MARGIN):
        return res
    plan_for = board_plans(plan.net, lambda b: plan.pipeline_every, known=plan)
    every = predict_boards(plan_for, self_test_vectors)
    names = [b.name for b, r in every if holds(r, b.dev)]
    hint = "boards that fit, smallest first: " + ", ".join(names) if names else too_big_for_all(every)
    raise BuildError(f"{_refusal(board, res, 'predicted')}; {hint}")


def too_big_for_all(every: list[tuple]) -> str:
    """'it fits no board ...: X times what the roomiest has' from :func:`predict_boards`' list."""
    best = None
    for b, res in every:
        used = shares(res, b.dev)
        worst = max(used, key=used.get)
        if best is None or used[worst] < best[0]:
            best = (used[worst], b, worst, res[worst])
    share, b, worst, need = best
    if share <= 1:
        return (f"no board lgnhw knows holds it with {1 - HOLD_SHARE:.0%} to spare: it needs {need:,} "
                f"{_WHAT[worst]}, {share:.0%} of what the roomiest for it ({b.name}, {b.device}) has")
    return (f"it fits no board lgnhw knows: it needs {need:,} {_WHAT[worst]}, {share:.1f}x what the "
            f"roomiest for it ({b.name}, {b.device}) has")


def require_measured_fit(res: dict, board, log) -> None:
    """After synthesis: :class:`BuildError` when the exact counts exceed ``board``'s device."""
    if not fits(res, board.dev):
        raise BuildError(f"fit failure: {_refusal(board, res, 'after synthesis')}; "
                         f"{suggestion(board, res)} (log: {log})")
