"""Static timing of the mapped netlist from the library's NLDM tables.

What it includes: every cell's delay and output transition, looked up
(bilinear, linear extrapolation, as Liberty tables are meant) at the
transition of the driving net and the net's load, which is the sum of the
input-pin capacitances it drives; rise and fall are propagated separately
through each arc's ``timing_sense``; a flip-flop launches at its clock-to-Q
delay and captures with its setup time (``setup_rising`` tables). What it
leaves out: wires (no placement, so no wire capacitance or resistance: the
maximum clock is an upper bound), clock skew and the clock tree (an ideal
clock with transition :data:`CLOCK_SLEW_NS`), hold checks, and anything
outside the core (inputs arrive at the clock edge with transition
:data:`INPUT_SLEW_NS`; outputs drive no load and are captured at the next
edge with no setup).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ToolError
from .liberty import Library
from .synth import Mapped, as_arrays, net_part

__all__ = ["Timing", "analyse", "CLOCK_SLEW_NS", "INPUT_SLEW_NS", "net_loads", "levelise", "levels"]

#: Transition (ns) of the ideal clock at every flip-flop's clock pin.
CLOCK_SLEW_NS = 0.05
#: Transition (ns) of the core's inputs.
INPUT_SLEW_NS = 0.05


@dataclass
class Timing:
    period_ns: float       # the shortest clock period every path meets
    fmax_mhz: float
    arrival: np.ndarray    # per net: latest arrival (ns, rise or fall; -inf: constant)
    slew: np.ndarray       # per net: worst transition (ns)
    load: np.ndarray       # per net: load (pF)
    path: list             # the critical path, launch first: [{"net", "cell", "arrival_ns"}]
    endpoint: str          # what the critical path ends in


def net_loads(m: Mapped, lib: Library) -> np.ndarray:
    """Per net: the sum of the input-pin capacitances (pF) it drives."""
    load = np.zeros(m.num_nets)
    for t, (idx, pins) in as_arrays(m).items():
        cell = lib.cell(t)
        for pin, nets in pins.items():
            p = cell.pins.get(pin)
            if p is not None and p.direction == "input":
                np.add.at(load, nets, p.capacitance)
    return load


def levelise(m: Mapped, lib: Library):
    """``(order, is_ff)``: the logic cells in topological order (flip-flops and inputs
    are sources), and which cells are flip-flops; a combinational loop is an error."""
    n = m.num_cells
    is_ff = np.array([lib.cell(t).ff is not None for t in m.cell_type], dtype=bool)
    outs = {t: {p.name for p in lib.cell(t).outputs} for t in set(m.cell_type)}
    driver = np.full(m.num_nets, -1, dtype=np.int64)
    for i, (t, conn) in enumerate(zip(m.cell_type, m.pins)):
        for pin, net in conn.items():
            if pin in outs[t] and not is_ff[i]:
                driver[net] = i
    deps = [[] for _ in range(n)]
    users = [[] for _ in range(n)]
    for i, (t, conn) in enumerate(zip(m.cell_type, m.pins)):
        if is_ff[i]:
            continue
        for pin, net in conn.items():
            if pin not in outs[t] and driver[net] >= 0:
                deps[i].append(int(driver[net]))
                users[int(driver[net])].append(i)
    pending = [len(d) for d in deps]
    ready = [i for i in range(n) if not is_ff[i] and pending[i] == 0]
    order = []
    while ready:
        nxt = []
        for i in ready:
            order.append(i)
            for u in users[i]:
                pending[u] -= 1
                if pending[u] == 0:
                    nxt.append(u)
        ready = nxt
    if len(order) != int((~is_ff).sum()):
        raise ToolError("the mapped netlist has a combinational loop")
    return order, is_ff


def _groups(m: Mapped, cells):
    """``[(type, indices)]`` for a batch of cells, types sorted."""
    by: dict = {}
    for i in cells:
        by.setdefault(m.cell_type[i], []).append(i)
    return [(t, by[t]) for t in sorted(by)]


def levels(m: Mapped, order, lib: Library):
    """Logic cells grouped by level (a cell's level is one more than its inputs')."""
    outs = {t: {p.name for p in lib.cell(t).outputs} for t in set(m.cell_type)}
    net_level = np.zeros(m.num_nets, dtype=np.int64)
    level = {}
    for i in order:
        t, conn = m.cell_type[i], m.pins[i]
        lv = 1 + max((int(net_level[v]) for p, v in conn.items() if p not in outs[t]), default=0)
        level[i] = lv
        for p, v in conn.items():
            if p in outs[t]:
                net_level[v] = lv
    by: dict = {}
    for i in order:
        by.setdefault(level[i], []).append(i)
    return [by[k] for k in sorted(by)]


def analyse(m: Mapped, lib: Library, batches=None) -> Timing:
    """Arrival times and the minimum clock period of the mapped core; ``batches``: the
    logic cells by level (:func:`levels`), computed if not given."""
    if batches is None:
        batches = levels(m, levelise(m, lib)[0], lib)
    nn = m.num_nets
    load = net_loads(m, lib)
    arr = np.full((2, nn), -np.inf)         # [rise, fall]
    slew = np.zeros((2, nn))
    pred = np.full(nn, -1, dtype=np.int64)  # the input net of the worst arc
    via = np.full(nn, -1, dtype=np.int64)   # the cell driving the net
    for port, nets in m.inputs.items():
        if port == "clk":
            continue
        for v in nets:
            if v >= 2:
                arr[:, v] = 0.0
                slew[:, v] = INPUT_SLEW_NS
    slew[:, :2] = INPUT_SLEW_NS
    slew[:, m.inputs.get("clk", [])] = CLOCK_SLEW_NS
    ffs = [i for i in range(m.num_cells) if lib.cell(m.cell_type[i]).ff is not None]
    # launch: clock-to-Q
    for t, cells in _groups(m, ffs):
        cell = lib.cell(t)
        for pin in cell.outputs:
            arcs = [a for a in pin.arcs if a.kind.startswith("rising_edge")]
            if not arcs:
                raise ToolError(f"{lib.path}: flip-flop {t} has no rising_edge arc on {pin.name}")
            nets = np.array([m.pins[i][pin.name] for i in cells if pin.name in m.pins[i]], dtype=np.int64)
            if not nets.size:
                continue
            for k, (d, s) in enumerate((("cell_rise", "rise_transition"), ("cell_fall", "fall_transition"))):
                a = arcs[0]
                arr[k, nets] = a.tables[d](slew=CLOCK_SLEW_NS, load=load[nets])
                slew[k, nets] = a.tables[s](slew=CLOCK_SLEW_NS, load=load[nets])
            via[nets] = np.array([i for i in cells if pin.name in m.pins[i]])
    # propagate through the logic, level by level
    for batch in batches:
        for t, cells in _groups(m, batch):
            cell = lib.cell(t)
            idx = np.array(cells, dtype=np.int64)
            for pin in cell.outputs:
                out = np.array([m.pins[i][pin.name] for i in cells], dtype=np.int64)
                ld = load[out]
                best = np.full((2, out.size), -np.inf)
                best_slew = np.zeros((2, out.size))
                best_in = np.full(out.size, -1, dtype=np.int64)
                for a in pin.arcs:
                    if a.kind not in ("combinational", "combinational_rise", "combinational_fall", ""):
                        continue
                    inp = np.array([m.pins[i][a.related] for i in cells], dtype=np.int64)
                    sources = {"positive_unate": ((0, 0), (1, 1)), "negative_unate": ((0, 1), (1, 0)),
                               }.get(a.sense, ((0, 0), (0, 1), (1, 0), (1, 1)))
                    for k_out, k_in in sources:
                        d, s = (("cell_rise", "rise_transition"), ("cell_fall", "fall_transition"))[k_out]
                        if d not in a.tables:
                            continue
                        sl = slew[k_in, inp]
                        cand = arr[k_in, inp] + a.tables[d](slew=sl, load=ld)
                        cs = a.tables[s](slew=sl, load=ld) if s in a.tables else sl
                        top = np.maximum(best[0], best[1])
                        best[k_out] = np.maximum(cand, best[k_out])
                        best_slew[k_out] = np.maximum(best_slew[k_out], np.where(np.isfinite(cand), cs, 0))
                        best_in = np.where(cand > top, inp, best_in)
                arr[:, out] = best
                slew[:, out] = np.where(np.isfinite(best), best_slew, INPUT_SLEW_NS)
                pred[out] = best_in
                via[out] = idx
    # capture: setup at the flip-flops, the outputs at the next edge
    worst, end_net, endpoint = 0.0, -1, ""
    for t, cells in _groups(m, ffs):
        cell = lib.cell(t)
        for pin in cell.inputs:
            for a in pin.arcs:
                if not a.kind.startswith("setup_rising"):
                    continue
                nets = np.array([m.pins[i][pin.name] for i in cells], dtype=np.int64)
                for k, tab in enumerate(("rise_constraint", "fall_constraint")):
                    if tab not in a.tables:
                        continue
                    need = arr[k, nets] + a.tables[tab](slew=CLOCK_SLEW_NS, slew2=slew[k, nets])
                    j = int(np.argmax(need))
                    if need[j] > worst:
                        worst, end_net = float(need[j]), int(nets[j])
                        endpoint = f"{m.cell_name[cells[j]]} ({t}) pin {pin.name}, setup"
    for port, nets in m.outputs.items():
        for v in nets:
            a = float(np.max(arr[:, v]))
            if a > worst:
                worst, end_net, endpoint = a, v, f"output {port}"
    path = []
    v = end_net
    seen = set()
    while v >= 2 and v not in seen:
        seen.add(v)
        c = int(via[v])
        path.append({"net": _name(m, v), "cell": m.cell_type[c] if c >= 0 else "(input)",
                     "arrival_ns": round(float(np.max(arr[:, v])), 4), "_net": v})
        v = int(pred[v]) if c >= 0 and lib.cell(m.cell_type[c]).ff is None else -1
    # the part of each step: its net's RTL name, else (a net abc made) that of the next named one
    part = "control" if endpoint.endswith("valid") else "argmax" if endpoint.startswith("output") else ""
    for step in path:
        part = net_part(m.net_names.get(step.pop("_net"), ())) or part
        step["part"] = part
    path.reverse()
    worst_arr = np.max(arr, axis=0)
    period = worst if worst > 0 else float("nan")
    return Timing(period, 1e3 / period if worst > 0 else float("inf"), worst_arr,
                  np.max(slew, axis=0), load, path, endpoint)


def _name(m: Mapped, net: int) -> str:
    names = m.net_names.get(net)
    return names[0] if names else f"n{net}"
