"""The harness's vector/result file formats (pure Python; no simulator needed)."""

from __future__ import annotations

import numpy as np
import pytest

from lgnhw.axistream import AxisLayout
from lgnhw.gateware.plan import class_width, count_width
from lgnhw.randnet import random_dag
from lgnhw.verify.harness import (bits_to_hex, encode_payload, harness_verilog, hex_to_fields,
                                  memory_depth, payload_layout)


@pytest.mark.parametrize("seed", range(4))
def test_payload_layout_matches_the_gateware_plan(seed):
    net = random_dag(6, 40, 12 * (seed + 1), seed + 1, seed=seed, bias_max=7 * seed)
    lay = payload_layout(net)
    assert lay["cw"] == class_width(net.num_classes)
    assert lay["nw"] == count_width(net)
    assert lay["width"] == lay["cw"] + net.num_classes * lay["nw"]


@pytest.mark.parametrize("width", [1, 3, 4, 5, 64, 131])
def test_bits_to_hex_is_payload_order(width):
    bits = np.random.default_rng(width).integers(0, 2, (50, width), dtype=np.uint8)
    text, digits = bits_to_hex(bits)
    lines = text.decode().splitlines()
    assert len(lines) == 50 and all(len(s) == digits for s in lines)
    for row, line in zip(bits, lines):
        assert int(line, 16) == sum(int(b) << j for j, b in enumerate(row))  # input j = bit j


def test_hex_fields_round_trip_and_unknowns():
    lay = {"cw": 4, "nw": 7, "width": 4 + 10 * 7, "classes": 10}
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 128, (200, 10))
    cls = rng.integers(0, 10, 200)
    text, _ = bits_to_hex(encode_payload(cls, counts, lay))
    lines = text.decode().splitlines()
    lines[7] = "x" + lines[7][1:]        # an X from the simulator
    lines[9] = lines[9].lstrip("0")      # $writememh may drop leading zeros
    got_cls, got_counts, unknown = hex_to_fields(lines, lay)
    assert np.flatnonzero(unknown).tolist() == [7]
    keep = ~unknown
    assert np.array_equal(got_cls[keep], cls[keep])
    assert np.array_equal(got_counts[keep], counts[keep])
    assert got_cls[7] == -1


def test_memory_depth_bounds():
    assert memory_depth(8, 20) == 65536
    assert memory_depth(100_000, 20) == 512
    d = memory_depth(3000, 100)
    assert d & (d - 1) == 0 and d * 3000 <= 1 << 26


def test_harness_variants_name_the_right_ports():
    plain = harness_verilog("core_x", 5, 9, 256)
    assert "core_x dut" in plain and ".o__ready(core_o_ready)" in plain
    ar = harness_verilog("core_x", 5, 9, 256, always_ready=True)
    assert "i__ready" not in ar.split("core_x dut")[1].split(");")[0]
    axis = harness_verilog("core_x", 5, 9, 256, axis=AxisLayout.of(5, 2, 1, 4))
    assert "core_x_axis dut" in axis and ".aresetn(!rst)" in axis
    assert "axis_i = {3'd0, core_i_payload}" in axis                    # 5 bits in one byte
    assert "core_o_payload = {axis_o[19:16], axis_o[11:8], axis_o[0:0]}" in axis
    with pytest.raises(ValueError):
        harness_verilog("core_x", 5, 9, 100)
