"""LUT levels (lgnhw.gateware.lutdepth) against an exhaustive cut enumeration, and the
one-LUT-per-stage property the pipeline plan relies on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lgnhw import ops
from lgnhw.errors import LgnhwError
from lgnhw.formats import load_model
from lgnhw.gateware.lutdepth import lut_levels
from lgnhw.gateware.plan import Plan
from lgnhw.netlist import FIRST_INPUT
from lgnhw.passes import optimize
from lgnhw.randnet import random_layered

ROOT = Path(__file__).resolve().parent.parent


def _read_operands(net, g: int) -> list[int]:
    """Operands gate ``g`` reads (constants and operands its op ignores excluded)."""
    op = int(net.op[g])
    out = []
    for x, used in ((int(net.a[g]), ops.depends_on_a(op)), (int(net.b[g]), ops.depends_on_b(op))):
        if used and x >= FIRST_INPUT:
            out.append(x)
    return out


def exact_levels(net, k: int) -> list[int]:
    """Depth-optimal LUT levels by enumerating every k-feasible cut (exponential; small nets)."""
    level = {s: 0 for s in range(net.first_gate)}
    cuts = {s: [frozenset([s])] for s in range(FIRST_INPUT, net.first_gate)}
    out = []
    for g in range(net.num_gates):
        operand_cuts = [cuts[x] for x in _read_operands(net, g)] or [[frozenset()]]
        cand = {frozenset()}
        for options in operand_cuts:
            cand = {c | o for c in cand for o in options if len(c | o) <= k}
        sig = net.first_gate + g
        level[sig] = min(max((level[x] for x in c), default=0) + 1 for c in cand)
        cuts[sig] = list(cand) + [frozenset([sig])]
        out.append(level[sig])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_levels_are_depth_optimal_on_random_nets(seed, k):
    net = random_layered(20, [24] * 7, 2, seed=seed)
    assert lut_levels(net, k).tolist() == exact_levels(net, k)


def test_levels_never_beat_the_exact_optimum_with_few_cuts():
    net = random_layered(12, [16] * 10, 2, seed=9)
    exact = np.array(exact_levels(net, 4))
    for cuts in (2, 3, 8):
        got = np.asarray(lut_levels(net, 4, max_cuts=cuts))
        assert np.all(got >= exact)
        assert np.all(got <= np.asarray(net.levels))     # never worse than a LUT per gate


def test_bad_parameters_are_refused():
    net = random_layered(8, [8], 2, seed=0)
    with pytest.raises(LgnhwError, match="lut_size"):
        lut_levels(net, 1)
    with pytest.raises(LgnhwError, match="max_cuts"):
        lut_levels(net, 4, max_cuts=1)


def _stage_cone_leaves(net, stage) -> dict[int, set]:
    """Per gate signal: the leaves of its cone inside its own stage (operands from
    earlier stages, or inputs, end the cone)."""
    leaves: dict = {}
    for g in range(net.num_gates):
        sig = net.first_gate + g
        out = set()
        for x in _read_operands(net, g):
            same = x >= net.first_gate and stage[x] == stage[sig]
            out |= leaves[x] if same else {x}
        leaves[sig] = out
    return leaves


@pytest.mark.parametrize("model", ["digits", "digits4k", "random"])
def test_one_stage_is_one_lut_at_k1(model):
    """At pipeline_every=1 every signal that leaves its stage (a register, a popcount
    read, an output) is a function of at most 4 signals of earlier stages: one LUT4."""
    if model == "digits":
        net = load_model(ROOT / "lgnhw" / "data" / "digits.lgn")
    elif model == "digits4k":
        net = load_model(ROOT / "benchmarks" / "models" / "digits4k.lgn")
    else:
        net = random_layered(64, [300] * 8, 4, seed=13)
    net, _ = optimize(net)
    plan = Plan.build(net, 1)
    stage, last = plan.gates.stage, plan.gates.last
    cones = _stage_cone_leaves(net, stage)
    leaving = [s for s in cones if last[s] > stage[s] or s in set(net.outputs.tolist())]
    assert leaving
    widths = [len(cones[s]) for s in leaving]
    assert max(widths) <= 4
    # and the ranks sit by LUT level, not gate level: fewer stages than gate levels
    assert plan.gates.out_stage == plan.depth < net.depth


def test_six_input_fabrics_get_fewer_or_equal_stages():
    from lgnhw.gateware import LgnCore
    net = random_layered(48, [200] * 9, 4, seed=21)
    four, six = lut_levels(net, 4), lut_levels(net, 6)
    assert np.all(six <= four) and six.max() < four.max()
    core = LgnCore(net, pipeline_every=1, lut_size=6)
    assert core.plan.lut_size == 6 and core.plan.depth == six.max()
    lut4 = LgnCore(net, pipeline_every=1)
    assert core.plan.gates.out_stage < lut4.plan.gates.out_stage
    assert core.plan.gates.delays.sum() < lut4.plan.gates.delays.sum()
