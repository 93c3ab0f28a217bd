"""One rank of the gate network is one LUT level after the open flows' synthesis.

At K=1 every register of the gate network holds one gate of registers, so each
is one LUT4 from registers. Mapped together with the popcount, ABC used to
merge some of them into deeper cones (127 of 831 on the bundled model, up to
three LUTs; see :data:`lgnhw.build.flow.GATES_MODULE`). These tests synthesise
the bundled core with each open family's script (:meth:`Flow.flat_synth`, the
one ``lgnhw report`` runs and the builds use), read the mapped netlist back
and measure the LUT levels in front of every flip-flop.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from lgnhw import tools
from lgnhw.build import FLOWS, load_model_or_default
from lgnhw.passes import optimize

#: Cells that are one LUT level; flip-flops and RAMs start and end paths; any
#: other cell (carry, wide-function mux) adds no level of its own.
_LUT = re.compile(r"SB_LUT4|LUT[1-6]")
_SEQUENTIAL = re.compile(r"SB_DFF\w*|TRELLIS_FF|DFF\w*|SB_RAM\w*|DP16KD|PDPW16KD|SDPB|DPB|SP")
_FF_DATA = ("D", "DI")


def lut_levels_at_flip_flops(module: dict) -> dict[str, int]:
    """Per flip-flop of a flattened yosys JSON ``module``: the most LUTs on a path
    from a flip-flop, RAM, constant or module input to its data pin."""
    driver = {}
    for name, cell in module["cells"].items():
        for port, direction in cell["port_directions"].items():
            if direction == "output":
                for bit in cell["connections"][port]:
                    driver[bit] = name
    memo: dict = {}

    def level(bit) -> int:
        name = driver.get(bit)
        if name is None:                    # constant or module input
            return 0
        if name not in memo:
            cell = module["cells"][name]
            if _SEQUENTIAL.fullmatch(cell["type"]):
                memo[name] = 0
            else:
                ins = [b for port, d in cell["port_directions"].items() if d == "input"
                       for b in cell["connections"][port]]
                memo[name] = int(bool(_LUT.fullmatch(cell["type"]))) + max(map(level, ins), default=0)
        return memo[name]

    out = {}
    for name, cell in module["cells"].items():
        if re.fullmatch(r"SB_DFF\w*|TRELLIS_FF|DFF\w*", cell["type"]):
            pin = next(p for p in _FF_DATA if p in cell["connections"])
            out[name] = max(map(level, cell["connections"][pin]))
    return out


@pytest.fixture(scope="module")
def bundled_core_il(tmp_path_factory):
    from amaranth.back import rtlil
    from lgnhw.gateware import LgnCore
    net, _ = load_model_or_default(None, "digits.lgn")
    path = tmp_path_factory.mktemp("core") / "core.il"
    path.write_text(rtlil.convert(LgnCore(optimize(net)[0], pipeline_every=1), name="core"))
    return path


def _mapped(tmp_path, family: str, core_il) -> dict:
    yosys = tools.find("yosys", "yowasp")
    (tmp_path / "core.il").write_bytes(core_il.read_bytes())     # YoWASP sees the working folder only
    (tmp_path / "map.ys").write_text(f"read_rtlil core.il\nhierarchy -top core\n"
                                     f"{FLOWS[family].flat_synth('core')}\nwrite_json core.json\n")
    subprocess.run([yosys, "-q", "-l", "map.log", "map.ys"], check=True, capture_output=True, cwd=tmp_path)
    return json.loads((tmp_path / "core.json").read_text())["modules"]["core"]


@pytest.mark.parametrize("family", ["ice40", "ecp5", "gowin"])
def test_each_gate_register_is_one_lut_from_registers(tmp_path, bundled_core_il, family):
    levels = lut_levels_at_flip_flops(_mapped(tmp_path, family, bundled_core_il))
    gates = {name: n for name, n in levels.items() if name.startswith("gates.")}
    assert len(gates) > 500                              # the bundled core's gate registers were found
    deeper = sorted(name for name, n in gates.items() if n > 1)
    assert deeper == [], f"{len(deeper)} of {len(gates)} gate registers behind more than one LUT"
    assert max(gates.values()) == 1


def test_lut_levels_count_luts_and_pass_through_carries():
    def cell(kind, ins, outs):
        dirs = {**{p: "input" for p in ins}, **{p: "output" for p in outs}}
        return {"type": kind, "port_directions": dirs, "connections": {**ins, **outs}}
    module = {"cells": {
        "q0": cell("SB_DFF", {"C": [1], "D": [5]}, {"Q": [2]}),
        "lut": cell("SB_LUT4", {"I0": [2], "I1": [3], "I2": ["0"], "I3": ["0"]}, {"O": [4]}),
        "carry": cell("SB_CARRY", {"I0": [4], "I1": [2], "CI": ["0"]}, {"CO": [6]}),
        "lut2": cell("SB_LUT4", {"I0": [6], "I1": [2], "I2": ["0"], "I3": ["0"]}, {"O": [5]}),
        "q1": cell("SB_DFF", {"C": [1], "D": [4]}, {"Q": [7]}),
    }}
    assert lut_levels_at_flip_flops(module) == {"q0": 2, "q1": 1}
