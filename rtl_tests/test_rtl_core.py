"""Emitted cores against the golden model in Verilator: ops, pipelining, stream protocol."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lgnhw.golden import predict
from lgnhw.netlist import Netlist
from lgnhw.randnet import random_dag
from lgnhw.verify import build

from .helpers import assert_clean, random_bits

ALL_MODES = ("stream", "stream_random", "cocotb", "backpressure", "bubbles")


def all_ops_net() -> Netlist:
    """Gate k computes op k of inputs (x0, x1); each gate is its own class (group size 1).

    A third input feeds a second bank of the 16 ops on (x2, x0) so the ops see
    swapped/independent operands too.
    """
    ops = np.concatenate([np.arange(16), np.arange(16)])
    a = np.concatenate([np.full(16, 2), np.full(16, 4)])
    b = np.concatenate([np.full(16, 3), np.full(16, 2)])
    first = 2 + 3
    return Netlist(num_inputs=3, op=ops, a=a, b=b, outputs=first + np.arange(32),
                   num_classes=32).check()


@pytest.fixture(scope="module", params=["verilog", "amaranth"])
def ops_build(request, rtl_dir):
    net = all_ops_net()
    return build(net, pipeline_every=1, backend=request.param,
                 work_dir=rtl_dir / f"ops-{request.param}")


def test_all_16_ops_exhaustively(ops_build):
    bits = np.array(list(itertools.product([0, 1], repeat=3)), dtype=np.uint8)[:, ::-1]
    bits = np.ascontiguousarray(np.tile(bits, (4, 1)))
    # The golden model itself must match the op table (out = op >> (3 - (2A + B)) & 1).
    counts, _ = predict(ops_build.net, bits)
    for k in range(16):
        want_ab = (k >> (3 - (2 * bits[:, 0] + bits[:, 1]))) & 1
        want_ca = (k >> (3 - (2 * bits[:, 2] + bits[:, 0]))) & 1
        assert np.array_equal(counts[:, k], want_ab), k
        assert np.array_equal(counts[:, 16 + k], want_ca), k
    result = ops_build.run(bits, modes=("stream", "cocotb"))
    assert_clean(result)
    assert result["vectors"] == 32
    assert result["latency_cycles"] == ops_build.latency >= 1


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_random_skip_netlist_pipelined(k, rtl_dir):
    """Skip connections (any earlier signal), constants, bias; every stream mode."""
    net = random_dag(12, 160, 30, 3, seed=10 + k, const_prob=0.05, bias_max=3)
    sig_level = np.concatenate([np.zeros(net.first_gate, np.int32), net.levels])
    assert (sig_level[net.a] < net.levels - 1).any(), "no skip connection to test"
    # A small harness memory for K=2 makes the stream modes run in 3 chunks (1024 + 1024 + 952).
    sim = build(net, pipeline_every=k, work_dir=rtl_dir / f"dag-k{k}", depth=1024 if k == 2 else None)
    result = sim.run(random_bits(3000, 12, seed=k), modes=ALL_MODES, seed=k, percycle_vectors=800)
    assert_clean(result)
    assert result["modes"]["stream"]["vectors"] == 3000
    assert result["latency_cycles"] == sim.latency
    if k == 0:
        assert sim.latency == 0
    if k:
        bp = result["modes"]["backpressure"]
        assert bp["latency_max"] > bp["latency_min"], "backpressure never stalled the pipeline"


def test_backends_agree(rtl_dir):
    """The Amaranth and direct-Verilog cores give identical, golden results at K=2."""
    net = random_dag(10, 120, 24, 4, seed=77, const_prob=0.05, bias_max=2)
    bits = random_bits(2000, 10, seed=5)
    results = {}
    for backend in ("verilog", "amaranth"):
        sim = build(net, pipeline_every=2, backend=backend, work_dir=rtl_dir / f"agree-{backend}")
        results[backend] = sim.run(bits, modes=("stream", "stream_random", "backpressure"))
        assert_clean(results[backend])
    assert results["verilog"]["latency_cycles"] == results["amaranth"]["latency_cycles"]


def test_always_ready_and_axis(rtl_dir):
    """The always-ready core (no ready ports) and the AXI-Stream wrapper."""
    net = random_dag(8, 80, 20, 2, seed=3, bias_max=1)
    bits = random_bits(1500, 8, seed=9)
    sim = build(net, pipeline_every=1, always_ready=True, work_dir=rtl_dir / "always-ready")
    assert_clean(sim.run(bits, modes=("stream", "cocotb", "bubbles")))
    with pytest.raises(Exception, match="always-ready"):
        sim.run(bits, modes=("backpressure",))
    axis = build(net, pipeline_every=1, axis=True, work_dir=rtl_dir / "axis")
    assert_clean(axis.run(bits, modes=("stream", "stream_random")))


def test_injected_fault_is_reported(rtl_dir):
    """Flip one gate's op in the emitted design: the run reports the failing vectors."""
    net = random_dag(10, 100, 20, 2, seed=21)
    bits = random_bits(1000, 10, seed=2)
    counts, cls = predict(net, bits)
    # Pick a gate whose flipped op changes some class count on these vectors.
    for g in range(net.num_gates - 1, -1, -1):
        op = net.op.copy()
        op[g] = 15 - op[g]  # complement of the truth table
        faulty = net.replace(op=op)
        f_counts, f_cls = predict(faulty, bits)
        if not np.array_equal(f_counts, counts):
            break
    else:
        pytest.fail("no gate influences the outputs")
    sim = build(faulty, pipeline_every=1, work_dir=rtl_dir / "fault")
    result = sim.run(bits, modes=("stream", "cocotb"), reference=net, max_report=5)
    differing = np.flatnonzero((f_counts != counts).any(axis=1))
    assert not result["ok"]
    assert result["modes"]["stream"]["mismatches"] == differing.size
    first = result["first_mismatches"][0]
    i = first["index"]
    assert i == differing[0]
    assert first["input_bits"] == "".join(map(str, bits[i]))
    assert first["expected"] == {"cls": int(cls[i]), "counts": counts[i].tolist()}
    assert first["got"] == {"cls": int(f_cls[i]), "counts": f_counts[i].tolist()}
