"""Equivalence checking: SAT proofs, counterexamples, score (not bit) semantics, CLI."""

import json

import numpy as np
import pytest

from lgnhw import LgnhwError, write_lgn
from lgnhw.cli import main
from lgnhw import tools
from lgnhw.equiv import bitwise_miter, equivalent, miter_netlist
from lgnhw.golden import class_counts
from lgnhw.passes import optimize
from lgnhw.randnet import random_dag, random_layered

needs_yosys = pytest.mark.skipif(not tools.available("yosys"), reason="yosys not installed")


@pytest.fixture(scope="module")
def pair():
    net = random_layered(40, [300, 300, 200], 10, seed=7)
    return net, optimize(net)[0]


def permuted_within_classes(net, seed=0):
    g = net.group_size
    rng = np.random.default_rng(seed)
    perm = np.concatenate([c * g + rng.permutation(g) for c in range(net.num_classes)])
    return net.replace(outputs=net.outputs[perm])


def test_miter_output_is_one_exactly_where_scores_differ():
    for seed in range(6):
        a = random_dag(6, 40, 12, 3, seed=seed, bias_max=3)
        b = random_dag(6, 40, 12, 3, seed=seed + 50, bias_max=3) if seed % 2 else \
            a.replace(bias=a.bias + np.array([1, 0, -2]))
        x = np.array(np.unravel_index(np.arange(64), (2,) * 6)).T.astype(np.uint8)
        trig = class_counts(miter_netlist(a, b), x)[:, 0]
        assert np.array_equal(trig.astype(bool), (class_counts(a, x) != class_counts(b, x)).any(1))


@needs_yosys
def test_optimized_net_is_proven_equivalent_by_sat(pair):
    net, opt = pair
    assert opt.num_gates < net.num_gates
    r = equivalent(net, opt, timeout=120)
    assert (r["equivalent"], r["proven"], r["method"]) == (True, True, "sat")
    assert r["counterexample"] is None and r["seconds"] > 0


@needs_yosys
def test_outputs_permuted_within_class_are_equivalent(pair):
    net, opt = pair
    r = equivalent(net, permuted_within_classes(opt), timeout=120)
    assert (r["equivalent"], r["method"]) == (True, "sat")


@needs_yosys
def test_different_bits_equal_scores_need_the_score_miter():
    # B replaces outputs (x, y) of class 0 by (x and y, x or y): same count, other bits.
    net = random_layered(24, [60, 60, 40], 2, seed=3)
    x, y = int(net.outputs[0]), int(net.outputs[1])
    n = net.num_signals
    b = net.replace(op=np.append(net.op, [1, 7]), a=np.append(net.a, [x, x]),
                    b=np.append(net.b, [y, y]), outputs=np.concatenate([[n, n + 1], net.outputs[2:]]))
    b.check()
    assert bitwise_miter(net, b) is None
    r = equivalent(net, b, precheck=256, timeout=120)
    assert (r["equivalent"], r["method"]) == (True, "sat")
    assert r["note"] == "class scores equivalent"


@needs_yosys
@pytest.mark.parametrize("precheck", [0, 2048])
def test_flipped_gate_gives_a_real_counterexample(pair, precheck):
    net, _ = pair
    # Flip one truth-table bit of a gate that drives an output.
    g = int(net.outputs[5]) - net.first_gate
    op = net.op.copy()
    op[g] ^= 0b0110
    bad = net.replace(op=op)
    r = equivalent(net, bad, precheck=precheck, timeout=120)
    assert r["equivalent"] is False
    cex = np.asarray([r["counterexample"]], dtype=np.uint8)
    assert cex.shape == (1, net.num_inputs)
    ca, cb = class_counts(net, cex), class_counts(bad, cex)
    assert not np.array_equal(ca, cb)
    assert (ca[0].tolist(), cb[0].tolist()) == (r["counts_a"], r["counts_b"])
    if precheck == 0:
        assert r["method"] == "sat"


def test_small_nets_are_proven_exhaustively():
    net = random_dag(8, 80, 12, 3, seed=2, const_prob=0.1, bias_max=2)
    r = equivalent(net, optimize(net)[0])
    assert (r["equivalent"], r["method"], r["vectors"]) == (True, "exhaustive", 256)
    folded = net.replace(bias=net.bias + 1, outputs=np.where(np.arange(12) % 4 == 0, 1, net.outputs))
    r = equivalent(net, folded)
    assert r["equivalent"] is False and r["method"] == "exhaustive"
    cex = np.asarray([r["counterexample"]], dtype=np.uint8)
    assert not np.array_equal(class_counts(net, cex), class_counts(folded, cex))


def test_simulation_method_is_not_a_proof(pair):
    net, opt = pair
    r = equivalent(net, opt, method="simulation", vectors=5000)
    assert (r["equivalent"], r["proven"], r["method"], r["vectors"]) == (True, False, "simulation", 5000)


def test_mismatched_models_are_refused():
    a = random_dag(6, 20, 6, 3, seed=1)
    with pytest.raises(LgnhwError, match="different input counts"):
        equivalent(a, random_dag(7, 20, 6, 3, seed=1))
    with pytest.raises(LgnhwError, match="different class counts"):
        equivalent(a, random_dag(6, 20, 6, 2, seed=1))


def test_cli_equiv_and_export(tmp_path, capsys):
    net = random_dag(10, 80, 12, 3, seed=4, bias_max=1)
    write_lgn(net, tmp_path / "a.lgn")
    assert main(["export", str(tmp_path / "a.lgn"), "-o", str(tmp_path / "a.aig"), "--json"]) == 0
    assert main(["export", str(tmp_path / "a.lgn"), "-o", str(tmp_path / "a.blif")]) == 0
    capsys.readouterr()
    assert main(["equiv", str(tmp_path / "a.lgn"), str(tmp_path / "a.aig"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["equivalent"], r["method"]) == (True, "exhaustive")
    op = net.op.copy()
    op[int(net.outputs[0]) - net.first_gate] ^= 0b1111
    write_lgn(net.replace(op=op), tmp_path / "b.lgn")
    assert main(["equiv", str(tmp_path / "a.blif"), str(tmp_path / "b.lgn"), "--json"]) == 1
    r = json.loads(capsys.readouterr().out)
    assert r["equivalent"] is False and len(r["counterexample"]) == 10
    write_lgn(random_dag(9, 20, 6, 3, seed=1), tmp_path / "c.lgn")
    assert main(["equiv", str(tmp_path / "a.lgn"), str(tmp_path / "c.lgn")]) == 2   # an error, not a verdict
    err = capsys.readouterr().err
    assert "different input counts" in err and err.count("\n") == 1
    assert main(["export", str(tmp_path / "a.lgn"), "-o", str(tmp_path / "a.v")]) == 2
    assert "unknown export format" in capsys.readouterr().err


@needs_yosys
def test_abc_pass_keeps_only_proven_smaller_results(tmp_path):
    from lgnhw.passes.abc_opt import abc_optimize
    net = optimize(random_layered(24, [120, 120, 60], 3, seed=9))[0]
    out, stats = abc_optimize(net)
    assert stats["gates_before"] == net.num_gates and stats["gates_abc"] is not None
    assert out.num_gates == stats["gates_after"] <= net.num_gates
    if stats["kept"]:
        assert stats["equivalence"]["proven"] and stats["equivalence"]["equivalent"]
    x = np.random.default_rng(1).integers(0, 2, (2000, 24), dtype=np.uint8)
    assert np.array_equal(class_counts(out, x), class_counts(net, x))


@needs_yosys
@pytest.mark.parametrize("mode", ["gates-strong", "lut2-strong"])
def test_abc_strong_scripts_run_and_are_proven(mode):
    """The -strong modes give ABC a script file of its own (resyn2 spelled out:
    yosys' ABC has no abc.rc); on a raw netlist the result is smaller and proven."""
    from lgnhw.passes.abc_opt import abc_optimize
    net = random_layered(16, [60, 60, 30], 3, seed=4)
    out, stats = abc_optimize(net, mode=mode)
    assert stats["mode"] == mode and stats["kept"], stats
    assert stats["equivalence"]["proven"] and out.num_gates < net.num_gates
    x = np.random.default_rng(2).integers(0, 2, (2000, 16), dtype=np.uint8)
    assert np.array_equal(class_counts(out, x), class_counts(net, x))
