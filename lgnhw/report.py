"""Parse yosys and nextpnr results into lgnhw's resource/timing report.

Inputs are the machine-readable files the tools write:

* yosys ``stat -json`` (``tee -q -o FILE stat -json``): cell counts per module
  and for the whole design. Run after a flattened ``synth_ice40`` it gives the
  design totals; after ``synth_ice40 -noflatten`` it gives per-module counts,
  which :func:`breakdown` folds into parts of the design (gate layers,
  popcount, argmax, core control, shell).
* nextpnr ``--report FILE``: ``utilization`` per bel type, ``fmax`` per clock
  and ``critical_paths`` (one per clock pair).

All functions take file paths or already-loaded dicts and return plain dicts
of numbers, so reports serialise to JSON as they are.
"""

from __future__ import annotations

import json
import os
import re

from .errors import ToolError

__all__ = ["load_json", "stat_cells", "ice40_resources", "lut6_resources", "breakdown", "part_of",
           "parse_nextpnr_report", "critical_path", "nextpnr_log_utilisation", "PARTS"]

#: Parts of a design, in report order.
PARTS = ("gate_layers", "popcount", "argmax", "core_control", "shell")

_FF_RE = re.compile(r"^(SB_DFF\w*|FD\w*|\$_DFF\w*|\$_SDFF\w*|\$_DFFE\w*|\$_SDFFE\w*|\$_SDFFCE\w*)$")


def load_json(source) -> dict:
    """A dict, or the JSON file at ``source`` (:class:`ToolError` naming the file if unreadable)."""
    if isinstance(source, dict):
        return source
    path = os.fspath(source)
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as err:
        raise ToolError(f"{path}: cannot read tool output ({err.strerror or err})") from None
    except ValueError as err:
        raise ToolError(f"{path}: tool output is not valid JSON ({err})") from None


def _clean(name: str) -> str:
    return name[1:] if name.startswith("\\") else name


def stat_cells(stat) -> dict[str, int]:
    """Primitive cell counts of the whole design from a yosys ``stat -json`` result.

    Submodule instances (cell types naming a module of the design) and
    ``$scopeinfo`` bookkeeping cells are left out.
    """
    stat = load_json(stat)
    modules = {_clean(m) for m in stat.get("modules", {})}
    cells = stat.get("design", {}).get("num_cells_by_type", {})
    return {k: int(v) for k, v in sorted(cells.items())
            if _clean(k) not in modules and k != "$scopeinfo"}


def _is_ff(cell_type: str) -> bool:
    return bool(_FF_RE.match(cell_type))


def ice40_resources(cells: dict[str, int]) -> dict[str, int]:
    """iCE40 resource counts (``luts``, ``ffs``, ``carries``, ``brams``, ``ios``) from cell counts."""
    return {
        "luts": int(cells.get("SB_LUT4", 0)),
        "ffs": int(sum(n for t, n in cells.items() if t.startswith("SB_DFF"))),
        "carries": int(cells.get("SB_CARRY", 0)),
        "brams": int(cells.get("SB_RAM40_4K", 0) + cells.get("SB_RAM40_4KNR", 0)
                     + cells.get("SB_RAM40_4KNW", 0) + cells.get("SB_RAM40_4KNRNW", 0)),
        "ios": int(cells.get("SB_IO", 0) + cells.get("SB_GB_IO", 0)),
    }


def lut6_resources(cells: dict[str, int]) -> dict[str, int]:
    """LUT/FF counts for generic ``synth -lut 6`` (``$lut``) or ``synth_xilinx`` (``LUT1..6``) output."""
    luts = int(cells.get("$lut", 0)) + int(sum(cells.get(f"LUT{k}", 0) for k in range(1, 7)))
    ffs = int(sum(n for t, n in cells.items() if _is_ff(t)))
    carries = int(cells.get("CARRY4", 0) + cells.get("CARRY8", 0))
    return {"luts": luts, "ffs": ffs, "carries": carries}


def part_of(name: str) -> str:
    """Part of the design a hierarchical module or cell name belongs to (see :data:`PARTS`)."""
    parts = _clean(name).split(".")
    if "core" not in parts:
        return "shell"
    rest = parts[parts.index("core") + 1:]
    head = rest[0] if rest else ""
    for prefix, part in (("gates", "gate_layers"), ("popcount", "popcount"), ("argmax", "argmax")):
        if head.startswith(prefix):
            return part
    return "core_control"


def breakdown(hier_stat, resources=ice40_resources) -> dict[str, dict[str, int]]:
    """Resources per part of the design from a ``stat -json`` of a ``-noflatten`` synthesis.

    Every module's own primitive cells are counted once (Amaranth emits one
    module per instance) and attributed to :func:`part_of` its name.
    """
    stat = load_json(hier_stat)
    modules = stat.get("modules", {})
    names = {_clean(m) for m in modules}
    totals: dict[str, dict[str, int]] = {}
    for mod, info in modules.items():
        cells = {t: int(n) for t, n in info.get("num_cells_by_type", {}).items()
                 if _clean(t) not in names and t != "$scopeinfo"}
        res = resources(cells)
        part = part_of(mod)
        acc = totals.setdefault(part, {k: 0 for k in res})
        for k, v in res.items():
            acc[k] = acc.get(k, 0) + v
    return {p: totals[p] for p in PARTS if p in totals}


def parse_nextpnr_report(report) -> dict:
    """``{"utilization": {bel: (used, available)}, "fmax_mhz": {clock: achieved},
    "target_mhz": {clock: constraint}, "critical_path": {...} | None}``."""
    rep = load_json(report)
    util = {k: (int(v.get("used", 0)), int(v.get("available", 0)))
            for k, v in sorted(rep.get("utilization", {}).items())}
    fmax = {clk: round(float(v["achieved"]), 2) for clk, v in sorted(rep.get("fmax", {}).items())}
    target = {clk: round(float(v.get("constraint", 0.0)), 2) for clk, v in sorted(rep.get("fmax", {}).items())}
    return {"utilization": util, "fmax_mhz": fmax, "target_mhz": target,
            "critical_path": critical_path(rep)}


def critical_path(report) -> dict | None:
    """Summary of the worst register-to-register path of the slowest clock.

    ``{"clock", "delay_ns", "logic_ns", "routing_ns", "logic_levels", "from", "to",
    "from_part", "to_part", "parts"}`` where ``logic_levels`` counts LUT/carry
    steps and ``parts`` lists the design parts the path crosses, in order.
    """
    rep = load_json(report)
    fmax = rep.get("fmax", {})
    best = None
    for path in rep.get("critical_paths", []):
        src, dst = path.get("from", ""), path.get("to", "")
        if not (src.startswith("posedge") or src.startswith("negedge")) or src != dst:
            continue  # skip cross-domain and I/O paths
        clock = src.split(" ", 1)[1]
        delay = sum(float(s.get("delay", 0.0)) for s in path.get("path", []))
        achieved = fmax.get(clock, {}).get("achieved")
        key = -achieved if achieved is not None else delay
        if best is None or key > best[0]:
            best = (key, clock, path, delay)
    if best is None:
        return None
    _, clock, path, delay = best
    steps = path.get("path", [])
    logic = sum(float(s["delay"]) for s in steps if s.get("type") == "logic")
    routing = sum(float(s["delay"]) for s in steps if s.get("type") == "routing")
    levels = sum(1 for s in steps if s.get("type") == "logic")
    cells = []
    for s in steps:
        for end in ("from", "to"):
            c = s.get(end, {}).get("cell")
            if c and (not cells or cells[-1] != c):
                cells.append(c)
    parts = []
    for c in cells:
        if c.startswith("$"):
            continue  # tool-made cells (carry feed-ins, global buffers) carry no hierarchy
        p = part_of(c)
        if not parts or parts[-1] != p:
            parts.append(p)
    first, last = (cells[0], cells[-1]) if cells else ("", "")
    return {"clock": clock, "delay_ns": round(delay, 3), "logic_ns": round(logic, 3),
            "routing_ns": round(routing, 3), "logic_levels": levels,
            "from": first, "to": last, "from_part": part_of(first), "to_part": part_of(last),
            "parts": parts}


_UTIL_RE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)


def nextpnr_log_utilisation(log_text: str) -> dict[str, tuple[int, int]]:
    """``{bel: (used, available)}`` from the "Device utilisation" lines of a nextpnr log
    (present even when placement fails because the design is too large)."""
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in _UTIL_RE.finditer(log_text)}
