"""Board shell: UART in, LGN core, UART out, LEDs, optional built-in self-test.

Host protocol (8N1, default 115200 baud; all multi-byte numbers little-endian)
------------------------------------------------------------------------------
Let ``I`` be the model's input bits, ``C`` its classes, ``NW`` the count width
(:func:`lgnhw.gateware.plan.count_width`), ``NI = ceil(I / 8)`` and ``NB = ceil(NW / 8)``.

=================  ====================================  ============================================
request (host)     bytes                                 reply (board)
=================  ====================================  ============================================
classify           ``0xAA``, then ``NI`` input bytes     ``0x55``, class, then ``C`` counts of ``NB``
                   (input bit ``j`` = bit ``j % 8`` of   bytes each (``2 + C*NB`` bytes)
                   byte ``j // 8``; spare bits 0)
info               ``0x49`` (``'I'``)                    ``0x49``, ``I`` (2 bytes), ``C``, ``NW``,
                                                         flags (bit 0: self-test built in),
                                                         self-test vectors (2 bytes)  -- 8 bytes
self-test          ``0x53`` (``'S'``; self-test builds)  ``0x53``, pass (1/0), mismatches (2 bytes)
=================  ====================================  ============================================

Bytes outside a frame that are not a request byte are ignored. A classify
frame whose bytes stop for ``timeout`` clocks (default 0.1 s) is abandoned,
so a host that lost sync waits 0.1 s and starts over. The board classifies
frames in the order they arrive and replies in the same order; the host may
send the next frame before the reply as long as replies are not longer than
requests (``2 + C*NB <= 1 + NI``), otherwise it should wait for each reply.
A complete frame waits in the receive register until the previous reply has
gone out; one still waiting when the next frame's first input byte arrives
is dropped. That happens only when replies are longer than requests, or
when frames follow an info or self-test request before its reply: wait for
those replies.

LEDs: without self-test, the class of the latest result in binary on all
LEDs (LED 0 = bit 0). With self-test: LED 0 = self-test passed, LED 1 =
self-test failed, the remaining LEDs show the class bits.

Self-test (``self_test=(bits, expected_cls)``): the vectors and the expected
classes sit in block RAM (:class:`amaranth.lib.memory.Memory`). The test runs
once after reset and again on each ``'S'`` request (started once no
classification is in flight); it feeds one vector per clock to the core and
compares every result's class with the stored one.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Elaboratable, Module, Mux, Signal, unsigned
from amaranth.lib import io, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from lgnhw.errors import LgnhwError
from lgnhw.netlist import Netlist
from .clocking import Prescaler, ice40_sync_domain
from .uart import UARTRx, UARTTx, uart_divisor

__all__ = ["ShellCore", "BoardTop", "Protocol", "REQ_CLASSIFY", "REQ_INFO", "REQ_SELFTEST",
           "REPLY_RESULT"]

REQ_CLASSIFY = 0xAA
REPLY_RESULT = 0x55
REQ_INFO = 0x49
REQ_SELFTEST = 0x53

#: Most LEDs the shell drives.
MAX_LEDS = 8


class Protocol:
    """Byte-level encoding of the host protocol for one netlist (host side and tests)."""

    def __init__(self, net: Netlist):
        self.inputs = net.num_inputs
        self.classes = net.num_classes
        self.count_width = max(1, int(net.group_size + int(net.bias.max(initial=0))).bit_length())
        self.in_bytes = -(-self.inputs // 8)
        self.count_bytes = -(-self.count_width // 8)
        self.reply_bytes = 2 + self.classes * self.count_bytes
        self.request_bytes = 1 + self.in_bytes

    def set_count_width(self, count_width: int) -> "Protocol":
        """Use the board's count width (from its info reply) for decoding."""
        self.count_width = int(count_width)
        self.count_bytes = max(1, -(-self.count_width // 8))
        self.reply_bytes = 2 + self.classes * self.count_bytes
        return self

    @property
    def pipelined(self) -> bool:
        """True when the host may send frames without waiting for each reply."""
        return self.reply_bytes <= self.request_bytes

    def encode(self, bits: np.ndarray) -> bytes:
        """(N, I) 0/1 -> the concatenated classify frames."""
        bits = np.asarray(bits, dtype=np.uint8)
        if bits.ndim != 2 or bits.shape[1] != self.inputs:
            raise LgnhwError(f"inputs have shape {bits.shape}, expected (N, {self.inputs}) encoded bits")
        padded = np.zeros((bits.shape[0], self.in_bytes * 8), dtype=np.uint8)
        padded[:, :self.inputs] = bits
        body = np.packbits(padded, axis=1, bitorder="little")
        frames = np.empty((bits.shape[0], self.request_bytes), dtype=np.uint8)
        frames[:, 0] = REQ_CLASSIFY
        frames[:, 1:] = body
        return frames.tobytes()

    def decode(self, data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` concatenated replies -> ``(counts (n, C) int64, cls (n,) int64)``."""
        raw = np.frombuffer(bytes(data), dtype=np.uint8)
        if raw.size != n * self.reply_bytes:
            raise LgnhwError(f"got {raw.size} reply bytes, expected {n * self.reply_bytes} for {n} results")
        raw = raw.reshape(n, self.reply_bytes)
        bad = np.flatnonzero(raw[:, 0] != REPLY_RESULT)
        if bad.size:
            raise LgnhwError(f"reply {bad[0]} starts with 0x{raw[bad[0], 0]:02x}, expected 0x{REPLY_RESULT:02x} "
                             "(board out of sync or running another model)")
        cls = raw[:, 1].astype(np.int64)
        cb = raw[:, 2:].reshape(n, self.classes, self.count_bytes).astype(np.int64)
        counts = (cb << (8 * np.arange(self.count_bytes))).sum(axis=2)
        return counts, cls

    def info_reply(self, self_test_vectors: int = 0) -> bytes:
        """The board's expected reply to an info request."""
        flags = 1 if self_test_vectors else 0
        return bytes([REQ_INFO, self.inputs & 0xFF, self.inputs >> 8, self.classes, self.count_width,
                      flags, self_test_vectors & 0xFF, self_test_vectors >> 8])


def _bits_to_int(row) -> int:
    return int.from_bytes(np.packbits(np.asarray(row, dtype=np.uint8), bitorder="little").tobytes(),
                          "little")


def _bits(*fields) -> list:
    """The bits of ``fields``, LSB first: an ``(int, width)`` field gives ints, a value its 1-bit slices."""
    out = []
    for f in fields:
        if isinstance(f, tuple):
            value, width = f
            out += [(value >> i) & 1 for i in range(width)]
        else:
            out += [f[i] for i in range(len(f))]
    return out


def _padded(bits: list, n: int) -> list:
    return bits + [0] * (n - len(bits))


def _pick(sel, a, b):
    """``Mux(sel, a, b)`` of two bits (ints or 1-bit values); the int when both are the same int."""
    if isinstance(a, int) and isinstance(b, int) and a == b:
        return a
    return Mux(sel, a, b)


def _cat(bits: list):
    return Cat(*(Const(b, 1) if isinstance(b, int) else b for b in bits))


class ShellCore(wiring.Component):
    """The board-independent shell around an :class:`lgnhw.gateware.LgnCore`.

    Ports: ``rx`` (In, UART line from the host), ``tx`` (Out, UART line to the
    host), ``leds`` (Out, ``MAX_LEDS`` bits, see the module docstring),
    ``test_done`` and ``test_pass`` (Out, self-test status; 0 without
    self-test), ``ram_ready`` (In, default 1: the block RAMs can be read; the
    self-test reads none before, see :mod:`boards.clocking`). Settings:
    ``divisor`` clocks per UART bit (>= 4), ``pipeline_every`` for the core,
    ``self_test`` ``None`` or ``(bits (N, I), expected_cls (N,))`` with
    1 <= N <= 65535, ``timeout`` clocks of silence that abandon a partial frame.

    ``latency`` (attribute): the core's latency in cycles.
    """

    def __init__(self, netlist: Netlist, *, divisor: int, pipeline_every: int = 1,
                 self_test=None, timeout: int = 1_200_000, core=None, ram_delay: bool = True,
                 lut_size: int = 4):
        try:
            self_test = self._check(netlist, divisor, self_test, timeout)
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        from lgnhw.gateware import LgnCore
        self._net = netlist
        self.divisor = divisor
        self.timeout = timeout
        self.self_test = self_test
        self.protocol = Protocol(netlist)
        # ``core``: a stand-in with the same always-ready stream ports and a
        # ``latency`` attribute (benchmark baselines); default the LgnCore.
        self._core = core if core is not None else LgnCore(netlist, pipeline_every=pipeline_every,
                                                           always_ready=True, ram_delay=ram_delay,
                                                           lut_size=lut_size)
        self._rx = UARTRx(divisor)
        self._tx = UARTTx(divisor)
        self.latency = self._core.latency
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "leds": Out(MAX_LEDS),
            "test_done": Out(1),
            "test_pass": Out(1),
            "ram_ready": In(1, init=1),
        })

    @staticmethod
    def _check(netlist, divisor, self_test, timeout):
        from .uart import _check_divisor
        if not isinstance(netlist, Netlist):
            raise LgnhwError(f"netlist must be a Netlist, not {type(netlist).__name__}")
        _check_divisor(divisor)
        if netlist.num_inputs < 1 or netlist.num_inputs > 0xFFFF:
            raise LgnhwError(f"the board shell needs 1..65535 input bits, the model has {netlist.num_inputs}")
        if netlist.num_classes > 256:
            raise LgnhwError(f"the board shell sends the class as one byte; the model has "
                             f"{netlist.num_classes} classes (max 256)")
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
            raise LgnhwError(f"timeout must be a positive number of clocks, not {timeout!r}")
        if self_test is not None:
            bits, expected = self_test
            bits = np.asarray(bits, dtype=np.uint8)
            expected = np.asarray(expected, dtype=np.int64)
            if bits.ndim != 2 or bits.shape[1] != netlist.num_inputs or not 1 <= bits.shape[0] <= 0xFFFF:
                raise LgnhwError(f"self-test vectors have shape {bits.shape}, expected (1..65535, "
                                 f"{netlist.num_inputs})")
            if expected.shape != (bits.shape[0],):
                raise LgnhwError(f"self-test expected classes have shape {expected.shape}, "
                                 f"expected ({bits.shape[0]},)")
            self_test = (bits, expected)
        return self_test

    def elaborate(self, platform):
        m = Module()
        net, proto = self._net, self.protocol
        m.submodules.core = core = self._core
        m.submodules.uart_rx = rx = self._rx
        m.submodules.uart_tx = tx = self._tx
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), rx.o.ready.eq(1)]
        ni, nin = net.num_inputs, proto.in_bytes
        n_test = 0 if self.self_test is None else int(self.self_test[0].shape[0])
        # The core is always-ready (never stalls): the shell only feeds it when
        # the result has somewhere to go, so no enable fans out to its registers.
        out_valid = core.o.valid

        st_run = Signal(init=1 if n_test else 0)    # feeding the core from block RAM
        st_request = Signal()                       # 'S' received, waiting for an idle core
        st_reply = Signal()                         # send the status when the run ends
        st_done = Signal()
        st_mism = Signal(16)                        # mismatches (<= vectors <= 65535)
        st_ok = Signal(init=1)                      # no mismatch so far
        busy = Signal()                             # a UART frame is inside the core

        # -- received bytes, decoded one clock late (keeps compares off the FSM paths)
        # Registers that only carry data (meaningful only while a flag says so)
        # are reset-less: the platform's reset then reaches just the control
        # flags, and no reset has to be folded into a wide register's enable.
        got = Signal()
        byte = Signal(8, reset_less=True)
        is_cls, is_info, is_st = (Signal(reset_less=True), Signal(reset_less=True),
                                  Signal(reset_less=True))
        m.d.sync += [got.eq(rx.o.valid), byte.eq(rx.o.payload),
                     is_cls.eq(rx.o.payload == REQ_CLASSIFY), is_info.eq(rx.o.payload == REQ_INFO),
                     is_st.eq(rx.o.payload == REQ_SELFTEST)]

        # -- timeout: a prescaler tick every 2**k clocks, 15 ticks of silence abandon a frame
        k = max(0, (-(-self.timeout // 15) - 1).bit_length())
        self.timeout_clocks = 15 << k
        tick = Signal()
        if k:
            m.submodules.prescaler = prescaler = Prescaler(k)
            m.d.comb += tick.eq(prescaler.tick)
        else:
            m.d.comb += tick.eq(1)
        silent = Signal(4, reset_less=True)

        # -- UART frame receiver -------------------------------------------------
        # Byte k of a frame goes into byte lane k of `shift`, which is also the
        # core's input register: a complete frame waits there (`in_valid`) until
        # the core can take it. The first input byte of the next frame
        # overwrites it; if it was still waiting then, it is lost (`dropped`).
        # Lanes, not a shift register: a flip-flop of `shift` is tied to no
        # other one, so the placer can put it near the gates that read it.
        shift = Signal(nin * 8, reset_less=True)
        in_valid = Signal()
        # one-hot: the byte lane the frame's next input byte goes to (one LUT to
        # each lane's enable; a byte counter decoded into lanes took three)
        lane = Signal(nin, init=1, reset_less=True)
        info_req = Signal()
        dropped = Signal()
        # A byte goes into `shift` the clock after the frame FSM takes it: the
        # enable of each byte lane is then a flip-flop (`w_lane`), not a decode
        # of the FSM.
        writing = Signal()          # registered: an input byte goes into `shift` this clock
        w_lane = Signal(nin, reset_less=True)   # registered, one-hot: ... into this lane
        w_byte = Signal(8, reset_less=True)
        w_last = Signal(reset_less=True)    # ... and it is the frame's last one
        uart_fire = Signal()        # registered: the UART frame in `shift` enters the core
        m.d.sync += [writing.eq(0), w_lane.eq(0)]
        for k in range(nin):
            with m.If(w_lane[k]):
                m.d.sync += shift[8 * k:8 * k + 8].eq(w_byte)
        with m.If(uart_fire):
            m.d.sync += in_valid.eq(0)
        with m.If(writing):
            with m.If(in_valid & ~uart_fire):
                # the previous frame never got into the core: it is lost
                m.d.sync += dropped.eq(1)
            # (a frame firing this clock enters the core before the write)
            m.d.sync += in_valid.eq(w_last)
        # `loading`: inside a classify frame. `silent` counts prescaler ticks
        # since its last byte (reset by every byte and outside frames, so it is
        # one carry chain with one reset); `timed_out` is registered.
        loading = Signal()
        timed_out = Signal()
        with m.If(got | ~loading):
            m.d.sync += silent.eq(0)
        with m.Else():
            m.d.sync += silent.eq(silent + tick)
        m.d.sync += timed_out.eq(loading & ~got & (silent == 15))
        with m.If(~loading):
            m.d.sync += lane.eq(1)
            with m.If(got & ~st_run):
                with m.If(is_cls):
                    m.d.sync += loading.eq(1)
                with m.Elif(is_info):
                    m.d.sync += info_req.eq(1)
                if n_test:
                    with m.Elif(is_st):
                        m.d.sync += st_request.eq(1)
        with m.Elif(got):
            m.d.sync += [lane.eq(Cat(Const(0, 1), lane[:-1])),
                         writing.eq(1), w_lane.eq(lane), w_byte.eq(byte), w_last.eq(lane[-1])]
            with m.If(lane[-1]):
                m.d.sync += loading.eq(0)
        with m.Elif(timed_out):
            m.d.sync += loading.eq(0)

        # -- reply serialiser ----------------------------------------------------
        # A reply is `nbytes` bytes and a mask of the ones to send. It goes from
        # `word` (the core's result, or the info or status reply) to `ser`, which
        # moves on a byte (and a mask bit) after each byte the transmitter takes;
        # the transmitter sends byte 0 while mask bit 0 is set. Every register
        # here takes its data through one LUT from registers, and the wide ones
        # have registered controls: `word` loads every clock (the result, or the
        # reply `const_status` picks when `const_go`: a bit of either is a
        # constant or one register, so four LUT inputs do), `ser` takes `word`
        # when `word_valid` and moves on the clock after the transmitter took
        # byte 0; its enable `ser_en` is their OR, registered a clock ahead. A bit that is the same constant in
        # every reply gets no flip-flop. (Loading `ser` straight from the core and
        # the constant replies, under an enable decoded from the FSM, put two LUTs
        # and a global buffer in front of it: 12.5 ns on an iCE40UP5K.)
        cw = core.o.payload.cls.shape().width
        counts = core.o.payload.counts
        nbytes = max(proto.reply_bytes, 8, 4)
        pad = proto.count_bytes * 8 - proto.count_width
        result = _bits((REPLY_RESULT, 8), core.o.payload.cls, (0, 8 - cw),
                       *[f for c in range(net.num_classes) for f in (counts[c], (0, pad))])
        info = _bits(*[(b, 8) for b in proto.info_reply(n_test)])
        status = _bits((REQ_SELFTEST, 8), st_ok, (0, 7), st_mism)
        result_mask, info_mask, status_mask = (_bits(((1 << n) - 1, n)) for n in (proto.reply_bytes, 8, 4))

        def register(d, name: str, enable=None, reset_less: bool = True):
            """A flip-flop loading bit ``d`` (under ``enable``); a constant ``d`` gets none."""
            if isinstance(d, int):
                return d
            q = Signal(name=name, reset_less=reset_less)
            if enable is None:
                m.d.sync += q.eq(d)
            else:
                with m.If(enable):
                    m.d.sync += q.eq(d)
            return q

        const_go = Signal()         # the info or status reply goes to `word`
        const_status = Signal(reset_less=True)  # ... and it is the status reply
        word_valid = Signal()       # `word` holds a reply for `ser`
        ser_en = Signal()

        def word_register(name: str, n: int, res: list, st: list, inf: list) -> list:
            """``n`` bits loaded every clock: ``res``, or ``st``/``inf`` when ``const_go``."""
            return [register(_pick(const_go, _pick(const_status, s, i), r), f"{name}_{k}")
                    for k, (r, s, i) in enumerate(zip(*(_padded(x, n) for x in (res, st, inf))))]

        def shifter(name: str, load: list, step: int, reset_less: bool = True) -> list:
            """Takes ``load`` when ``word_valid``, else moves on by ``step`` bits (under ``ser_en``)."""
            q = [0] * len(load)
            for k in reversed(range(len(load))):
                q[k] = register(_pick(word_valid, load[k], q[k + step] if k + step < len(q) else 0),
                                f"{name}_{k}", enable=ser_en, reset_less=reset_less)
            return q

        word = word_register("word", nbytes * 8, result, status, info)
        word_mask = word_register("word_mask", nbytes, result_mask, status_mask, info_mask)
        ser = shifter("ser", word, 8)
        ser_mask = shifter("ser_mask", word_mask, 1, reset_less=False)
        m.d.comb += [tx.i.payload.eq(_cat(ser[:8])), tx.i.valid.eq(_cat(ser_mask[:1]))]
        idle = ~tx.i.valid
        led_cls = Signal(8)
        # `capture`: a result for the host leaves the core. It always finds the
        # serialiser idle: a UART frame enters the core only when nothing is being
        # sent or on its way to `ser`, and nothing else claims it while the frame is
        # inside (`busy`). Self-test results never set `capture` (no UART frame is
        # inside the core during a self-test). Without a self-test every result is
        # a UART frame's (also for K=0, where it comes out in the clock the frame
        # goes in, before `busy` is set).
        capture = Signal()
        m.d.comb += capture.eq(out_valid & busy if n_test else out_valid)
        want_info = info_req
        want_status = st_reply & st_done & ~st_run
        free = idle & ~busy & ~uart_fire & ~const_go & ~word_valid
        # (the transmitter is busy from the clock after a transfer, so `ser` has
        # moved on before it can take another byte)
        took = tx.i.valid & tx.i.ready
        m.d.sync += [
            const_go.eq(free & (want_info | want_status)),
            const_status.eq(~want_info),
            word_valid.eq(capture | const_go),
            ser_en.eq(capture | const_go | took),
        ]
        # (set and clear as logic, not an enable: with the reset, an enable took two LUTs)
        m.d.sync += busy.eq((uart_fire | busy) & ~capture)
        with m.If(capture):
            m.d.sync += led_cls.eq(core.o.payload.cls)
        with m.If(const_go):
            with m.If(const_status):
                m.d.sync += st_reply.eq(0)
            with m.Else():
                m.d.sync += info_req.eq(0)
        # A UART frame enters the core only when its reply can go straight out,
        # and never in the clock after a byte went into `shift`.
        m.d.sync += uart_fire.eq(in_valid & ~writing & free & ~st_run & ~info_req
                                 & ~(st_reply & st_done))
        # The core's inputs come straight from registers (`shift`, or with a
        # self-test a register after the UART/test-vector multiplexer).
        core_in, core_in_valid = Signal(ni, reset_less=True), Signal()
        m.d.comb += [core.i.payload.eq(core_in), core.i.valid.eq(core_in_valid)]

        # -- self-test datapath --------------------------------------------------
        if n_test:
            bits, expected = self.self_test
            m.submodules.vectors = vin = Memory(shape=unsigned(ni), depth=n_test,
                                                init=[_bits_to_int(r) for r in bits],
                                                attrs={"ram_style": "block"})
            m.submodules.expected = vexp = Memory(shape=unsigned(cw), depth=n_test,
                                                  init=[int(c) for c in expected],
                                                  attrs={"ram_style": "block"})
            vin_rd, exp_rd = vin.read_port(), vexp.read_port()
            aw = max(1, (n_test - 1).bit_length())
            in_idx, out_idx = Signal(aw), Signal(aw)
            in_next, out_next = Signal(aw), Signal(aw)
            feeding = Signal(init=1)     # vectors left to feed
            primed = Signal()            # read port output is valid
            st_start = Signal()
            feed = feeding & primed
            m.d.comb += st_start.eq(st_request & ~st_run & ~busy & ~in_valid)
            m.d.comb += [in_next.eq(in_idx + feed), out_next.eq(out_idx + (st_run & out_valid))]
            with m.If(st_start):
                m.d.comb += [in_next.eq(0), out_next.eq(0)]
                m.d.sync += [st_run.eq(1), feeding.eq(1), st_request.eq(0), st_reply.eq(1),
                             st_done.eq(0), st_mism.eq(0), st_ok.eq(1)]
            m.d.sync += [in_idx.eq(in_next), out_idx.eq(out_next), primed.eq(st_run & ~st_start & self.ram_ready)]
            with m.If(feed & (in_idx == n_test - 1)):
                m.d.sync += feeding.eq(0)
            m.d.comb += [vin_rd.addr.eq(in_next), exp_rd.addr.eq(out_next)]
            # compare one clock after the result (registered), count the next clock
            chk, bad, fin = Signal(), Signal(reset_less=True), Signal()
            m.d.sync += [chk.eq(st_run & out_valid), bad.eq(core.o.payload.cls != exp_rd.data),
                         fin.eq(st_run & out_valid & (out_idx == n_test - 1))]
            with m.If(chk & bad):
                m.d.sync += [st_mism.eq(st_mism + 1), st_ok.eq(0)]
            with m.If(fin):
                m.d.sync += [st_run.eq(0), st_done.eq(1)]
            with m.If(st_run):
                m.d.sync += [core_in.eq(vin_rd.data), core_in_valid.eq(feed)]
            with m.Else():
                m.d.sync += [core_in.eq(shift[:ni]), core_in_valid.eq(uart_fire)]
            m.d.comb += [self.test_done.eq(st_done),
                         self.test_pass.eq(st_done & st_ok)]
            m.d.comb += self.leds.eq(Cat(self.test_pass, st_done & ~st_ok, led_cls))
        else:
            m.d.comb += [core_in.eq(shift[:ni]), core_in_valid.eq(uart_fire)]
            m.d.comb += self.leds.eq(led_cls)
        return m


def _request_leds(platform) -> list:
    """The board's LED ports (``dir="-"``): ``led`` 0.., else the ``rgb_led`` 0 colours."""
    from amaranth.build import ResourceError
    leds = []
    for n in range(MAX_LEDS):
        try:
            leds.append(platform.request("led", n, dir="-"))
        except ResourceError:
            break
    if not leds:
        try:
            rgb = platform.request("rgb_led", 0, dir="-")
            leds = [rgb.g, rgb.r, rgb.b]
        except ResourceError:
            pass
    return leds


class BoardTop(Elaboratable):
    """The top level for a board: requests ``uart`` 0 and the LEDs, instantiates :class:`ShellCore`.

    ``clock_hz`` is the frequency of the platform's default clock (sets the
    UART divisor for ``baud``).
    """

    def __init__(self, netlist: Netlist, *, clock_hz: float, baud: int = 115200,
                 pipeline_every: int = 1, self_test=None, core=None, ram_delay: bool = True,
                 lut_size: int = 4):
        self.shell = ShellCore(netlist, divisor=uart_divisor(clock_hz, baud),
                               pipeline_every=pipeline_every, self_test=self_test,
                               timeout=max(1, int(clock_hz // 10)), core=core, ram_delay=ram_delay,
                               lut_size=lut_size)
        self.latency = self.shell.latency

    def elaborate(self, platform):
        m = Module()
        por = ice40_sync_domain(m, platform)    # elsewhere the platform's own
        m.submodules.shell = shell = self.shell
        if por is not None:
            m.d.comb += shell.ram_ready.eq(por.ready)
        # Only rx and tx of the UART resource get buffers; its flow-control pins stay unused.
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx_buf = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx_buf = tx = io.Buffer("o", uart.tx)
        m.d.comb += shell.rx.eq(rx.i)
        # Every output pin is driven by a flip-flop of its own, so the logic behind
        # it need not sit near the pin: the placer keeps a flip-flop that drives a
        # pin next to it, and it had pulled the UART transmitter and the LEDs'
        # logic there, away from the reply logic they read.
        pins = [(tx, shell.tx, Signal(name="tx_q", init=1))]
        for k, port in enumerate(_request_leds(platform)):
            m.submodules[f"led{k}_buf"] = led = io.Buffer("o", port)
            pins.append((led, shell.leds[k], Signal(name=f"led{k}_q")))
        for buf, value, q in pins:
            m.d.sync += q.eq(value)
            m.d.comb += buf.o.eq(q)
        return m
