"""The ``sync`` clock domain of an iCE40 board, with a power-on delay one LUT deep.

Amaranth's iCE40 platform makes the domain when a design has none: the clock
pin, and reset held until 15 µs after configuration (the block RAMs read
garbage before that). It counts the delay with a counter compared with the
delay: two LUT levels into the enable of ``ready``, the critical path of the
HX8K builds of a 4,000-gate model at 169-170 MHz. :func:`ice40_sync_domain`
makes the same domain with the delay counted in two registered steps (a 4-bit
prescaler and a counter of its wraps, each compare registered), so every
flip-flop of it is one LUT from flip-flops.

On a board without a reset button the domain has no reset at all:
configuration already starts every flip-flop at its initial value, and
what must wait for the block RAMs (the shell's self-test) waits for
``ready`` instead (:attr:`~boards.shell.ShellCore.ram_ready`). A reset
reached a few hundred control flip-flops through a global buffer: on an
iCE40 a flip-flop starts at 0, so a reset flip-flop that starts at 1 needs
an inverter LUT, and that LUT's wire to the global buffer's input was the
UP5K build's critical path (10.7 ns). Flip-flops without a set/reset also
pack more freely (a logic tile's cells share one). With a button the reset
is the button's, synchronised, or'ed with ``~ready``, asynchronous (iCE40
flip-flops apply a synchronous reset only while their clock enable is high,
so yosys folds one into the enable: a LUT more).
"""

from __future__ import annotations

from amaranth.hdl import ClockDomain, ClockSignal, Const, Elaboratable, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import ResetSynchronizer

__all__ = ["ice40_sync_domain", "PowerOnDelay", "Prescaler", "POWER_ON_DELAY"]

#: Seconds the domain stays in reset after configuration (Amaranth's figure for a clock pin).
POWER_ON_DELAY = 15e-6


class PowerOnDelay(Elaboratable):
    """``ready`` (Out) rises after ``clocks`` (at least ``min_clocks``, rounded up to
    a multiple of 16, at least 32) clocks of ``domain`` and stays high."""

    def __init__(self, min_clocks: int, domain: str = "sync"):
        self.wraps = max(2, -(-int(min_clocks) // 16))
        self.clocks = 16 * self.wraps
        self.domain = domain
        self.ready = Signal()

    def elaborate(self, platform):
        m = Module()
        d = m.d[self.domain]
        pre = Signal(4)                     # counts clocks, wraps every 16
        wrap = Signal()                     # registered: `pre` wraps this clock
        count = Signal(range(self.wraps))   # wraps so far
        last = Signal()                     # registered: `count` is at its last value
        with m.If(~self.ready):
            d += [pre.eq(pre + 1), wrap.eq(pre == 14)]
            with m.If(wrap):
                d += [count.eq(count + 1), last.eq(count == self.wraps - 2)]
        with m.If(wrap & last):
            d += self.ready.eq(1)
        return m


class Prescaler(Elaboratable):
    """``tick`` (Out) is high one clock in every ``2**bits``. The count is kept in
    stages of at most three bits, each stepping on the registered wrap pulse of
    the one before, so every flip-flop is one LUT from flip-flops and there is
    no long carry chain (a 17-bit counter's was the UP5K build's critical path)."""

    STAGE = 3

    def __init__(self, bits: int):
        if bits < 1:
            self._MustUse__silence = True     # Amaranth's way: a refused one is not "unused"
            raise ValueError(f"a prescaler needs at least one bit, not {bits!r}")
        self.bits = bits
        self.tick = Signal()

    def elaborate(self, platform):
        m = Module()
        step = Const(1, 1)
        for low in range(0, self.bits, self.STAGE):
            width = min(self.STAGE, self.bits - low)
            count = Signal(width, name=f"count{low}", reset_less=True)
            wrap = Signal(name=f"wrap{low}")        # registered: `count` wrapped at the last step
            m.d.sync += wrap.eq(step & (count == (1 << width) - 1))
            with m.If(step):
                m.d.sync += count.eq(count + 1)
            step = wrap
        m.d.comb += self.tick.eq(step)
        return m


def ice40_sync_domain(m: Module, platform) -> PowerOnDelay | None:
    """Add the ``sync`` domain to ``m`` for an iCE40 ``platform`` clocked from a pin
    and return its power-on delay; None (nothing added, the platform makes its own)
    for other platforms and for the internal oscillators."""
    from amaranth.vendor import SiliconBluePlatform
    if not isinstance(platform, SiliconBluePlatform) or platform.default_clk in ("SB_HFOSC", "SB_LFOSC"):
        return None
    m.submodules.clk_buf = clk = io.Buffer("i", platform.request(platform.default_clk, dir="-"))

    m.domains.por = ClockDomain(reset_less=True, local=True)
    m.d.comb += ClockSignal("por").eq(clk.i)
    m.submodules.por = por = PowerOnDelay(int(POWER_ON_DELAY * platform.default_clk_frequency), domain="por")

    m.domains.sync = ClockDomain(reset_less=platform.default_rst is None, async_reset=True)
    m.d.comb += ClockSignal("sync").eq(clk.i)
    if platform.default_rst is not None:
        m.submodules.rst_buf = rst = io.Buffer("i", platform.request(platform.default_rst, dir="-"))
        m.submodules.reset_sync = ResetSynchronizer(~por.ready | rst.i, domain="sync")
    return por
