"""Amaranth gateware against the golden model, in Amaranth's own simulator."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from lgnhw import golden
from lgnhw.errors import LgnhwError
from lgnhw.gateware import Argmax, GateNetwork, LgnCore, Popcount, latency
from lgnhw.gateware.plan import Plan, adder_tree, level_stage
from lgnhw.gateware.lutdepth import lut_levels
from lgnhw.netlist import Netlist


# -- helpers -------------------------------------------------------------------

def random_net(seed, num_inputs=6, num_gates=40, num_classes=3, group=4, skip=True, bias=True):
    """A random netlist: gates read any earlier signal (skip connections, constants,
    inputs), outputs are any signals (also constants and inputs)."""
    rng = np.random.default_rng(seed)
    first = 2 + num_inputs
    hi = first + np.arange(num_gates)
    if skip:
        a = rng.integers(0, hi)
        b = rng.integers(0, hi)
    else:  # strictly layered-ish: read from the last few signals
        lo = np.maximum(2, hi - 6)
        a, b = rng.integers(lo, hi), rng.integers(lo, hi)
    outputs = rng.integers(0, first + num_gates, num_classes * group)
    outputs[-group:] = first + num_gates - 1 - np.arange(group)  # the deepest gates are read
    bias_arr = rng.integers(0, 3, num_classes) if bias else None
    return Netlist(num_inputs=num_inputs, op=rng.integers(0, 16, num_gates), a=a, b=b,
                   outputs=outputs, num_classes=num_classes, bias=bias_arr).check()


def _word(row) -> int:
    return int(sum(int(v) << j for j, v in enumerate(row)))


def decode(word: int, plan: Plan) -> tuple[int, list[int]]:
    """Split an o__payload word by the contract's bit layout."""
    cw, nw = plan.class_width, plan.count_width
    cls = word & ((1 << cw) - 1)
    counts = [(word >> (cw + c * nw)) & ((1 << nw) - 1) for c in range(plan.num_classes)]
    return cls, counts


def run_core(core: LgnCore, bits: np.ndarray, valid_p=1.0, ready_p=1.0, seed=0):
    """Stream ``bits`` through ``core``; return (results [(cls, counts)], cycles)."""
    rng = np.random.default_rng(seed)
    words = [_word(r) for r in bits]
    results = []
    state = {"cycles": 0}

    async def bench(ctx):
        sent = 0
        limit = 40 * (len(words) + core.latency + 10)
        while len(results) < len(words):
            assert state["cycles"] < limit, "core stopped producing results"
            valid = sent < len(words) and rng.random() < valid_p
            ready = core.always_ready or rng.random() < ready_p
            ctx.set(core.i.valid, valid)
            ctx.set(core.i.payload, words[sent] if sent < len(words) else 0)
            if not core.always_ready:
                ctx.set(core.o.ready, ready)
            if ctx.get(core.o.valid) and ready:
                results.append(decode(ctx.get(core.o.payload.as_value()), core.plan))
            if valid and (core.always_ready or ctx.get(core.i.ready)):
                sent += 1
            await ctx.tick()
            state["cycles"] += 1

    sim = Simulator(core)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return results, state["cycles"]


def assert_matches_golden(net, bits, results):
    counts, pred = golden.predict(net, bits)
    got_cls = np.array([r[0] for r in results])
    got_counts = np.array([r[1] for r in results])
    np.testing.assert_array_equal(got_counts, counts)
    np.testing.assert_array_equal(got_cls, pred)


def measure_latency(core: LgnCore, bits_row) -> int:
    """Cycles from one input transfer until o.valid, with o.ready high."""
    seen = {}

    async def bench(ctx):
        ctx.set(core.i.payload, _word(bits_row))
        ctx.set(core.i.valid, 1)
        if not core.always_ready:
            ctx.set(core.o.ready, 1)
        for cycle in range(core.latency + 5):
            if ctx.get(core.o.valid):
                seen["at"] = cycle
                return
            await ctx.tick()
            ctx.set(core.i.valid, 0)

    sim = Simulator(core)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen["at"]


# -- the whole core ------------------------------------------------------------

@pytest.mark.parametrize("op", range(16))
def test_every_op_exhaustively(op):
    # One gate per op on inputs (x0, x1), plus the gate on (x1, x0) and on constants.
    net = Netlist(num_inputs=2, op=[op, op, op, op], a=[2, 3, 0, 1], b=[3, 2, 1, 0],
                  outputs=[4, 5, 6, 7], num_classes=2).check()
    bits = np.array([[a, b] for a in (0, 1) for b in (0, 1)], dtype=np.uint8)
    core = LgnCore(net, pipeline_every=1)
    results, _ = run_core(core, bits)
    assert_matches_golden(net, bits, results)
    # The gate's own output for every input combination is visible in the counts.
    outs = [(r[1][0] - (0)) for r in results]
    expected = [((op >> (3 - (2 * a + b))) & 1) + ((op >> (3 - (2 * b + a))) & 1)
                for a in (0, 1) for b in (0, 1)]
    assert outs == expected


@pytest.mark.parametrize("k", [0, 1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_nets_full_throughput(k, seed):
    net = random_net(seed, num_classes=3 + seed % 2)
    bits = np.random.default_rng(seed).integers(0, 2, (40, net.num_inputs), dtype=np.uint8)
    core = LgnCore(net, pipeline_every=k)
    results, cycles = run_core(core, bits)
    assert_matches_golden(net, bits, results)
    assert cycles == len(bits) + core.latency  # one result per clock


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_measured_latency_equals_attribute(k):
    net = random_net(7, num_gates=50)
    core = LgnCore(net, pipeline_every=k)
    assert core.latency == latency(net, k)
    assert measure_latency(core, np.ones(net.num_inputs, dtype=np.uint8)) == core.latency


@pytest.mark.parametrize("k", [1, 2])
def test_backpressure_and_bubbles_keep_order(k):
    net = random_net(11, num_classes=5, group=3)
    bits = np.random.default_rng(3).integers(0, 2, (60, net.num_inputs), dtype=np.uint8)
    core = LgnCore(net, pipeline_every=k)
    results, cycles = run_core(core, bits, valid_p=0.6, ready_p=0.5, seed=k)
    assert_matches_golden(net, bits, results)
    assert cycles > len(bits) + core.latency  # stalls really happened


def test_always_ready_variant():
    net = random_net(5)
    bits = np.random.default_rng(5).integers(0, 2, (30, net.num_inputs), dtype=np.uint8)
    core = LgnCore(net, pipeline_every=2, always_ready=True)
    assert not hasattr(core.i, "ready") or core.i.signature.always_ready
    results, _ = run_core(core, bits, valid_p=0.7, seed=2)
    assert_matches_golden(net, bits, results)


def test_layered_net_without_skips():
    net = random_net(9, num_gates=60, skip=False, bias=False, num_classes=2, group=6)
    bits = np.random.default_rng(9).integers(0, 2, (30, net.num_inputs), dtype=np.uint8)
    results, _ = run_core(LgnCore(net, pipeline_every=1), bits)
    assert_matches_golden(net, bits, results)


def test_single_class_and_constant_outputs():
    # One class, outputs a constant 1, a constant 0 and an input: count = 1 + x0 + bias.
    net = Netlist(num_inputs=1, op=[6], a=[2], b=[2], outputs=[1, 0, 2], num_classes=1,
                  bias=[2]).check()
    bits = np.array([[0], [1]], dtype=np.uint8)
    core = LgnCore(net)
    results, _ = run_core(core, bits)
    assert_matches_golden(net, bits, results)
    assert [r[1][0] for r in results] == [3, 4]


# -- schedule ------------------------------------------------------------------

def test_plan_latency_formula_and_ranks():
    net = random_net(3, num_gates=50)
    for k in (1, 2, 3, 5):
        plan = Plan.build(net, k)
        assert plan.latency == plan.head_start + 2 * plan.compare_levels == latency(net, k)
        g = plan.gates
        # gates: a rank after every K LUT levels, counted back from the last level
        lv = np.asarray(lut_levels(net))
        assert plan.depth == lv.max()
        assert g.stage[net.first_gate:].tolist() == ((lv - 1 + (-plan.depth) % k) // k).tolist()
        # every gate reads its inputs no earlier than they are made
        gate_stage = g.stage[net.first_gate:]
        from lgnhw import ops
        reads_a = ops.depends_on_a(net.op.astype(int)).astype(bool)
        reads_b = ops.depends_on_b(net.op.astype(int)).astype(bool)
        for src, reads in ((net.a, ops.depends_on_a(net.op.astype(int))),
                           (net.b, ops.depends_on_b(net.op.astype(int)))):
            nonconst = src >= 2
            assert np.all(g.stage[src[nonconst]] <= gate_stage[nonconst])
            read = nonconst & reads.astype(bool)      # operands an op ignores are not kept alive
            assert np.all(g.last[src[read]] >= gate_stage[read])
        for c, tree in enumerate(plan.trees):
            sigs = plan.leaf_signals(c)
            read = tree.stage[:tree.num_bits]
            # a bit is read after its gate's rank, or fused in its gate's stage when the
            # gate's operands are registers (or inputs)
            made = g.stage[sigs]
            gate = sigs >= net.first_gate
            first = np.zeros(sigs.size, dtype=bool)
            for i in np.flatnonzero(gate):
                j = sigs[i] - net.first_gate
                operands = [int(x) for x, used in ((net.a[j], reads_a[j]), (net.b[j], reads_b[j])) if used]
                first[i] = all(x < net.first_gate or g.stage[x] < made[i] for x in operands)
            assert np.all((read > made) | ~gate | (first & (read == made)))
            assert np.all(read <= plan.head_start)
            assert np.all(g.last[sigs] >= read)
            # adders read adders from earlier stages or, for K >= 2, from their own stage:
            # at most two adder levels (K = 1: one) between two register ranks
            per = 2 if k >= 2 else 1
            comb_depth = {}
            for n in tree.adders.tolist():
                ops = [o for o in (tree.a[n], tree.b[n], tree.c[n]) if o >= tree.num_bits + (tree.constant > 0)]
                assert all(tree.stage[o] <= tree.stage[n] == tree.read[o] for o in ops)
                comb_depth[n] = 1 + max([comb_depth[o] for o in ops if tree.stage[o] == tree.stage[n]],
                                        default=0)
                assert comb_depth[n] <= per
            if tree.root >= 0:
                assert tree.maxval[tree.root] == tree.num_bits + tree.constant
                assert tree.end == plan.head_start
    assert latency(net, 0) == 0
    flat = Plan.build(net, 0)
    assert all(not t.stage.any() and not t.read.any() for t in flat.trees)
    assert not flat.gates.last.any()


def test_level_stage_registers_every_k_levels():
    # phase 0, K=2: levels 1,2 in stage 0, levels 3,4 in stage 1 ...
    assert level_stage([0, 1, 2, 3, 4, 5], 2, 0).tolist() == [0, 0, 0, 1, 1, 2]
    assert level_stage([0, 1, 2, 3], 1, 0).tolist() == [0, 0, 1, 2]
    assert level_stage([0, 5, 9], 0, 0).tolist() == [0, 0, 0]


def test_adder_tree_shape():
    t = adder_tree(5, constant=3)
    assert t.maxval[t.root] == 8
    adders = t.adders
    assert np.all(t.maxval[adders] == t.maxval[t.a[adders]] + t.maxval[t.b[adders]]
                  + np.where(t.c[adders] >= 0, t.maxval[np.maximum(t.c[adders], 0)], 0))
    assert np.all(t.maxval[t.c[adders][t.c[adders] >= 0]] == 1)  # carry-ins are single bits
    # every node but the root is read exactly once
    used = np.concatenate([t.a[adders], t.b[adders], t.c[adders]])
    used = used[used >= 0]
    assert sorted(used.tolist() + [t.root]) == list(range(t.num_nodes))
    assert adder_tree(0).root == -1
    assert adder_tree(1).root == 0 and adder_tree(1).end == 0
    # 9 bits: three full adders (stage 0), 3 + 3 with the third carried (stage 1), 6 + 3 (stage 2)
    t9 = adder_tree(9)
    assert t9.end == 3 and len(t9.adders) == 5 and t9.maxval[t9.adders].tolist() == [3, 3, 3, 6, 9]
    # late bits become carry-ins of adders of earlier ones
    late = adder_tree(7, ready_at=[0, 0, 0, 0, 0, 0, 1])
    assert late.c[late.adders].max() == 6 or 6 in late.a.tolist() + late.b.tolist()


@pytest.mark.parametrize("num_bits, per", [(60, 1), (99, 1), (60, 2), (99, 2), (100, 2)])
def test_full_adder_sums_find_carry_ins(num_bits, per):
    """Bits kept back as carry-ins count the sums the full adders of the same
    (sub-)stage make: the adders over two full-adder sums take a third bit as
    carry-in (reserved before those sums existed, none of them had one)."""
    t = adder_tree(num_bits, levels_per_stage=per)
    adders, nb = t.adders, t.num_bits
    first = {int(n) for n in adders if t.a[n] < nb and t.b[n] < nb}
    second = [int(n) for n in adders if t.a[n] in first and t.b[n] in first]
    assert len(second) >= 8
    assert sum(t.c[n] >= 0 for n in second) >= len(second) - 1


def test_settings_are_checked():
    net = random_net(1)
    with pytest.raises(LgnhwError, match=r"^pipeline_every must be a non-negative integer, not -1$"):
        LgnCore(net, pipeline_every=-1)
    with pytest.raises(LgnhwError, match=r"^pipeline_every must be a non-negative integer, not 1.5$"):
        LgnCore(net, pipeline_every=1.5)
    with pytest.raises(LgnhwError, match=r"^always_ready must be True or False, not 1$"):
        LgnCore(net, always_ready=1)
    with pytest.raises(LgnhwError, match=r"^netlist must be a Netlist, not str$"):
        LgnCore("model.lgn")
    with pytest.raises(LgnhwError, match=r"^num_classes must be a positive integer, not 0$"):
        Argmax(0, 4)
    with pytest.raises(LgnhwError, match=r"^num_bits must be a non-negative integer, not -2$"):
        Popcount(-2)


# -- components alone ----------------------------------------------------------

def _run_steps(dut, steps):
    """Drive ``dut`` with a list of [(signal, value)] per cycle (en held 1); collect ``read()`` results."""
    out = []

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for drive, read in steps:
            for sig, value in drive:
                ctx.set(sig, value)
            out.append(read(ctx))
            if dut.latency:
                await ctx.tick()
            else:  # purely combinational: no clock domain exists
                await ctx.delay(1e-6)

    sim = Simulator(dut)
    if dut.latency:
        sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out


@pytest.mark.parametrize("k", [0, 1, 2])
def test_popcount_alone(k):
    rng = np.random.default_rng(k)
    n, const = 11, 5
    pc = Popcount(n, const, pipeline_every=k)
    words = rng.integers(0, 1 << n, 30).tolist()
    lat = pc.latency
    assert lat == (0 if k == 0 else adder_tree(n, const).end) and (k == 0 or lat >= 2)
    steps = [([(pc.bits, w)], lambda ctx: ctx.get(pc.count)) for w in words + [0] * lat]
    got = _run_steps(pc, steps)[lat:]
    assert got == [bin(w).count("1") + const for w in words]


@pytest.mark.parametrize("k", [0, 1])
def test_argmax_alone_ties_to_lowest_index(k):
    am = Argmax(5, 3, pipeline_every=k)
    rng = np.random.default_rng(4)
    rows = [[2, 7, 7, 1, 7], [0, 0, 0, 0, 0], [3, 3, 1, 3, 4], [6, 6, 6, 6, 6], [1, 2, 3, 4, 4]]
    rows += rng.integers(0, 3, (40, 5)).tolist()  # many ties
    lat = am.latency
    assert lat == (0 if k == 0 else 6)  # 3 compare levels, compare + select stages each

    def drive(row):
        return [(am.counts[c], v) for c, v in enumerate(row)]

    def read(ctx):
        return ctx.get(am.cls), [ctx.get(am.counts_out[c]) for c in range(5)]

    steps = [(drive(r), read) for r in rows] + [(drive([0] * 5), read)] * lat
    got = _run_steps(am, steps)[lat:]
    assert [g[0] for g in got] == np.argmax(np.array(rows), axis=1).tolist()
    assert [g[1] for g in got] == rows


def test_gate_network_alone():
    net = random_net(21, num_gates=30)
    gn = GateNetwork(net, pipeline_every=2)
    bits = np.random.default_rng(2).integers(0, 2, (20, net.num_inputs), dtype=np.uint8)
    vals = golden.unpack_bits(golden.evaluate_packed(net, golden.pack_bits(bits))[net.outputs], len(bits))
    lat = gn.latency
    steps = [([(gn.x, _word(r))], lambda ctx: ctx.get(gn.y)) for r in bits]
    steps += [([(gn.x, 0)], lambda ctx: ctx.get(gn.y))] * lat
    got = _run_steps(gn, steps)[lat:]
    assert got == [_word(r) for r in vals]


def edge_nets() -> dict:
    """Corner cases: no gates (latency 0 even with K>=1), constant-only classes, C=9."""
    return {
        "wire_only": Netlist(num_inputs=1, op=[], a=[], b=[], outputs=[2], num_classes=1),
        "all_const": Netlist(num_inputs=2, op=[1], a=[2], b=[3], outputs=[0, 1, 1, 0],
                             num_classes=2, bias=[0, 3]),
        "zero_class": Netlist(num_inputs=2, op=[1], a=[2], b=[3], outputs=[0, 0, 4, 2], num_classes=2),
        "many_classes": Netlist(num_inputs=3, op=[6, 7, 1], a=[2, 3, 4], b=[3, 4, 2],
                                outputs=[5, 6, 7, 2, 3, 4, 0, 1, 5], num_classes=9,
                                bias=[0, 1, 0, 0, 2, 0, 0, 0, 1]),
    }


@pytest.mark.parametrize("name", sorted(edge_nets()))
@pytest.mark.parametrize("k", [0, 2])
def test_corner_case_nets(name, k):
    net = edge_nets()[name].check()
    bits = np.random.default_rng(0).integers(0, 2, (16, net.num_inputs), dtype=np.uint8)
    core = LgnCore(net, pipeline_every=k)
    results, _ = run_core(core, bits, valid_p=0.7, ready_p=0.7)
    assert_matches_golden(net, bits, results)
