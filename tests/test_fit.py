"""The fit check's prediction: exact where the plan is exact, sane elsewhere, and fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lgnhw import devices, fit
from lgnhw.gateware.plan import Plan
from lgnhw.netlist import FIRST_INPUT
from lgnhw.passes import optimize
from lgnhw.randnet import random_layered
from lgnhw.verilog import register_bits


@pytest.fixture(scope="module")
def net():
    return optimize(random_layered(64, [300] * 5, 10, seed=11))[0]


def test_cone_mapping_bounds(net):
    assert fit.cone_luts(Plan.build(net, 1), 2) == net.num_gates   # LUT2s: one per gate
    one = fit.cone_luts(Plan.build(net, 1), 4)
    assert 0.4 * net.num_gates < one < net.num_gates  # one LUT level per stage: cones of gates
    two = fit.cone_luts(Plan.build(net, 2), 4)
    three = fit.cone_luts(Plan.build(net, 3), 4)
    assert three <= two <= one
    assert fit.cone_luts(Plan.build(net, 3), 6) <= three   # a LUT6 holds every LUT4 cone


@pytest.mark.parametrize("k", [1, 2, 3])
def test_flip_flops_of_the_core_are_the_plans_registers(net, k):
    plan = Plan.build(net, k)
    parts = fit.predict(plan, devices.device("LFE5U-85F"), shell=False)["parts"]
    assert parts["gate_layers"]["ffs"] == int(plan.gates.delays[FIRST_INPUT:].sum())
    pop = sum(int((t.delays() * t.widths()).sum()) for t in plan.trees if t.root >= 0)
    assert parts["popcount"]["ffs"] == pop
    # the data registers the Verilog writer counts, without block RAM (ECP5 keeps flip-flops)
    core = parts["gate_layers"]["ffs"] + parts["popcount"]["ffs"]
    assert core <= register_bits(plan)


def test_families_differ_where_the_fabric_does(net):
    plan = Plan.build(net, 2)
    ice40 = fit.predict(plan, devices.device("iCE40HX8K"))
    ecp5 = fit.predict(plan, devices.device("LFE5U-85F"))
    xil = fit.predict(plan, devices.device("xc7a100t"))
    assert ice40["brams"] > 0 and ecp5["brams"] == 0       # the counts' delay line: BRAM on iCE40 only
    assert xil["ffs"] < ecp5["ffs"]                          # SRLs take long delay chains on Xilinx
    assert ice40["carries"] > ecp5["carries"]               # one SB_CARRY per bit vs one CCU2C per two


def test_prediction_is_fast_on_a_large_netlist():
    big = random_layered(784, [50_000] * 4, 10, seed=1, ops=[1, 2, 4, 6, 7, 8, 9, 11, 13, 14])
    plan = Plan.build(big, 2)
    t0 = time.perf_counter()
    res = fit.predict(plan, devices.device("xcvu9p"))
    assert time.perf_counter() - t0 < 10
    assert res["luts"] > 50_000 and np.isfinite(res["ffs"])
