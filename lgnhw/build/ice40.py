"""Lattice iCE40: yosys ``synth_ice40``, nextpnr-ice40, icepack."""

from __future__ import annotations

import json
from pathlib import Path

from ..fileio import atomic_open
from .flow import Flow, count, rewrite

__all__ = ["ICE40", "carry_out_luts"]

#: ``LUT_INIT`` of a LUT4 whose output is its I3 input, as yosys writes a parameter
_PASS_I3 = "1111111100000000"


class ICE40(Flow):
    family = "ice40"
    synth = "synth_ice40"
    pnr = "nextpnr-ice40"
    packer = "icepack"
    bitstream_file = "top.bin"
    logic_bel = "ICESTORM_LC"

    def set_clock_target(self, out, target):
        rewrite(out / "top.pcf", r"^(set_frequency\s+\S+\s+)\S+", lambda mo: f"{mo.group(1)}{target:g}")

    def after_synthesis(self, out):
        return {"luts": carry_out_luts(out / "top.json")}

    def resources(self, cells):
        return {"luts": count(cells, "SB_LUT4"), "ffs": count(cells, r"SB_DFF\w*"),
                "carries": count(cells, "SB_CARRY"), "brams": count(cells, r"SB_RAM40_4K\w*"),
                "ios": count(cells, "SB_IO", "SB_GB_IO")}


def carry_out_luts(path: Path) -> int:
    """Give every carry chain's last carry out that feeds the fabric a LUT4 of its own
    (``O = I3``, I3 on the carry out) in the synthesised netlist ``path`` (yosys JSON,
    rewritten in place); returns how many were added.

    An adder's top sum bit is its carry out, and yosys leaves no LUT on it (a LUT
    that only passes a signal on is removed). nextpnr then appends a pass-through
    cell to the chain, after packing, so the flip-flop the bit feeds stays a cell
    of its own, a route away. With the LUT in the netlist nextpnr chains it the
    same way (its I3 is the carry out) and packs the flip-flop with it: on the
    bundled model's UP5K build 123 carry outs, 2,699 -> 2,576 logic cells.
    ``lgnhw build`` runs it between yosys and nextpnr; the build plan's own
    ``build_top.sh`` in the build folder does not, and gives the netlist without it.
    """
    design = json.loads(Path(path).read_text())
    (top,) = [m for m in design["modules"].values() if m.get("attributes", {}).get("top")]
    cells = top["cells"]
    readers: dict = {}
    last = max([b for c in cells.values() for bits in c["connections"].values() for b in bits
                if isinstance(b, int)] +
               [b for n in top["netnames"].values() for b in n["bits"] if isinstance(b, int)], default=1)
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell["port_directions"].get(port) == "input":
                for i, bit in enumerate(bits):
                    readers.setdefault(bit, []).append((name, port, i))

    def in_chain(reader) -> bool:
        kind, port = cells[reader[0]]["type"], reader[1]
        return (kind, port) in (("SB_CARRY", "CI"), ("SB_LUT4", "I3"))

    added = 0
    for cell in list(cells.values()):
        if cell["type"] != "SB_CARRY":
            continue
        carry_out = cell["connections"]["CO"][0]
        users = readers.get(carry_out, [])
        if not users or any(in_chain(u) for u in users):
            continue
        last += 1
        for name, port, i in users:
            cells[name]["connections"][port][i] = last
        cells[f"$lgnhw$carry_out${added}"] = {
            "hide_name": 1, "type": "SB_LUT4", "parameters": {"LUT_INIT": _PASS_I3}, "attributes": {},
            "port_directions": {p: "input" for p in ("I0", "I1", "I2", "I3")} | {"O": "output"},
            "connections": {"I0": ["0"], "I1": ["0"], "I2": ["0"], "I3": [carry_out], "O": [last]}}
        top["netnames"][f"$lgnhw$carry_out${added}$O"] = {"hide_name": 1, "bits": [last], "attributes": {}}
        added += 1
    if added:
        with atomic_open(path, "w") as f:
            json.dump(design, f)
    return added
