"""Every pass preserves the function; liveness agrees with a networkx reference."""

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lgnhw import Netlist
from lgnhw.golden import class_counts
from lgnhw.passes import PIPELINE, collapse, const_fold, dead_gates, optimize, passthrough, strash
from lgnhw.passes.rewrite import live_gates
from lgnhw.randnet import random_dag, random_layered

PASSES = [dead_gates, const_fold, passthrough, strash, collapse]


@st.composite
def netlists(draw, max_inputs=6, max_gates=80):
    """Random DAGs with skip connections, constants, duplicates and wires."""
    n_in = draw(st.integers(1, max_inputs))
    n_gates = draw(st.integers(0, max_gates))
    classes = draw(st.integers(1, 4))
    group = draw(st.integers(1, 5))
    ops_, a, b = [], [], []
    for g in range(n_gates):
        hi = 2 + n_in + g - 1
        ops_.append(draw(st.integers(0, 15)))
        a.append(draw(st.integers(0, hi)))
        b.append(draw(st.integers(0, hi)))
    n_sig = 2 + n_in + n_gates
    outputs = draw(st.lists(st.integers(0, n_sig - 1), min_size=classes * group, max_size=classes * group))
    bias = draw(st.lists(st.integers(0, 3), min_size=classes, max_size=classes))
    return Netlist(n_in, ops_, a, b, outputs, classes, bias=bias).check()


def all_inputs(n):
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8)


def assert_same_function(before, after):
    x = all_inputs(before.num_inputs)
    assert np.array_equal(class_counts(before, x), class_counts(after, x))


@pytest.mark.parametrize("fn", PASSES, ids=lambda f: f.__name__)
@settings(max_examples=150, deadline=None)
@given(net=netlists())
def test_each_pass_preserves_function_exhaustively(fn, net):
    out = fn(net)
    out.check()
    assert out.num_gates <= net.num_gates
    assert_same_function(net, out)
    # Pure: the input netlist is untouched (arrays are read-only, so this also
    # guards against in-place tricks through views).
    assert not net.op.flags.writeable


@settings(max_examples=150, deadline=None)
@given(net=netlists())
def test_pipeline_preserves_function_and_reaches_fixpoint(net):
    out, report = optimize(net, check=True)
    assert_same_function(net, out)
    assert sum(p["gates_removed"] for p in report) == net.num_gates - out.num_gates
    again, _ = optimize(out)
    assert again.num_gates == out.num_gates


def test_pipeline_on_larger_random_dags():
    rng = np.random.default_rng(7)
    for seed in range(10):
        net = random_dag(40, 3000, 60, 6, seed=seed, const_prob=0.02, bias_max=2)
        out, _ = optimize(net, check=True)
        x = rng.integers(0, 2, (2000, 40), dtype=np.uint8)
        assert np.array_equal(class_counts(net, x), class_counts(out, x))


def networkx_live(net):
    g = nx.DiGraph()
    g.add_nodes_from(range(net.num_signals))
    gates = np.arange(net.first_gate, net.num_signals)
    g.add_edges_from(zip(net.a.tolist(), gates.tolist()))
    g.add_edges_from(zip(net.b.tolist(), gates.tolist()))
    live = set(net.outputs.tolist())
    for o in net.outputs.tolist():
        live |= nx.ancestors(g, o)
    return np.array([s in live for s in gates.tolist()], dtype=bool)


@pytest.mark.parametrize("seed", range(12))
def test_liveness_matches_networkx(seed):
    net = random_dag(10, 400, 8, 2, seed=seed, window=None if seed % 2 else 30)
    assert np.array_equal(live_gates(net), networkx_live(net))


@settings(max_examples=100, deadline=None)
@given(net=netlists())
def test_liveness_matches_networkx_property(net):
    assert np.array_equal(live_gates(net), networkx_live(net))


def test_constant_outputs_fold_into_bias():
    # class 0: (x0 or not x0) = 1, x0 ; class 1: (x0 and not x0) = 0, x1
    net = Netlist(2, [7, 1], [2, 2], [2, 2], [4, 2, 5, 3], 2, bias=[0, 2])
    net = net.replace(op=[11, 2])  # a or not b with a==b -> 1 ; a and not b with a==b -> 0
    out, _ = optimize(net)
    assert out.num_gates == 0
    assert list(out.bias) == [1, 2] and list(out.outputs) == [0, 2, 0, 3]
    assert_same_function(net, out)


def test_not_is_absorbed_into_consumer_op():
    # g0 = not x0 ; g1 = g0 and x1  ->  one gate: (not x0) and x1 = op 4
    net = Netlist(2, [12, 1], [2, 4], [2, 3], [5], 1)
    out, _ = optimize(net)
    assert out.num_gates == 1 and int(out.op[0]) == 4
    assert list(out.a) == [2] and list(out.b) == [3]


def test_inverter_feeding_an_output_is_kept():
    net = Netlist(1, [12], [2], [2], [3], 1)
    out, _ = optimize(net)
    assert out.num_gates == 1 and int(out.op[0]) == 12
    assert_same_function(net, out)


def test_strash_merges_commuted_and_complemented_gates():
    # and(x0,x1), and(x1,x0), nand(x0,x1): one gate left, outputs keep their values
    net = Netlist(2, [1, 1, 14, 6, 6], [2, 3, 2, 4, 4], [3, 2, 3, 5, 6], [7, 8], 1)
    out = strash(net)
    assert out.num_gates < net.num_gates
    assert_same_function(net, out)
    merged, _ = optimize(net)
    # xor(and, and') = 0 and xor(and, nand) = 1: both outputs fold, into the bias
    assert merged.num_gates == 0 and list(merged.bias) == [1]
    assert_same_function(net, merged)


def test_strash_keeps_the_output_side_of_a_complement_pair():
    # and(x0,x1) feeds only a gate, nand(x0,x1) only an output: the output keeps its
    # polarity, so the nand stays and the gate reading the and absorbs the inversion
    net = Netlist(3, [1, 14, 6], [2, 2, 5], [3, 3, 4], [6, 7], 1)
    out = strash(net)
    assert out.num_gates == 2
    assert_same_function(net, out)
    # the same with the pair listed the other way round
    flipped = Netlist(3, [14, 1, 6], [2, 2, 6], [3, 3, 4], [5, 7], 1)
    assert strash(flipped).num_gates == 2
    assert_same_function(flipped, strash(flipped))


def test_passes_are_explicit_and_ordered():
    assert [name for name, _ in PIPELINE] == ["dead_gates", "const_fold", "passthrough", "strash", "collapse"]


def test_layered_model_keeps_outputs_and_order():
    net = random_layered(30, [200, 200, 100], 10, seed=2)
    out, _ = optimize(net, check=True)
    assert out.num_outputs == net.num_outputs and out.num_classes == net.num_classes
    x = np.random.default_rng(0).integers(0, 2, (500, 30), dtype=np.uint8)
    assert np.array_equal(class_counts(net, x), class_counts(out, x))


def test_collapse_two_level_pairs():
    # g1 = x0 and x1 ; g2 = g1 or x1  (= x1): collapses to one gate on (x0, x1)
    # g3 = x0 xor x1 ; g4 = g3 and g1-like on swapped inputs -> one gate
    net = Netlist(2, [1, 7, 6, 1, 4], [2, 4, 2, 3, 6], [3, 3, 3, 2, 7], [5, 8], 1)
    out = collapse(net)
    assert out.num_gates == 2
    assert_same_function(net, out)


def test_strash_key_falls_back_to_rows_for_huge_netlists():
    from lgnhw.passes.rewrite import _pack_key
    ka, kb, ko = np.array([5, 5, 7]), np.array([9, 9, 9]), np.array([1, 1, 1])
    small = _pack_key(ka, kb, ko, 100)
    huge = _pack_key(ka, kb, ko, 1 << 30)
    assert small.ndim == 1 and huge.shape == (3, 3)
    for keys in (small, huge):
        _, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        assert inverse[0] == inverse[1] != inverse[2]


@pytest.mark.parametrize("fn", PASSES, ids=lambda f: f.__name__)
@settings(max_examples=60, deadline=None)
@given(net=netlists())
def test_depths_a_pass_records_are_the_true_depths(fn, net):
    out = fn(net)
    fresh = Netlist(out.num_inputs, out.op, out.a, out.b, out.outputs, out.num_classes, bias=out.bias)
    assert np.array_equal(out.levels, fresh.levels)
    assert [g.tolist() for g in out.level_groups] == [g.tolist() for g in fresh.level_groups]


def test_check_rejects_wrong_recorded_depths():
    from lgnhw.errors import NetlistError
    net = Netlist(2, [1, 6], [2, 2], [3, 4], [5], 1)
    with pytest.raises(NetlistError, match="recorded gate levels"):
        net._seed_levels([1, 1]).check()      # gate 1 reads gate 0: its depth is 2
    assert net.check().levels.tolist() == [1, 2]
    # a passed check is remembered, but recording depths makes the next check verify them
    with pytest.raises(NetlistError, match="recorded gate levels"):
        net._seed_levels([1, 1]).check()


@pytest.mark.parametrize("seed", range(5))
def test_first_equal_matches_numpy_unique(seed):
    from lgnhw.passes.rewrite import _first_equal
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 40, size=200)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    assert np.array_equal(_first_equal(keys), first[inverse])
    rows = rng.integers(0, 3, size=(50, 3))
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    assert np.array_equal(_first_equal(rows), first[inverse.reshape(-1)])


@pytest.mark.parametrize("seed", range(4))
def test_first_equal_hashed_path_matches_numpy_unique(seed):
    from lgnhw.passes.rewrite import _HASH_MIN, _first_equal
    rng = np.random.default_rng(seed)
    n = 3 * _HASH_MIN
    # mostly distinct large keys, some repeated, in random order
    keys = rng.integers(0, 1 << 60, size=n)
    keys[rng.integers(0, n, size=n // 5)] = keys[rng.integers(0, n, size=n // 5)]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    assert np.array_equal(_first_equal(keys), first[inverse])


def _same_netlist(x, y):
    return all(np.array_equal(getattr(x, f), getattr(y, f)) for f in ("op", "a", "b", "outputs", "bias"))


@settings(max_examples=150, deadline=None)
@given(net=netlists())
def test_idle_checks_never_skip_a_change(net):
    from lgnhw.passes.rewrite import consts_idle, rewrite, wires_idle
    for n in (net, optimize(net)[0]):
        if consts_idle(n):
            assert _same_netlist(rewrite(n, consts=True), n)
        if wires_idle(n):
            assert _same_netlist(rewrite(n, wires=True), n)


@pytest.mark.parametrize("seed", range(4))
def test_idle_checks_hold_on_optimised_netlists(seed):
    from lgnhw.passes.rewrite import consts_idle, wires_idle
    net = random_dag(12, 600, 40, 4, seed=seed, window=60, const_prob=0.05)
    assert not consts_idle(net)
    opt, _ = optimize(net)
    assert consts_idle(opt) and wires_idle(opt)


@pytest.mark.parametrize("rule", ["consts", "wires", "hashing", "collapse"])
@settings(max_examples=60, deadline=None)
@given(net=netlists())
def test_rewrite_swept_is_sweep_dead_of_rewrite(rule, net):
    from lgnhw.passes.rewrite import rewrite, rewrite_swept, sweep_dead
    fused = rewrite_swept(net, **{rule: True})
    assert _same_netlist(fused, sweep_dead(rewrite(net, **{rule: True}), net.level_groups))
    assert np.array_equal(fused.levels, Netlist(fused.num_inputs, fused.op, fused.a, fused.b,
                                                fused.outputs, fused.num_classes).levels)
