"""`lgnhw sim`: JSON contract, exit status, and the report of a failing vector."""

from __future__ import annotations

import json

import numpy as np

import lgnhw.emit
from lgnhw.cli import main
from lgnhw.formats import write_lgn
from lgnhw.golden import predict
from lgnhw.randnet import random_dag

KEYS = {"vectors", "mismatches", "latency_cycles", "simulator", "vectors_per_second"}


def _model(tmp_path):
    net = random_dag(10, 90, 20, 2, seed=31, bias_max=2)
    path = tmp_path / "m.lgn"
    write_lgn(net, path)
    return net, path


def test_sim_json_clean_run(tmp_path, capsys):
    net, path = _model(tmp_path)
    x = np.random.default_rng(0).integers(0, 2, (700, net.num_inputs), dtype=np.uint8)
    np.save(tmp_path / "x.npy", x)
    rc = main(["sim", str(path), "--inputs", str(tmp_path / "x.npy"), "--pipeline-every", "2",
               "--work-dir", str(tmp_path / "w"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert KEYS <= out.keys()
    assert out["vectors"] == 700 and out["mismatches"] == 0 and out["simulator"] == "verilator"
    assert out["latency_cycles"] == out["declared_latency"] > 0
    assert out["vectors_per_second"] > 0


def test_sim_reports_first_failing_vector(tmp_path, capsys, monkeypatch):
    """An emitter that flips one gate's op: non-zero exit, the first bad vector on stderr."""
    net, path = _model(tmp_path)
    real_emit = lgnhw.emit.emit
    bits = np.random.default_rng(0).integers(0, 2, (400, net.num_inputs), dtype=np.uint8)  # --seed 0
    counts, _ = predict(net, bits)
    for g in range(net.num_gates):
        op = net.op.copy()
        op[g] = 15 - op[g]
        faulty = net.replace(op=op)
        bad = np.flatnonzero((predict(faulty, bits)[0] != counts).any(axis=1))
        if bad.size:
            break
    monkeypatch.setattr(lgnhw.emit, "emit", lambda n, p, **kw: real_emit(faulty, p, **kw))
    rc = main(["sim", str(path), "--random", "400", "--modes", "stream", "--no-optimize", "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert rc == 1
    assert out["mismatches"] == bad.size
    assert out["first_mismatch"]["index"] == bad[0]
    assert f"vector {bad[0]}" in captured.err
    assert "".join(map(str, bits[bad[0]])) in captured.err


def test_sim_and_emit_optimise_like_build(tmp_path, capsys):
    """`sim` and `emit` simulate/write the optimised core by default, the loaded one with --no-optimize."""
    from lgnhw.passes import optimize
    net, path = _model(tmp_path)
    hw, _ = optimize(net)
    assert hw.num_gates < net.num_gates
    runs = {}
    for flags in ([], ["--no-optimize"]):
        assert main(["emit", str(path), "-o", str(tmp_path / "c.v"), "--pipeline-every", "2", *flags,
                     "--json"]) == 0
        emitted = json.loads(capsys.readouterr().out)
        assert main(["sim", str(path), "--random", "300", "--modes", "stream", "--pipeline-every", "2",
                     *flags, "--json"]) == 0
        simulated = json.loads(capsys.readouterr().out)
        assert simulated["mismatches"] == 0
        assert emitted["gates"] == simulated["gates"] and emitted["gates_before"] == net.num_gates
        assert emitted["latency_cycles"] == simulated["latency_cycles"]
        runs[bool(flags)] = emitted
    assert runs[False]["gates"] == hw.num_gates and runs[True]["gates"] == net.num_gates
    assert runs[False]["optimized"] and not runs[True]["optimized"]
