"""The ``sync`` clock domain of an iCE40 board, with a power-on delay one LUT deep.

Amaranth's iCE40 platform makes the domain when a design has none: the clock
pin, and reset held until 15 µs after configuration (the block RAMs read
garbage before that). It counts the delay with a counter compared with the
delay: two LUT levels into the enable of ``ready``, the critical path of the
HX8K builds of a 4,000-gate model at 169-170 MHz. :func:`ice40_sync_domain`
makes the same domain with the delay counted in two registered steps (a 4-bit
prescaler and a counter of its wraps, each compare registered), so every
flip-flop of it is one LUT from flip-flops.

The domain's reset is asynchronous, asserted from configuration and released
on a clock edge by a flip-flop (``PowerOnDelay.held``, straight into the global
buffer: no inverter in between). iCE40 flip-flops apply a synchronous reset
only while their clock enable is high, so yosys folds a synchronous reset into
the enable of every register that has both (a LUT of the reset and the enable
on the clock-enable pin); an asynchronous reset goes to the set/reset pin on
its own. nextpnr times the release like any register input. On the HX8K build
of digits4k (seeds 1-5) that took those LUTs off the critical paths; the
paths are then in the shell's logic and the core, 182-210 MHz.
"""

from __future__ import annotations

from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Module, ResetSignal, Signal
from amaranth.lib import io
from amaranth.lib.cdc import ResetSynchronizer

__all__ = ["ice40_sync_domain", "PowerOnDelay", "POWER_ON_DELAY"]

#: Seconds the domain stays in reset after configuration (Amaranth's figure for a clock pin).
POWER_ON_DELAY = 15e-6


class PowerOnDelay(Elaboratable):
    """``ready`` (Out) rises after ``clocks`` (at least ``min_clocks``, rounded up to
    a multiple of 16, at least 32) clocks of ``domain`` and stays high; ``held`` is
    its complement, a register of its own (a reset taken straight from a flip-flop)."""

    def __init__(self, min_clocks: int, domain: str = "sync"):
        self.wraps = max(2, -(-int(min_clocks) // 16))
        self.clocks = 16 * self.wraps
        self.domain = domain
        self.ready = Signal()
        self.held = Signal(init=1)

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
        d += self.ready.eq(self.ready | (wrap & last))
        d += self.held.eq(~(self.ready | (wrap & last)))
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
    ready = por.ready

    m.domains.sync = ClockDomain(async_reset=True)
    m.d.comb += ClockSignal("sync").eq(clk.i)
    if platform.default_rst is not None:
        m.submodules.rst_buf = rst = io.Buffer("i", platform.request(platform.default_rst, dir="-"))
        m.submodules.reset_sync = ResetSynchronizer(~ready | rst.i, domain="sync")
    else:
        m.d.comb += ResetSignal("sync").eq(por.held)
    return por
