"""Board catalog, UART components and the board shell in Amaranth's simulator."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from amaranth.sim import Simulator

from lgnhw import devices
from lgnhw.boards import catalog
from lgnhw.boards.clocking import PowerOnDelay, Prescaler, ice40_sync_domain
from lgnhw.boards.shell import (REPLY_RESULT, REQ_INFO, REQ_SELFTEST, Protocol, ShellCore)
from lgnhw.boards.uart import UARTRx, UARTTx, uart_divisor
from lgnhw.errors import LgnhwError
from lgnhw.golden import predict
from lgnhw.randnet import random_layered

DIV = 4


def _simulate(dut, testbench, *background):
    """Run ``testbench`` on ``dut`` with a 1 MHz clock, ``background`` testbenches beside it."""
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    for bench in background:
        sim.add_testbench(bench, background=True)
    sim.add_testbench(testbench)
    sim.run()


# -- catalog -----------------------------------------------------------------------

def test_catalog_boards_and_their_devices():
    names = set(catalog.board_names())
    # the families and boards the issue asks for
    assert {"ice40", "hx8k", "icestick", "upduino3", "ulx3s", "ulx3s_12f", "ulx3s_25f", "ulx3s_45f",
            "ecpix5", "versa_ecp5", "tang_nano_9k", "tang_primer_20k", "arty_a7_35", "arty_a7_100",
            "kcu105", "de10_nano"} <= names
    assert catalog.board("ice40").device == "iCE40UP5K"
    assert catalog.board("ulx3s").device == "LFE5U-85F"
    assert catalog.board("ecpix5").device == "LFE5U-85F"      # LFE5UM5G-85F: same capacity
    assert catalog.board("tang_primer_20k").family == "gowin"
    assert catalog.board("arty_a7_100").family == "xilinx"
    assert catalog.board("de10_nano").family == "intel"
    for name in catalog.board_names():
        b = catalog.board(name)
        plat = b.platform()
        # the platform's own part resolves to the board's device
        part = getattr(plat, "device", None) if b.family != "gowin" else plat.part
        assert devices.device(part).name == b.device, name
        assert plat.default_clk_frequency == b.clock_hz
        # every board shell needs a UART and at least one LED
        assert ("uart", 0) in plat.resources, name
        assert ("led", 0) in plat.resources or ("rgb_led", 0) in plat.resources, name
        assert b.summary()["board"] == name


def test_catalog_is_data_a_new_board_needs_no_code(tmp_path):
    toml = tmp_path / "boards.toml"
    toml.write_text('[my_kcu]\ntitle = "my board"\nplatform = "amaranth_boards.kcu105:KCU105Platform"\n'
                    'device = "xcku040"\npipeline_every = 3\ntarget_mhz = 120\n'
                    'uart = { rx = "A1", tx = "A2", attrs = { IOSTANDARD = "LVCMOS18" } }\n'
                    '[my_ulx3s]\ntitle = "x"\nplatform = "amaranth_boards.ulx3s:ULX3S_45F_Platform"\n'
                    'device = "LFE5U-45F"\npipeline_every = 1\ntarget_mhz = 1\nuart = { rx = "A1", tx = "A2" }\n')
    boards = catalog.load_catalog(toml)
    b = boards["my_kcu"]
    assert (b.family, b.pipeline_every, b.target_mhz) == ("xilinx", 3, 120.0)
    uart = b.platform().lookup("uart", 0)
    pins = {sub.name: sub.ios[0].names for sub in uart.ios}
    assert pins == {"rx": ["A1"], "tx": ["A2"]}
    with pytest.raises(LgnhwError, match="my_ulx3s.*already has"):
        boards["my_ulx3s"].platform()
    toml.write_text('[bad]\ntitle = "x"\nplatform = "a:b"\ndevice = "XC9"\npipeline_every = 1\n'
                    'target_mhz = 1\n')
    with pytest.raises(LgnhwError, match="unknown device 'XC9'"):
        catalog.load_catalog(toml)
    toml.write_text('[bad]\ntitle = "x"\nplatform = "a:b"\ndevice = "lut6"\npipelinee = 1\n')
    with pytest.raises(LgnhwError, match="board 'bad'.*pipelinee"):
        catalog.load_catalog(toml)


def test_bad_board_name_lists_valid_ones():
    with pytest.raises(LgnhwError) as err:
        catalog.board("de0nano")
    msg = str(err.value)
    assert "de0nano" in msg
    for name in catalog.board_names():
        assert name in msg
    assert catalog.board("ULX3S").name == "ulx3s"     # case-insensitive


def test_device_lookup_is_case_insensitive_and_refuses_unknown():
    for name in ("iCE40UP5K", "iCE40HX8K", "LFE5U-12F", "LFE5U-25F", "LFE5U-45F", "LFE5U-85F",
                 "GW1NR-9", "GW2A-18", "GW5AST-138", "xc7a35t", "xc7a100t", "xcvu9p", "lut6"):
        assert devices.device(name.lower()).name == name
        assert devices.device(name.upper()).name == name
    assert devices.device("xc7a100ti").name == "xc7a100t"
    with pytest.raises(LgnhwError, match="unknown device") as err:
        devices.device("xc9999")
    assert "LFE5U-85F" in str(err.value) and "xcvu9p" in str(err.value)


def test_boards_package_imports_from_a_source_checkout():
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", "import boards.shell, boards.catalog; "
                          "print(boards.catalog.board('ulx3s').device)"],
                         cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "LFE5U-85F"


# -- UART helpers for the simulator -----------------------------------------------

async def send_byte(ctx, line, value, div=DIV):
    for bit in [0] + [(value >> k) & 1 for k in range(8)] + [1]:
        ctx.set(line, bit)
        await ctx.tick().repeat(div)


async def recv_byte(ctx, line, div=DIV, limit=100_000):
    """Wait for a start bit on ``line`` and sample the frame at bit centres."""
    for _ in range(limit):
        if not ctx.get(line):
            break
        await ctx.tick()
    else:
        raise AssertionError("no start bit")
    await ctx.tick().repeat(div // 2)
    assert ctx.get(line) == 0
    value = 0
    for k in range(8):
        await ctx.tick().repeat(div)
        value |= ctx.get(line) << k
    await ctx.tick().repeat(div)
    assert ctx.get(line) == 1, "stop bit must be high"
    return value


def test_uart_divisor_checks_rate():
    assert uart_divisor(12e6, 115200) == 104
    with pytest.raises(LgnhwError, match="too fast"):
        uart_divisor(12e6, 6_000_000)
    with pytest.raises(LgnhwError, match="within 2 %"):
        uart_divisor(12e6, 2_600_000)
    with pytest.raises(LgnhwError, match="UART divisor"):
        UARTTx(2)


def test_uart_loopback_bytes_in_order():
    """tx -> rx loopback: every byte (incl. 0x00, 0xFF) arrives intact, back to back."""
    from amaranth.hdl import Module
    m = Module()
    m.submodules.tx = tx = UARTTx(DIV)
    m.submodules.rx = rx = UARTRx(DIV)
    m.d.comb += rx.rx.eq(tx.tx)
    data = [0x00, 0xFF, 0xA5, 0x5A, 0x01, 0x80, 0x3C]
    got, errors = [], []

    async def producer(ctx):
        for b in data:
            ctx.set(tx.i.payload, b)
            ctx.set(tx.i.valid, 1)
            await ctx.tick().until(tx.i.ready)
        ctx.set(tx.i.valid, 0)

    async def consumer(ctx):
        ctx.set(rx.o.ready, 1)
        while len(got) < len(data):
            await ctx.tick()
            if ctx.get(rx.o.valid):
                got.append(ctx.get(rx.o.payload))
            if ctx.get(rx.framing_error) or ctx.get(rx.overrun):
                errors.append(True)

    _simulate(m, consumer, producer)
    assert got == data and not errors


def test_uart_rx_framing_error_drops_byte():
    rx = UARTRx(DIV)
    seen = {"bytes": [], "ferr": 0}

    async def tb(ctx):
        ctx.set(rx.o.ready, 1)
        ctx.set(rx.rx, 1)
        await ctx.tick().repeat(3)
        # start, 8 data bits of 0x00, stop bit LOW -> framing error
        for bit in [0] * 9 + [0]:
            ctx.set(rx.rx, bit)
            for _ in range(DIV):
                await ctx.tick()
                seen["ferr"] += ctx.get(rx.framing_error)
                if ctx.get(rx.o.valid):
                    seen["bytes"].append(ctx.get(rx.o.payload))
        ctx.set(rx.rx, 1)
        for _ in range(3 * DIV):    # the error is reported a few clocks into the idle line
            await ctx.tick()
            seen["ferr"] += ctx.get(rx.framing_error)
        await send_byte(ctx, rx.rx, 0x42)
        for _ in range(4 * DIV):
            await ctx.tick()
            if ctx.get(rx.o.valid):
                seen["bytes"].append(ctx.get(rx.o.payload))

    _simulate(rx, tb)
    assert seen["ferr"] == 1
    assert seen["bytes"] == [0x42]


@pytest.mark.parametrize("div", [4, 5, 16])
def test_uart_rx_ignores_glitches_and_takes_back_to_back_frames(div):
    """A low pulse shorter than half a bit is no start bit; frames right after
    it, after a framing error and back to back (any byte) all arrive intact."""
    rx = UARTRx(div)
    rng = random.Random(div)
    sent = [rng.randrange(256) for _ in range(12)] + [0x00, 0xFF]
    seen = {"bytes": [], "ferr": 0, "overrun": 0}

    async def watch(ctx):
        ctx.set(rx.o.ready, 1)
        while True:
            await ctx.tick()
            seen["ferr"] += ctx.get(rx.framing_error)
            seen["overrun"] += ctx.get(rx.overrun)
            if ctx.get(rx.o.valid):
                seen["bytes"].append(ctx.get(rx.o.payload))

    async def tb(ctx):
        ctx.set(rx.rx, 1)
        await ctx.tick().repeat(2 * div)
        for value in sent[:4]:
            ctx.set(rx.rx, 0)                   # a glitch: under half a bit low
            await ctx.tick().repeat(max(1, div // 2 - 2))
            ctx.set(rx.rx, 1)
            await ctx.tick().repeat(rng.randrange(div, 3 * div))
            await send_byte(ctx, rx.rx, value, div)
        for bit in [0] * 10:                    # a frame whose stop bit is low
            ctx.set(rx.rx, bit)
            await ctx.tick().repeat(div)
        ctx.set(rx.rx, 1)
        await ctx.tick().repeat(rng.randrange(1, 2 * div))
        for value in sent[4:]:                  # back to back
            await send_byte(ctx, rx.rx, value, div)
        await ctx.tick().repeat(3 * div)

    _simulate(rx, tb, watch)
    assert seen == {"bytes": sent, "ferr": 1, "overrun": 0}


def test_uart_tx_frame_timing():
    """A byte takes exactly 10 bit times; the line idles high."""
    tx = UARTTx(DIV)
    trace = []

    async def tb(ctx):
        assert ctx.get(tx.tx) == 1
        ctx.set(tx.i.payload, 0b1011_0010)
        ctx.set(tx.i.valid, 1)
        await ctx.tick()
        ctx.set(tx.i.valid, 0)
        for _ in range(12 * DIV):
            trace.append(ctx.get(tx.tx))
            await ctx.tick()

    _simulate(tx, tb)
    bits = trace[:10 * DIV:DIV]
    assert bits == [0, 0, 1, 0, 0, 1, 1, 0, 1, 1]
    assert all(trace[10 * DIV:])


@pytest.mark.parametrize("min_clocks", [0, 17, 180, 1500])
def test_power_on_delay_rises_once_after_its_clocks(min_clocks):
    pod = PowerOnDelay(min_clocks)
    assert pod.clocks >= max(min_clocks, 32) and pod.clocks % 16 == 0 and pod.clocks < max(min_clocks, 32) + 16
    seen = []

    async def tb(ctx):
        for _ in range(pod.clocks + 40):
            seen.append(ctx.get(pod.ready))
            await ctx.tick()

    _simulate(pod, tb)
    assert seen == [0] * pod.clocks + [1] * 40


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 7])
def test_prescaler_ticks_once_every_two_to_the_bits_clocks(bits):
    pre = Prescaler(bits)
    seen = []

    async def tb(ctx):
        for _ in range(5 << bits):
            seen.append(ctx.get(pre.tick))
            await ctx.tick()

    _simulate(pre, tb)
    at = [i for i, t in enumerate(seen) if t]
    assert len(at) >= 4 and all(b - a == 1 << bits for a, b in zip(at, at[1:]))
    with pytest.raises(ValueError, match="at least one bit"):
        Prescaler(0)


def test_ice40_boards_get_the_power_on_delay_other_families_their_platforms():
    from amaranth.hdl import Module, Signal
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    from amaranth_boards.ulx3s import ULX3S_85F_Platform
    m = Module()
    pod = ice40_sync_domain(m, ICEBreakerPlatform())
    assert pod.clocks >= 15e-6 * 12e6
    m.d.sync += Signal(name="user").eq(1)
    top = ICEBreakerPlatform().prepare(m, name="top").files["top.il"]
    modules = re.findall(r"^module (\S+)", top, flags=re.M)
    assert "\\top.por" in modules and not any("cd_sync" in name for name in modules)  # not Amaranth's
    # no reset button: the user's register has no reset (configuration sets it)
    assert re.search(r"cell \$dff", top) and not re.search(r"cell \$(a|s)dff", top)
    assert ice40_sync_domain(Module(), ULX3S_85F_Platform()) is None


def test_board_top_drives_every_output_pin_from_a_flip_flop_of_its_own():
    from amaranth.back import rtlil
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    from lgnhw.boards.shell import BoardTop
    top = BoardTop(_small_net(), clock_hz=12e6)
    il = ICEBreakerPlatform().prepare(top, name="top").files["top.il"]
    flop_outputs = set(re.findall(r"cell \$dff .*?connect \\Q (\S+)\n", il, flags=re.S))
    pins = ["tx_q", "led0_q", "led1_q"]        # the iCEBreaker's UART and its two LEDs
    for name in pins:
        # the pin's register is a flip-flop of its own (its Q goes only to the pin's buffer)
        net = re.search(rf"connect \\{name} (\S+) \[0\]", il).group(1)
        assert net in flop_outputs, name
    assert "led2_q" not in il


def test_ice40_board_with_a_reset_button_resets_asynchronously_from_it():
    from amaranth.hdl import Module, Signal
    from amaranth_boards.icebreaker import ICEBreakerPlatform

    class WithButton(ICEBreakerPlatform):
        default_rst = "button"

    m = Module()
    ice40_sync_domain(m, WithButton())
    m.d.sync += Signal(name="user").eq(1)
    top = WithButton().prepare(m, name="top").files["top.il"]
    assert re.search(r"cell \$adff", top) and "reset_sync" in top


# -- shell ---------------------------------------------------------------------------

def _small_net():
    return random_layered(12, [24, 24, 12], 3, seed=5)


def _run_shell(shell, script):
    """Run ``script(ctx, send, recv)`` against ``shell`` in the simulator."""
    result = {}

    async def tb(ctx):
        ctx.set(shell.rx, 1)
        await ctx.tick().repeat(4)

        async def send(data):
            for b in data:
                await send_byte(ctx, shell.rx, b)

        async def recv(n):
            return [await recv_byte(ctx, shell.tx) for _ in range(n)]

        result["value"] = await script(ctx, send, recv)

    _simulate(shell, tb)
    return result["value"]


def test_protocol_encode_decode_round_trip():
    net = _small_net()
    proto = Protocol(net)
    bits = np.random.default_rng(0).integers(0, 2, (3, 12)).astype(np.uint8)
    frames = proto.encode(bits)
    assert len(frames) == 3 * proto.request_bytes and frames[0] == 0xAA
    # bit j of the input is bit j % 8 of payload byte j // 8
    assert frames[1] == int("".join(str(b) for b in bits[0, :8][::-1]), 2)
    counts = np.array([[1, 2, 3], [4, 0, 6], [7, 8, 0]])
    cls = np.array([2, 0, 1])
    raw = b"".join(bytes([REPLY_RESULT, c, *[int(x) for x in row]]) for c, row in zip(cls, counts))
    got_counts, got_cls = proto.decode(raw, 3)
    assert np.array_equal(got_counts, counts) and np.array_equal(got_cls, cls)
    with pytest.raises(LgnhwError, match="out of sync"):
        proto.decode(b"\x00" + raw[1:], 3)


@pytest.mark.parametrize("pipeline_every", [1, 0])       # K=0: the result comes out as the frame goes in
def test_shell_classifies_frames_like_the_golden_model(pipeline_every):
    net = _small_net()
    shell = ShellCore(net, divisor=DIV, timeout=1000, pipeline_every=pipeline_every)
    proto = Protocol(net)
    bits = np.random.default_rng(1).integers(0, 2, (4, 12)).astype(np.uint8)
    exp_counts, exp_cls = predict(net, bits)

    async def script(ctx, send, recv):
        replies = []
        for row in bits:
            await send(proto.encode(row[None, :]))
            replies += await recv(proto.reply_bytes)
        leds = ctx.get(shell.leds)
        return bytes(replies), leds

    replies, leds = _run_shell(shell, script)
    counts, cls = proto.decode(replies, len(bits))
    assert np.array_equal(cls, exp_cls)
    assert np.array_equal(counts, exp_counts)
    assert leds == exp_cls[-1]


def test_shell_info_reply_and_stray_bytes_ignored():
    net = _small_net()
    shell = ShellCore(net, divisor=DIV, timeout=1000)
    proto = Protocol(net)

    async def script(ctx, send, recv):
        await send([0x00, 0x13])           # not request bytes: ignored
        await send([REQ_INFO])
        return bytes(await recv(8))

    assert _run_shell(shell, script) == proto.info_reply(0)


def test_shell_abandons_a_partial_frame_after_timeout():
    net = _small_net()
    shell = ShellCore(net, divisor=DIV, timeout=200)
    proto = Protocol(net)
    bits = np.ones((1, 12), dtype=np.uint8)
    _, exp_cls = predict(net, bits)

    async def script(ctx, send, recv):
        await send([0xAA, 0x00])           # frame cut short: one of two bytes
        await ctx.tick().repeat(400)       # silence > timeout
        await send(proto.encode(bits))
        return bytes(await recv(proto.reply_bytes))

    _, cls = proto.decode(_run_shell(shell, script), 1)
    assert cls[0] == exp_cls[0]


@pytest.mark.parametrize("corrupt", [False, True])
def test_shell_self_test_runs_at_reset_and_on_request(corrupt):
    net = _small_net()
    bits = np.random.default_rng(2).integers(0, 2, (9, 12)).astype(np.uint8)
    _, exp_cls = predict(net, bits)
    stored = exp_cls.copy()
    if corrupt:
        stored[[1, 4]] = (stored[[1, 4]] + 1) % net.num_classes
    shell = ShellCore(net, divisor=DIV, timeout=1000, self_test=(bits, stored))

    async def script(ctx, send, recv):
        await ctx.tick().repeat(60)
        after_reset = (ctx.get(shell.test_done), ctx.get(shell.test_pass), ctx.get(shell.leds) & 3)
        await send([REQ_SELFTEST])
        status = bytes(await recv(4))
        return after_reset, status

    (done, passed, leds), status = _run_shell(shell, script)
    assert done == 1
    if corrupt:
        assert passed == 0 and leds == 0b10
        assert status == bytes([REQ_SELFTEST, 0, 2, 0])
    else:
        assert passed == 1 and leds == 0b01
        assert status == bytes([REQ_SELFTEST, 1, 0, 0])


def test_shell_self_test_reads_no_vector_before_the_block_rams_are_ready():
    net = _small_net()
    bits = np.random.default_rng(3).integers(0, 2, (5, 12)).astype(np.uint8)
    _, exp_cls = predict(net, bits)
    hold = 40

    def done_at(held_for: int) -> int:
        shell = ShellCore(net, divisor=DIV, timeout=1000, self_test=(bits, exp_cls))
        seen = {}

        async def tb(ctx):
            ctx.set(shell.ram_ready, 0 if held_for else 1)
            for clock in range(held_for + 200):
                if clock == held_for:
                    ctx.set(shell.ram_ready, 1)
                if ctx.get(shell._core.i.valid):
                    seen.setdefault("first_vector", clock)
                if ctx.get(shell.test_done):
                    seen.setdefault("done", clock)
                    assert ctx.get(shell.test_pass)
                await ctx.tick()

        _simulate(shell, tb)
        assert seen["first_vector"] >= held_for
        return seen["done"]

    assert done_at(hold) == done_at(0) + hold


def test_shell_refuses_bad_settings():
    net = _small_net()
    with pytest.raises(LgnhwError, match="self-test vectors"):
        ShellCore(net, divisor=DIV, self_test=(np.zeros((3, 5)), np.zeros(3)))
    with pytest.raises(LgnhwError, match="timeout"):
        ShellCore(net, divisor=DIV, timeout=0)
    with pytest.raises(LgnhwError, match="UART divisor"):
        ShellCore(net, divisor=1)


def _duplex(shell, bursts, reply_bytes: int) -> bytes:
    """Run ``shell`` against a host that sends each ``(data, after)`` burst as
    soon as ``after`` reply bytes have arrived, while it reads ``reply_bytes``
    bytes from ``tx``."""
    got = []

    async def sender(ctx):
        ctx.set(shell.rx, 1)
        await ctx.tick().repeat(4)
        for data, after in bursts:
            while len(got) < after:
                await ctx.tick()
            for b in data:
                await send_byte(ctx, shell.rx, b)

    async def receiver(ctx):
        while len(got) < reply_bytes:
            got.append(await recv_byte(ctx, shell.tx))

    _simulate(shell, receiver, sender)
    return bytes(got)


def test_shell_keeps_up_with_back_to_back_frames():
    """Replies shorter than requests: the host streams frames without waiting."""
    net = random_layered(40, [48, 30], 3, seed=9)
    proto = Protocol(net)
    assert proto.pipelined
    shell = ShellCore(net, divisor=DIV, timeout=1000)
    bits = np.random.default_rng(4).integers(0, 2, (5, 40)).astype(np.uint8)
    exp_counts, exp_cls = predict(net, bits)
    got = _duplex(shell, [(proto.encode(bits), 0)], len(bits) * proto.reply_bytes)
    counts, cls = proto.decode(got, len(bits))
    assert np.array_equal(cls, exp_cls) and np.array_equal(counts, exp_counts)


def test_shell_drops_a_waiting_frame_when_the_next_one_overwrites_it():
    """A frame sent right behind an info request waits for the info reply;
    the next frame's first input byte overwrites it (documented drop), and
    the frames after it are classified normally."""
    net = _small_net()                     # 12 inputs: 3-byte requests, 8-byte info reply
    shell = ShellCore(net, divisor=DIV, timeout=1000)
    proto = Protocol(net)
    bits = np.random.default_rng(7).integers(0, 2, (3, 12)).astype(np.uint8)
    exp_counts, exp_cls = predict(net, bits)
    got = _duplex(shell, [(bytes([REQ_INFO]) + proto.encode(bits[:2]), 0),
                          (proto.encode(bits[2:]), 8 + proto.reply_bytes)],  # after the replies so far
                  8 + 2 * proto.reply_bytes)
    assert got[:8] == proto.info_reply(0)
    counts, cls = proto.decode(got[8:], 2)
    assert np.array_equal(cls, exp_cls[1:]) and np.array_equal(counts, exp_counts[1:])


# -- host side: lgnhw infer against a fake board on a pseudo-terminal ---------------------

def _fake_board(fd, net, proto, stop):
    """Answer the shell protocol with the golden model (what the FPGA does)."""
    import os
    import select
    buf = bytearray()
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            buf += os.read(fd, 4096)
        except OSError:
            return
        while buf:
            if buf[0] == REQ_INFO:
                os.write(fd, proto.info_reply(0))
                del buf[:1]
            elif buf[0] == 0xAA:
                if len(buf) < proto.request_bytes:
                    break
                body = np.frombuffer(bytes(buf[1:proto.request_bytes]), dtype=np.uint8)
                bits = np.unpackbits(body, bitorder="little")[:proto.inputs][None, :]
                counts, cls = predict(net, bits)
                cb = proto.count_bytes
                reply = bytes([REPLY_RESULT, int(cls[0])]) + b"".join(
                    int(c).to_bytes(cb, "little") for c in counts[0])
                os.write(fd, reply)
                del buf[:proto.request_bytes]
            else:
                del buf[:1]


@pytest.mark.parametrize("inputs", [12, 40])
def test_infer_over_a_serial_port(inputs):
    pytest.importorskip("serial")
    import os
    import threading
    import tty
    from lgnhw.infer import infer
    net = random_layered(inputs, [48, 30], 3, seed=9)
    proto = Protocol(net)
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    stop = threading.Event()
    thread = threading.Thread(target=_fake_board, args=(master, net, proto, stop), daemon=True)
    thread.start()
    try:
        bits = np.random.default_rng(6).integers(0, 2, (70, inputs)).astype(np.uint8)
        res = infer(net, os.ttyname(slave), bits, timeout=2.0)
    finally:
        stop.set()
        thread.join()
        os.close(master)
        os.close(slave)
    exp_counts, exp_cls = predict(net, bits)
    assert np.array_equal(res["pred"], exp_cls) and np.array_equal(res["counts"], exp_counts)
    assert res["board"]["inputs"] == inputs


def test_infer_refuses_a_board_with_another_model():
    pytest.importorskip("serial")
    import os
    import threading
    import tty
    from lgnhw.infer import infer
    net = random_layered(12, [48, 30], 3, seed=9)
    other = random_layered(16, [48, 30], 3, seed=9)
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    stop = threading.Event()
    thread = threading.Thread(target=_fake_board, args=(master, other, Protocol(other), stop), daemon=True)
    thread.start()
    try:
        with pytest.raises(LgnhwError, match="different model"):
            infer(net, os.ttyname(slave), np.zeros((2, 12), np.uint8), timeout=1.0)
    finally:
        stop.set()
        thread.join()
        os.close(master)
        os.close(slave)


def test_infer_without_a_port_is_a_clear_error():
    pytest.importorskip("serial")
    from lgnhw.errors import ToolError
    from lgnhw.infer import infer
    with pytest.raises(ToolError, match="cannot open serial port"):
        infer(_small_net(), "/dev/does-not-exist", np.zeros((1, 12), np.uint8))


def test_larger_boards_build_the_bundled_mnist_model_by_default():
    from lgnhw.build import load_model_or_default
    assert catalog.board("ulx3s").default_model == "mnist.lgn"
    assert catalog.board("ice40").default_model == "digits.lgn"      # the iCEBreaker demo
    net, label = load_model_or_default(None, catalog.board("ulx3s").default_model)
    assert label == "bundled mnist.lgn" and net.num_inputs == 784 and net.num_classes == 10
