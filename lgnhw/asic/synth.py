"""Standard-cell synthesis with yosys, and the mapped netlist it writes.

The core (the direct Verilog writer's module, no board shell) is read by
yosys, synthesised flat (``synth -flatten``), its flip-flops mapped by
``dfflibmap -liberty``, its logic by ``abc -liberty``, with the library's
special-purpose cells excluded (:data:`DONT_USE`). yosys writes the
gate-level Verilog netlist, a JSON netlist (read back here as
:class:`Mapped`) and its own area statistics.

This yosys (YoWASP) has no zlib and its stdout goes dead after an ABC call,
so the library is given to it uncompressed and everything is read from files
(``-l`` log, ``write_json``, ``stat -json``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FormatError, ToolError
from .liberty import Library

__all__ = ["DONT_USE", "yosys_script", "equivalence_script", "Mapped", "read_mapped", "check_library", "PARTS"]

#: Cells ``abc`` and ``dfflibmap`` must not use: low-power-flow isolation and
#: level-shifter cells (whose functions look like plain AND/OR gates), probes,
#: delay cells, clock buffers and inverters, clock gates.
DONT_USE = ("*lpflow*", "*probe*", "*clkdly*", "*dlygate*", "*dlymetal*", "*clkbuf*",
            "*clkinv*", "*dlclkp*", "*sdlclkp*")

#: Parts of the core, in report order (``registers`` holds every flip-flop).
PARTS = ("gate_layers", "popcount", "argmax", "control", "registers")

_PART_OF_REGISTER = (("sr", "gate_layers"), ("pr", "popcount"), ("ar", "argmax"), ("vld", "control"))


def yosys_script(core: str, top: str, liberty: str, gates: str, mapped: str, stat: str) -> str:
    """The synthesis script (file names relative to the build folder)."""
    du = " ".join(f"-dont_use {p}" for p in DONT_USE)
    lib = json.dumps(liberty)
    return "\n".join([
        f"read_verilog {json.dumps(core)}",
        f"hierarchy -top {top}",
        f"synth -flatten -top {top}",
        f"dfflibmap -liberty {lib} {du}",
        f"abc -liberty {lib} {du}",
        "opt_clean",
        f"tee -q -o {json.dumps(stat)} stat -liberty {lib} -json",
        f"write_json {json.dumps(mapped)}",
        f"write_verilog -noattr -noexpr {json.dumps(gates)}",
    ]) + "\n"


def equivalence_script(core: str, top: str, liberty: str, gates: str, depth: int) -> str:
    """A yosys script proving the gate-level netlist equal to the core it was mapped from:
    the cells become logic through yosys' own reading of the library's functions
    (``read_liberty``, independent of :mod:`lgnhw.asic.liberty`), and a SAT bounded check
    over ``depth`` clocks from all-zero registers compares every output. For a pipeline
    without feedback, ``depth`` = latency + 2 covers every behaviour."""
    lib = json.dumps(liberty)
    return "\n".join([
        f"read_verilog {json.dumps(core)}", f"hierarchy -top {top}", "proc", "opt_clean",
        f"rename {top} gold", "design -stash gold",
        f"read_liberty -ignore_miss_func {lib}", f"read_verilog {json.dumps(gates)}",
        f"hierarchy -top {top}", "flatten", "opt_clean", f"rename {top} gate", "design -stash gate",
        "design -copy-from gold -as gold gold", "design -copy-from gate -as gate gate",
        "miter -equiv -flatten -make_outputs -ignore_gold_x gold gate miter", "hierarchy -top miter",
        f"sat -verify -seq {int(depth)} -set-init-zero -prove trigger 0 miter",
    ]) + "\n"


def check_library(lib: Library) -> None:
    """Refuse a library the flow cannot map to, naming the missing cell: it needs a
    positive-edge D flip-flop without set or reset (yosys ``$_DFF_P_``) and an inverter."""
    has_ff = has_inv = False
    for name in lib.groups:
        if any(re.fullmatch(p.replace("*", ".*"), name) for p in DONT_USE):
            continue
        cell = lib.cell(name)
        if cell.ff is not None:
            ff = cell.ff
            if (ff["clocked_on"].strip() in cell.pins and not ff["clear"] and not ff["preset"]
                    and ff["next_state"].strip() in cell.pins):
                has_ff = True
        elif len(cell.outputs) == 1 and len(cell.inputs) == 1:
            f = (cell.outputs[0].function or "").replace(" ", "")
            a = cell.inputs[0].name
            if f in (f"!{a}", f"{a}'", f"(!{a})"):
                has_inv = True
    if not has_ff:
        raise FormatError(lib.path, "the library has no cell for $_DFF_P_ (a positive-edge D "
                                    "flip-flop without set or reset, e.g. sky130_fd_sc_hd__dfxtp_1), "
                                    "which the core's pipeline registers need")
    if not has_inv:
        raise FormatError(lib.path, "the library has no inverter cell (e.g. sky130_fd_sc_hd__inv_1), "
                                    "which abc needs to map the logic")


@dataclass
class Mapped:
    """The mapped (gate-level) core.

    Nets are numbered 0 (constant 0, also yosys' ``x``), 1 (constant 1),
    then yosys' bit numbers. ``cell_type[i]`` / ``cell_name[i]`` per cell,
    ``pins[i]``: ``{pin: net}``; ``inputs`` / ``outputs``: ``{port: [net, ...]}``
    (bit 0 first); ``net_names``: the public (RTL) names of a net."""
    top: str
    num_nets: int
    cell_type: list
    cell_name: list
    pins: list
    inputs: dict
    outputs: dict
    net_names: dict

    @property
    def num_cells(self) -> int:
        return len(self.cell_type)

    def counts(self) -> dict:
        out: dict = {}
        for t in self.cell_type:
            out[t] = out.get(t, 0) + 1
        return dict(sorted(out.items()))


def _net(bit) -> int:
    if isinstance(bit, int):
        return bit
    return 1 if bit == "1" else 0


def read_mapped(path, top: str, lib: Library) -> Mapped:
    """The module ``top`` of a yosys ``write_json`` file; every cell must be a library cell."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as err:
        raise ToolError(f"{path}: cannot read the mapped netlist ({err})") from None
    mod = data.get("modules", {}).get(top)
    if mod is None:
        raise ToolError(f"{path}: no module {top} in the mapped netlist")
    inputs, outputs = {}, {}
    for name, port in mod["ports"].items():
        bits = [_net(b) for b in port["bits"]]
        (inputs if port["direction"] == "input" else outputs)[name] = bits
    types, names, pins = [], [], []
    for cname, cell in sorted(mod["cells"].items(), key=lambda kv: _cell_key(kv[0])):
        t = cell["type"]
        if not lib.has(t):
            raise ToolError(f"{path}: cell {cname} is {t}, not a cell of the library: yosys could "
                            f"not map it to {lib.path} (the library lacks a cell for {t})")
        types.append(t)
        names.append(cname)
        conn = {}
        for pin, bits in cell["connections"].items():
            if len(bits) != 1:
                raise ToolError(f"{path}: cell {cname} pin {pin} has {len(bits)} bits")
            conn[pin] = _net(bits[0])
        pins.append(conn)
    net_names: dict = {}
    top_bit = 1
    for name, info in mod["netnames"].items():
        for bit in info["bits"]:
            if isinstance(bit, int):
                top_bit = max(top_bit, bit)
                if not info.get("hide_name"):
                    net_names.setdefault(bit, []).append(name)
    for conn in pins:
        top_bit = max([top_bit, *conn.values()])
    return Mapped(top, top_bit + 1, types, names, pins, inputs, outputs,
                  {k: sorted(v) for k, v in net_names.items()})


def _cell_key(name: str):
    """Cells in yosys' creation order (``$abc$123$auto$...``: by the numbers), deterministically."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def cell_parts(m: Mapped, lib: Library) -> list:
    """The part (:data:`PARTS`) of every cell.

    A flip-flop is a ``registers`` cell. A logic cell belongs to the part of
    the registers (or outputs) its output reaches, taking the first of
    gate layers, popcount, argmax, control when it reaches several: every
    register bank is named for its part in the core's Verilog (``sr*``,
    ``pr*``, ``ar*``, ``vld``), and the output payload is argmax's. So the
    first adder level of a popcount, which shares its logic with the gates
    it reads (a gate on the first level of a stage feeding only its class's
    adder), counts as popcount; with K = 0 (no registers) every logic cell
    reaches only the outputs and the parts cannot be told apart
    (``argmax`` then holds all the logic). Logic whose output nothing reads
    (kept by a ``(* keep *)`` wire of the core) goes by its net's RTL name."""
    n = m.num_cells
    rank = {p: i for i, p in enumerate(PARTS)}
    is_ff = [lib.cell(t).ff is not None for t in m.cell_type]
    out_pins = {t: {p.name for p in lib.cell(t).outputs} for t in set(m.cell_type)}
    readers: dict = {}      # net -> cells reading it
    driver: dict = {}
    for i, (t, conn) in enumerate(zip(m.cell_type, m.pins)):
        for pin, net in conn.items():
            if pin in out_pins[t]:
                driver[net] = i
            else:
                readers.setdefault(net, []).append(i)
    best = [len(PARTS)] * n
    # registers: by the name of the net they drive
    for i in range(n):
        if is_ff[i]:
            best[i] = rank[_register_part(m, i, out_pins[m.cell_type[i]])]
    # logic cells: propagate backwards from registers' inputs and the outputs
    seeds = []
    for port, nets in m.outputs.items():
        part = rank["control" if port.endswith("valid") or port.endswith("ready") else "argmax"]
        seeds += [(net, part) for net in nets]
    for i in range(n):
        if is_ff[i]:
            seeds += [(net, best[i]) for p, net in m.pins[i].items() if p not in out_pins[m.cell_type[i]]]
    def spread(stack):
        while stack:
            net, part = stack.pop()
            i = driver.get(net)
            if i is None or is_ff[i]:
                continue
            if part < best[i]:
                best[i] = part
                stack += [(v, part) for p, v in m.pins[i].items() if p not in out_pins[m.cell_type[i]]]

    spread(seeds)
    # logic nothing reads (kept by a (* keep *) wire of the core): by its output's RTL name
    spread([(net, rank[part]) for i in range(n) if best[i] == len(PARTS)
            for p, net in m.pins[i].items() if p in out_pins[m.cell_type[i]]
            for part in [_logic_part(m.net_names.get(net, ()))] if part])
    return ["registers" if is_ff[i] else PARTS[best[i]] if best[i] < len(PARTS) else "control"
            for i in range(n)]


def register_parts(m: Mapped, lib: Library) -> dict:
    """Flip-flops per part of the core they belong to (by their bank's name)."""
    out: dict = {}
    for i, t in enumerate(m.cell_type):
        cell = lib.cell(t)
        if cell.ff is not None:
            part = _register_part(m, i, {p.name for p in cell.outputs})
            out[part] = out.get(part, 0) + 1
    return {p: out[p] for p in PARTS if p in out}


_LOGIC_NAME = [(re.compile(r"s\d"), "gate_layers"), (re.compile(r"p\d|sc\d"), "popcount"),
               (re.compile(r"[tmx]\d"), "argmax")]


def _logic_part(names) -> str:
    """The part a logic net belongs to by its RTL name (see :mod:`lgnhw.verilog`), or ""."""
    for name in names:
        for rx, part in _LOGIC_NAME:
            if rx.match(name):
                return part
    return ""


def net_part(names) -> str:
    """The part of the core a net belongs to by its RTL names (register banks first), or ""."""
    for name in names:
        for rx, part in _REGISTER_NAME:
            if rx.match(name):
                return part
    return _logic_part(names)


_REGISTER_NAME = [(re.compile(rf"{prefix}(\d|\b|\[)"), part) for prefix, part in _PART_OF_REGISTER]


def _register_part(m: Mapped, i: int, out_pins) -> str:
    """The part of flip-flop ``i``: its output net's RTL name says which bank it is in."""
    for pin, net in m.pins[i].items():
        if pin in out_pins:
            for name in m.net_names.get(net, ()):
                for rx, part in _REGISTER_NAME:
                    if rx.match(name):
                        return part
    return "control"


def as_arrays(m: Mapped):
    """Per cell type: ``(cell indices, {pin: nets})`` as numpy arrays, types sorted."""
    by: dict = {}
    for i, (t, conn) in enumerate(zip(m.cell_type, m.pins)):
        by.setdefault(t, []).append(i)
    out = {}
    for t in sorted(by):
        idx = np.array(by[t], dtype=np.int64)
        pins = {}
        for pin in m.pins[by[t][0]]:
            pins[pin] = np.array([m.pins[i][pin] for i in by[t]], dtype=np.int64)
        out[t] = (idx, pins)
    return out


def write_text(path: Path, text: str) -> None:
    from ..fileio import atomic_open
    with atomic_open(path, "w") as f:
        f.write(text)
