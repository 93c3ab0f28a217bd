"""benchmarks/ecp5_reserve_rows.py: its sites are the LFE5U-85F's, and nextpnr-ecp5 keeps them free.

One tiny design through yosys and nextpnr-ecp5 (a few seconds).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import benchmark_scripts
from lgnhw import tools

reserve = benchmark_scripts.load("ecp5_reserve_rows")
SCRIPT = benchmark_scripts.BENCHMARKS / "ecp5_reserve_rows.py"


def test_reserved_sites_cover_whole_logic_rows_once():
    assert len(reserve.ROWS) * len(reserve.COLUMNS) == 10_455      # the 85F's logic tiles (TRELLIS_RAMW sites)
    cells = reserve.reserved_cells([reserve.ROWS[0], reserve.ROWS[1]], first_bit=100)
    assert len(cells) == 2 * 123 * 16
    bels = [c["attributes"]["BEL"] for c in cells.values()]
    assert len(set(bels)) == len(bels)
    bits = [b for c in cells.values() for b in c["connections"].values()]
    assert sorted(x for (x,) in bits) == list(range(100, 100 + len(cells)))


def test_nextpnr_places_around_the_reserved_rows(tmp_path):
    (tmp_path / "t.v").write_text(
        "module top(input clk, input [7:0] a, output reg [7:0] q);\n"
        "  always @(posedge clk) q <= a + 8'd1;\nendmodule\n")
    tools.run_yosys("read_verilog t.v; synth_ecp5 -top top -json t.json", str(tmp_path), "synthesis")
    # every other logic row reserved: the design goes to the rows left free
    out = subprocess.run([sys.executable, str(SCRIPT), "t.json", "r.json", "--every", "2"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["reserved_rows"] == 42
    subprocess.run([tools.find("nextpnr-ecp5"), "--85k", "--package", "CABGA381", "--json", "r.json",
                    "--write", "p.json", "--seed", "1", "--quiet", "--log", "pnr.log"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=600)
    cells = json.loads((tmp_path / "p.json").read_text())["modules"]["top"]["cells"]
    reserved_rows = set(reserve.ROWS[1::2])
    design = {n: c for n, c in cells.items() if not n.startswith("reserved_")}
    rows = {int(re.match(r"X\d+/Y(\d+)/SLICE", c["attributes"]["NEXTPNR_BEL"])[1])
            for c in design.values() if "SLICE" in c["attributes"].get("NEXTPNR_BEL", "")}
    assert rows and not rows & reserved_rows
    assert sum(n.startswith("reserved_") for n in cells) == 42 * 123 * 16   # none dropped


def test_bad_design_files_get_one_line_and_no_output(tmp_path):
    (tmp_path / "broken.json").write_text('{"modules": {"top": {"cells": {}')
    (tmp_path / "other.json").write_text('{"modules": {"cpu": {}}}')
    for name, why in (("missing.json", "not a readable yosys JSON"), ("broken.json", "not a readable yosys JSON"),
                      ("other.json", "no module 'top'")):
        r = subprocess.run([sys.executable, str(SCRIPT), name, "out.json"], cwd=tmp_path,
                           capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and name in r.stderr and why in r.stderr
        assert not (tmp_path / "out.json").exists()
