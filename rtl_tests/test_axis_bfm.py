"""The ``<name>_axis`` wrapper under a third-party AXI4-Stream BFM (cocotbext-axi).

cocotbext-axi's ``AxiStreamSource`` sends packets of input vectors (one
vector per beat, TLAST on the last) into ``s_axis`` and its
``AxiStreamSink`` collects packets from ``m_axis``; both pause at random
(source bubbles and sink backpressure, seeded). The pytest side checks every
result word against the golden model and that each output packet has exactly
the length of its input packet, so TLAST stays aligned with the data. The
byte layout checked is the one :mod:`lgnhw.axistream` documents.

The simulation is built with :func:`lgnhw.verify.runner`, the public runner
for users' own cocotb tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

CONFIG_ENV = "LGN_AXIS_TB_CONFIG"

# -- cocotb side (runs inside the simulator) ----------------------------------------------

try:
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, with_timeout
    from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource
except ImportError:  # the BFM comes with the 'test' extra
    cocotb = None


def _pauses(seed: int, probability: float):
    rng = np.random.default_rng(seed)
    while True:
        yield bool(rng.random() < probability)


if cocotb is not None:
    @cocotb.test()
    async def axis_bfm_tb(dut):
        """Send every packet, receive as many packets, write them to the result file."""
        with open(os.environ[CONFIG_ENV]) as f:
            cfg = json.load(f)
        cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())
        source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                                 reset_active_level=False)
        sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn,
                             reset_active_level=False)
        source.set_pause_generator(_pauses(cfg["seed"], cfg["source_pause"]))
        if not cfg["always_ready"]:
            sink.set_pause_generator(_pauses(cfg["seed"] + 1, cfg["sink_pause"]))
        dut.aresetn.value = 0
        await ClockCycles(dut.aclk, 4)
        dut.aresetn.value = 1
        await ClockCycles(dut.aclk, 2)
        for packet in cfg["packets"]:
            await source.send(AxiStreamFrame(bytes.fromhex(packet)))
        received = []
        for _ in cfg["packets"]:
            try:   # 5,000 clocks: far more than a packet takes, even paused
                frame = await with_timeout(sink.recv(), 50, "us")
            except cocotb.triggers.SimTimeoutError:
                break
            received.append({"data": bytes(frame.tdata).hex(), "tkeep": list(frame.tkeep or [])})
        await ClockCycles(dut.aclk, 20)
        received_extra = not sink.empty()
        with open(cfg["result"], "w") as f:
            json.dump({"packets": received, "extra": received_extra}, f)


# -- pytest side ----------------------------------------------------------------------------

def _case(kind: str):
    from lgnhw.build import load_model_or_default
    from lgnhw.passes import optimize
    from lgnhw.randnet import random_layered
    if kind == "digits":
        net, _ = load_model_or_default(None, "digits.lgn")
        return optimize(net)[0]
    return random_layered(37, [120, 90, 60], 3, seed=11)   # 37 inputs: a padded input byte


@pytest.mark.parametrize("kind, backend, k, always_ready", [
    ("digits", "verilog", 2, False),
    ("random", "amaranth", 1, False),
    ("random", "verilog", 0, False),          # latency 0: TLAST passes straight through
    ("random", "verilog", 3, True),
])
def test_axis_wrapper_under_cocotbext_axi(tmp_path, kind, backend, k, always_ready):
    from lgnhw.axistream import AxisLayout
    from lgnhw.emit import emit
    from lgnhw.gateware.plan import Plan
    from lgnhw.golden import predict
    from lgnhw.verify import runner as sim_runner

    pytest.importorskip("cocotbext.axi")
    net = _case(kind)
    layout = AxisLayout.for_plan(Plan.build(net, k))
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 12, size=40)
    bits = rng.integers(0, 2, (int(sizes.sum()), net.num_inputs), dtype=np.uint8)
    counts, cls = predict(net, bits)

    in_bytes = np.packbits(bits, axis=1, bitorder="little")
    assert in_bytes.shape[1] == layout.in_bytes
    words = np.concatenate([cls[:, None], counts], axis=1).astype(f"<u{layout.word_bytes}")
    assert words.dtype.itemsize * words.shape[1] == layout.out_bytes
    edges = np.concatenate([[0], np.cumsum(sizes)])
    packets = [in_bytes[a:b].tobytes().hex() for a, b in zip(edges[:-1], edges[1:])]
    expected = [words[a:b].tobytes().hex() for a, b in zip(edges[:-1], edges[1:])]

    src = tmp_path / "lgn_core.v"
    emit(net, src, backend=backend, pipeline_every=k, always_ready=always_ready)
    cfg = {"packets": packets, "seed": 3, "source_pause": 0.3, "sink_pause": 0.4,
           "always_ready": always_ready, "result": str(tmp_path / "result.json")}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    top = "lgn_core_axis"
    r = sim_runner("verilator")
    r.build(sources=[str(src)], hdl_toplevel=top, build_dir=tmp_path / "build",
            build_args=["-Wno-fatal"], timescale=("1ns", "1ps"), log_file=tmp_path / "build.log")
    r.test(test_module=__name__, hdl_toplevel=top, hdl_toplevel_lang="verilog",
           build_dir=tmp_path / "build", test_dir=tmp_path, results_xml=str(tmp_path / "results.xml"),
           extra_env={CONFIG_ENV: str(tmp_path / "config.json")}, log_file=tmp_path / "sim.log",
           timescale=("1ns", "1ps"))
    res = json.loads(Path(cfg["result"]).read_text())
    got = [p["data"] for p in res["packets"]]
    lengths = [len(p) // 2 // layout.out_bytes for p in got]
    assert lengths == sizes.tolist()                       # TLAST framing kept, packet by packet
    mismatches = sum(g != e for g, e in zip(got, expected))
    assert mismatches == 0, f"{mismatches} of {len(expected)} packets differ"
    assert all(set(p["tkeep"]) <= {1} for p in res["packets"])
    assert not res["extra"]
