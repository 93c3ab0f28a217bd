import numpy as np
import pytest

from lgnhw import Netlist, NetlistError
from lgnhw.randnet import random_dag, random_layered


def small(**over):
    fields = dict(num_inputs=2, op=[1, 6], a=[2, 4], b=[3, 2], outputs=[4, 5], num_classes=2)
    fields.update(over)
    return Netlist(**fields)


def test_valid_netlist_passes_check():
    net = small().check()
    assert net.num_gates == 2 and net.first_gate == 4 and net.num_signals == 6
    assert list(net.levels) == [1, 2] and net.depth == 2


def test_arrays_are_read_only():
    net = small()
    with pytest.raises(ValueError):
        net.op[0] = 3


@pytest.mark.parametrize("over, message", [
    (dict(op=[1, 16]), "gate 1 has op 16"),
    (dict(a=[2, 5]), "gate 1 (signal 5) input a reads signal 5, which is not earlier"),
    (dict(b=[3, 9]), "reads signal 9, which is out of range"),
    (dict(a=[-1, 4]), "which is out of range"),
    (dict(outputs=[4, 5, 5]), "3 outputs cannot be split into 2 equal class groups"),
    (dict(outputs=[4, 6]), "output 1 reads signal 6, out of range"),
    (dict(outputs=[]), "no outputs"),
    (dict(bias=[1, 2, 3]), "bias has shape (3,)"),
    (dict(tau=float("nan")), "tau is nan"),
    (dict(num_classes=0), "num_classes is 0"),
    (dict(thresholds=[[0.5, 0.2, 0.1]]), "thresholds have shape (1, 3)"),
    (dict(thresholds=[[np.nan], [0.1]]), "thresholds contain NaN"),
    (dict(b=[3]), "op, a and b must have equal lengths"),
])
def test_check_names_the_problem(over, message):
    with pytest.raises(NetlistError, match=None) as err:
        small(**over).check()
    assert message in str(err.value)


def test_wrong_types_are_rejected():
    with pytest.raises(NetlistError, match="expected integers"):
        small(a=[2.5, 4.0])
    with pytest.raises(NetlistError, match="outside int32 range"):
        small(a=[2, 1 << 40])


def test_levels_match_scalar_reference():
    for net in (random_dag(5, 300, 10, 2, seed=3), random_layered(8, [20, 20, 20], 4, seed=1),
                random_dag(3, 70000, 4, 2, seed=5, window=2)):  # long chains: scalar fallback
        expect = np.zeros(net.num_signals, dtype=int)
        for g in range(net.num_gates):
            expect[net.first_gate + g] = 1 + max(expect[net.a[g]], expect[net.b[g]])
        assert np.array_equal(net.levels, expect[net.first_gate:])
        groups = net.level_groups
        assert sum(len(g) for g in groups) == net.num_gates
        for d, g in enumerate(groups, start=1):
            assert (net.levels[g] == d).all()


def test_from_layers_offsets_and_outputs():
    net = Netlist.from_layers(3, [([1, 6], [0, 1], [2, 2]), ([7, 7], [0, 1], [1, 0])], 2)
    assert list(net.a) == [2, 3, 5, 6] and list(net.b) == [4, 4, 6, 5]
    assert list(net.outputs) == [7, 8]
    with pytest.raises(NetlistError, match="layer 1: input a index out of range 0..1"):
        Netlist.from_layers(3, [([1, 6], [0, 1], [2, 2]), ([7], [2], [0])], 1)


@pytest.mark.parametrize("block", [1, 3, 4, 1 << 16])
def test_first_unordered_matches_the_direct_check_across_blocks(block):
    from lgnhw.netlist import first_unordered
    rng = np.random.default_rng(block)
    first = 5
    for _ in range(50):
        g = int(rng.integers(0, 12))
        own = first + np.arange(g)
        idx = (rng.integers(0, own + 1) if g else np.zeros(0, dtype=np.int64)).astype(np.int32)
        if g and rng.random() < 0.7:         # plant one bad input (itself, later, or negative)
            at = int(rng.integers(0, g))
            idx[at] = rng.choice([own[at], own[at] + 3, -1])
        bad = np.flatnonzero((idx < 0) | (idx >= own))
        assert first_unordered(idx, first, block=block) == (int(bad[0]) if bad.size else -1)


@pytest.mark.parametrize("seed", range(3))
def test_level_groups_hold_the_gates_of_each_depth(seed):
    from lgnhw.passes import dead_gates
    net = random_dag(10, 300, 20, 2, seed=seed, window=40)
    for n in (net, dead_gates(net)):                 # listed as generated, and level by level
        lv = n.levels
        assert [g.tolist() for g in n.level_groups] == \
            [np.flatnonzero(lv == d).tolist() for d in range(1, n.depth + 1)]
    assert np.all(np.diff(dead_gates(net).levels) >= 0)
