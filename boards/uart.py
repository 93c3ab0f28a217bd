"""8N1 UART receiver and transmitter with byte streams (amaranth.lib.stream).

Both run in the ``sync`` domain at ``divisor`` clocks per bit
(``divisor = round(clock_hz / baud)``, at least 4). Line idle is high; a
frame is one start bit (0), eight data bits LSB first, one stop bit (1).

* :class:`UARTTx`: ``i`` (In stream of bytes) -> ``tx`` pin. ``i.ready`` is
  high while the transmitter is idle; a byte transfer starts its frame at once,
  back-to-back transfers give back-to-back frames.
* :class:`UARTRx`: ``rx`` pin -> ``o`` (Out stream of bytes). ``rx`` passes a
  two-flop synchroniser, a start bit is confirmed at its middle, each bit is
  sampled at its middle. A frame whose stop bit is low is dropped and pulses
  ``framing_error``; a byte arriving while the previous one is still unread
  replaces it and pulses ``overrun``.

Latency: a byte appears on ``o`` about 9.5 bit times after its start-bit edge
(plus 2 clocks of synchroniser and 1 of the registered stop-bit event); ``tx`` starts the start bit one clock after the
``i`` transfer.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from lgnhw.errors import LgnhwError

__all__ = ["UARTTx", "UARTRx", "uart_divisor"]


def uart_divisor(clock_hz: float, baud: int) -> int:
    """Clocks per bit for ``baud`` at ``clock_hz``; error if the rate is off by more than 2 %."""
    if not isinstance(baud, int) or isinstance(baud, bool) or baud <= 0:
        raise LgnhwError(f"baud rate must be a positive integer, not {baud!r}")
    div = round(clock_hz / baud)
    if div < 4:
        raise LgnhwError(f"baud rate {baud} is too fast for a {clock_hz / 1e6:g} MHz clock "
                         f"(needs at least 4 clocks per bit)")
    if abs(clock_hz / div - baud) / baud > 0.02:
        raise LgnhwError(f"baud rate {baud} cannot be made from a {clock_hz / 1e6:g} MHz clock "
                         f"within 2 % (nearest {clock_hz / div:.0f})")
    return div


def _check_divisor(divisor) -> int:
    if isinstance(divisor, bool) or not isinstance(divisor, int) or divisor < 4:
        raise LgnhwError(f"UART divisor must be an integer >= 4 (clocks per bit), not {divisor!r}")
    return divisor


class UARTTx(wiring.Component):
    """UART transmitter: bytes on ``i`` go out on ``tx`` as 8N1 frames.

    ``divisor``: clocks per bit (>= 4).
    """

    def __init__(self, divisor: int):
        self.divisor = _check_divisor(divisor)
        super().__init__({
            "i": In(stream.Signature(unsigned(8))),
            "tx": Out(1, init=1),
        })

    def elaborate(self, platform):
        # Every flip-flop is one LUT4 from flip-flops (the bit timer's compare:
        # two): a transfer (`load`, only while idle) and the end of a bit
        # (`bit_end`, only while busy) never coincide, so one enable of three
        # inputs moves the frame, and `pos`, one-hot, marks the stop bit instead
        # of a count compared with 1. (Decoding both from a bit counter put two
        # LUT levels into the enable: the critical path of UP5K builds.)
        m = Module()
        div = self.divisor
        timer = Signal(range(div))
        bit_end = Signal()              # registered: timer reaches 0 this clock
        busy = Signal()
        bits = Signal(10, init=0x3FF)   # stop, data[7:0], start, shifted out LSB first
        pos = Signal(10)                # one-hot: the bit on the line (bit 0: the stop bit)
        load = ~busy & self.i.valid
        m.d.comb += [self.i.ready.eq(~busy), self.tx.eq(bits[0])]
        m.d.sync += [bit_end.eq(busy & (timer == 1)),
                     busy.eq(load | (busy & ~(bit_end & pos[0])))]
        # `timer` counts down on every clock (idle too: `bit_end` ignores it then),
        # so it has no enable to decode
        m.d.sync += timer.eq(timer - 1)
        frame = Cat(Const(0, 1), self.i.payload, Const(1, 1))
        with m.If(load | bit_end):
            m.d.sync += [bits.eq(Mux(busy, Cat(bits[1:], Const(1, 1)), frame)),
                         pos.eq(Mux(busy, pos[1:], 1 << 9)), timer.eq(div - 1)]
        return m


class UARTRx(wiring.Component):
    """UART receiver: 8N1 frames on ``rx`` become bytes on ``o``.

    ``divisor``: clocks per bit (>= 4). ``framing_error`` and ``overrun`` pulse
    for one clock when a frame is dropped or an unread byte is replaced.
    """

    def __init__(self, divisor: int):
        self.divisor = _check_divisor(divisor)
        super().__init__({
            "rx": In(1, init=1),
            "o": Out(stream.Signature(unsigned(8))),
            "framing_error": Out(1),
            "overrun": Out(1),
        })

    def elaborate(self, platform):
        # Every decision is at most one LUT4 away from registers (the tick's
        # compare: two): a tick's outcome is first registered as an event
        # (`ev_*`, with the bit it sampled), and the one-hot state flags and the
        # data path follow the events a clock later. A bit lasts >= 4 clocks,
        # so no tick comes before its state has caught up. (A binary-encoded
        # FSM took three LUT levels plus a high-fanout enable, 13.1 ns on an
        # iCE40UP5K.)
        m = Module()
        div = self.divisor
        rx = Signal(init=1)
        m.submodules.sync = FFSynchronizer(self.rx, rx, init=1)

        # `timer` counts up from 0 and restarts at every tick and while the line
        # is idle: one synchronous reset for all its flip-flops (the cells of an
        # iCE40 tile share their set/reset), so its increment stays one unbroken
        # carry chain. A constant reload would make each flip-flop a set or a
        # reset one, and split the chain into two-cell pieces.
        timer = Signal(range(div), reset_less=True)
        tick = Signal(reset_less=True)  # registered: the current wait ends this clock
        idle = Signal(init=1)
        start = Signal()                # waiting for the middle of the start bit
        data_st = Signal()              # sampling data bits
        stop = Signal()                 # waiting for the middle of the stop bit
        brk = Signal()                  # after a bad frame: waiting for the line to go high
        ev_conf = Signal()              # the start bit was still low in its middle
        ev_sample = Signal()            # a data bit was sampled (into ev_rx)
        ev_stop = Signal()              # the stop bit was sampled (into ev_rx)
        ev_to_idle = Signal()           # a glitch, or a good stop bit
        ev_rx = Signal(reset_less=True)
        shift = Signal(8, reset_less=True)
        count = Signal(range(8), reset_less=True)   # data bits sampled so far (mod 8)
        last = Signal(reset_less=True)  # registered: the next sample is bit 7
        data = Signal(8, reset_less=True)
        valid = Signal()
        m.d.comb += [self.o.payload.eq(data), self.o.valid.eq(valid)]

        m.d.sync += [
            tick.eq(Mux(start, timer == div // 2 - 2, timer == div - 2)),
            ev_conf.eq(start & tick & ~rx),
            ev_sample.eq(data_st & tick),
            ev_stop.eq(stop & tick),
            ev_to_idle.eq(tick & rx & (start | stop)),
            ev_rx.eq(rx),
            last.eq(count == 7),
            idle.eq((idle & rx) | ev_to_idle | (brk & rx)),
            start.eq((idle & ~rx) | (start & ~tick)),
            data_st.eq(ev_conf | (data_st & ~(ev_sample & last))),
            stop.eq((ev_sample & last) | (stop & ~ev_stop)),
            brk.eq((ev_stop & ~ev_rx) | (brk & ~rx)),
        ]
        with m.If(idle | brk | tick):
            m.d.sync += timer.eq(0)
        with m.Else():
            m.d.sync += timer.eq(timer + 1)
        with m.If(ev_conf):
            m.d.sync += count.eq(0)
        with m.Elif(ev_sample):
            m.d.sync += [shift.eq(Cat(shift[1:], ev_rx)), count.eq(count + 1)]

        with m.If(ev_stop & ev_rx):
            m.d.sync += [data.eq(shift), valid.eq(1)]
            m.d.comb += self.overrun.eq(valid & ~self.o.ready)
        with m.Elif(self.o.ready):
            m.d.sync += valid.eq(0)
        m.d.comb += self.framing_error.eq(ev_stop & ~ev_rx)
        return m
