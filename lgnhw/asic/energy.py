"""Energy per inference from switching activity and the library's power tables.

Per inference (one per clock at full throughput), in pJ:

* **switching**: every net's toggles x ½·C·V², C the input-pin capacitance it
  drives (no wires);
* **internal**: every output toggle x the cell's ``internal_power`` energy for
  that pin, the mean of its rise and fall tables (a net toggles up as often
  as down over the cyclic activity stream) and of its groups (one per
  related input pin; ``when`` conditions are averaged, not resolved),
  looked up at the related input net's transition and the output's load
  from the timing pass; plus every input-pin toggle x that pin's own
  ``internal_power`` (one-dimensional tables, at its net's transition);
* **clock**: every flip-flop on every clock: its clock pin's internal energy
  (one rise and one fall, at the ideal clock transition) and ``C·V²`` of its
  clock pin capacitance (no clock tree);
* **leakage**: the cells' ``cell_leakage_power`` x the clock period.

No glitches (a cycle-based simulation: each net toggles at most once per
clock) and no wire capacitance: see the README for their usual size.
"""

from __future__ import annotations

import numpy as np

from .liberty import Library
from .sta import CLOCK_SLEW_NS, Timing
from .synth import Mapped, as_arrays

__all__ = ["energy", "pin_energy"]


def pin_energy(pin, slew_of, load) -> np.ndarray:
    """Mean internal energy (pJ) per toggle of ``pin`` over its ``internal_power`` groups;
    ``slew_of(related_pin)`` gives the transition at which to read each group."""
    groups = [g for g in pin.power if g.rise is not None or g.fall is not None]
    if not groups:
        return np.zeros(np.shape(load))
    total = 0.0
    for g in groups:
        s = slew_of(g.related)
        tables = [t for t in (g.rise, g.fall) if t is not None]
        total = total + sum(t(slew=s, load=load) for t in tables) / len(tables)
    return total / len(groups)


def energy(m: Mapped, lib: Library, timing: Timing, rate: np.ndarray, parts: list,
           clock_mhz: float) -> dict:
    """Energy per inference (pJ) by kind and by part, and power at ``clock_mhz``."""
    v2 = lib.voltage ** 2
    load, slew = timing.load, timing.slew
    by_part: dict = {}
    part_arr = np.array(parts, dtype=object)
    switching = rate * 0.5 * load * v2                       # per net (pJ per inference)
    clk_nets = set(m.inputs.get("clk", []))
    internal = 0.0
    clock = 0.0
    leakage_nw = 0.0
    # switching energy belongs to the part of the cell that drives the net
    net_part = np.full(m.num_nets, "inputs", dtype=object)
    for t, (idx, pins) in as_arrays(m).items():
        cell = lib.cell(t)
        leakage_nw += cell.leakage_nw * idx.size
        for p in cell.outputs:
            if p.name in pins:
                net_part[pins[p.name]] = part_arr[idx]
        for name, nets in pins.items():
            p = cell.pins.get(name)
            if p is None:
                continue
            if p.direction == "output":
                e = rate[nets] * pin_energy(
                    p, lambda rel: slew[pins[rel]] if rel in pins else CLOCK_SLEW_NS, load[nets])
            elif cell.ff is not None and name == cell.ff["clocked_on"].strip():
                # the clock pin: one rise and one fall every clock, and its capacitance
                e = 2 * pin_energy(p, lambda rel: np.full(nets.size, CLOCK_SLEW_NS), np.zeros(nets.size))
                e = e + p.capacitance * v2
                clock += float(e.sum())
                _add(by_part, "clock", float(e.sum()))
                continue
            else:
                e = rate[nets] * pin_energy(p, lambda rel: slew[nets], np.zeros(nets.size))
            internal += float(e.sum())
            for part in np.unique(part_arr[idx]).tolist():
                _add(by_part, part, float(e[part_arr[idx] == part].sum()))
    for net in clk_nets:
        switching[net] = 0.0
    for part in np.unique(net_part).tolist():   # "inputs": the core's input nets
        _add(by_part, part, float(switching[net_part == part].sum()))
    dyn = float(switching.sum()) + internal + clock
    leak_pj = leakage_nw * 1e-9 / (clock_mhz * 1e6) * 1e12
    return {
        "dynamic_pj": dyn,
        "switching_pj": float(switching.sum()),
        "internal_pj": internal,
        "clock_pj": clock,
        "leakage_pj": leak_pj,
        "total_pj": dyn + leak_pj,
        "leakage_nw": leakage_nw,
        "by_part_pj": {k: by_part[k] for k in sorted(by_part)},
        "power_mw": (dyn + leak_pj) * clock_mhz * 1e-3,
    }


def _add(acc: dict, key: str, value: float) -> None:
    acc[key] = acc.get(key, 0.0) + value
