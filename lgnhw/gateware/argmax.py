"""Pipelined argmax (compare tree, compare and select in separate stages), ties to the lowest class index."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..errors import LgnhwError
from .delays import Delays
from .plan import check_pipeline_every, class_width, compare_tree

__all__ = ["Argmax", "RAM_DELAY_MIN_STAGES", "RAM_DELAY_MIN_BITS", "uses_ram_delay"]

#: ``counts_out`` rides in block RAM (a circular buffer) instead of a
#: flip-flop chain when it is delayed at least this many stages and is at
#: least this many bits wide: one iCE40 block RAM (16 bits wide) then replaces
#: >= 16 * 7 flip-flops, each a whole logic cell. Smaller chains stay flip-flops.
RAM_DELAY_MIN_STAGES = 8
RAM_DELAY_MIN_BITS = 32


def uses_ram_delay(stages: int, num_classes: int, count_width: int, allowed: bool = True) -> bool:
    """Whether the ``counts_out`` delay line goes into block RAM."""
    return allowed and stages >= RAM_DELAY_MIN_STAGES and num_classes * count_width >= RAM_DELAY_MIN_BITS


class Argmax(wiring.Component):
    """Index of the largest of ``num_classes`` counts; equal counts go to the lower index.

    Ports: ``counts`` (In, ArrayLayout(unsigned(count_width), num_classes)),
    ``en`` (In, advance the pipeline), ``cls`` (Out, class index) and
    ``counts_out`` (Out, the input counts delayed to line up with ``cls``).
    The compare tree (see :func:`lgnhw.gateware.plan.compare_tree`) has
    ``A = ceil(log2 C)`` levels of two stages each (compare, then select);
    with ``pipeline_every = 0`` it is combinational.

    ``latency`` (attribute): cycles from ``counts`` to ``cls``/``counts_out``
    (``2 * A``, or 0).

    The ``counts_out`` delay line is a block-RAM circular buffer when it is
    long and wide (see :data:`RAM_DELAY_MIN_STAGES`) and ``ram_delay`` is set;
    same cycle behaviour as the flip-flop chain the Verilog writer emits
    (``en`` advances both). Builds set ``ram_delay`` only where flip-flops are
    scarce (iCE40, one flip-flop per logic cell): a block RAM's clock-to-output
    time (5.8 ns on an ECP5-6) would otherwise set the clock.
    """

    def __init__(self, num_classes: int, count_width: int, pipeline_every: int = 1, *,
                 ram_delay: bool = True):
        try:
            if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
                raise LgnhwError(f"num_classes must be a positive integer, not {num_classes!r}")
            if isinstance(count_width, bool) or not isinstance(count_width, int) or count_width < 1:
                raise LgnhwError(f"count_width must be a positive integer, not {count_width!r}")
            pipeline_every = check_pipeline_every(pipeline_every)
            if not isinstance(ram_delay, bool):
                raise LgnhwError(f"ram_delay must be True or False, not {ram_delay!r}")
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        self._tree = compare_tree(num_classes, pipeline_every > 0)
        self._width = count_width
        self.ram_delay = ram_delay
        self.latency = self._tree.end
        layout = data.ArrayLayout(unsigned(count_width), num_classes)
        super().__init__({
            "counts": In(layout), "en": In(1),
            "cls": Out(class_width(num_classes)), "counts_out": Out(layout),
        })

    def elaborate(self, platform):
        m = Module()
        tree, nw = self._tree, self._width
        nc = tree.num_classes
        cw = class_width(nc)
        stage, last, take_at = tree.stage.tolist(), tree.last.tolist(), tree.take_stage.tolist()
        left, right = tree.left.tolist(), tree.right.tolist()
        cnt, idx = [None] * len(stage), [None] * len(stage)
        delays = Delays()

        def chain(value, made, until, name):
            return delays.chain(value, until - made, name)

        ram = uses_ram_delay(tree.end, nc, nw, self.ram_delay)
        until = list(last)
        if ram:  # the leaves' chains then only reach the stages their parents read them in
            for leaf in range(nc):
                until[leaf] = 0
            for n in range(nc, len(stage)):
                for leaf in (left[n], right[n]):
                    if leaf < nc:
                        until[leaf] = max(until[leaf], stage[n])
        # Only the low ``vary[n]`` bits of a node's index vary: the others are
        # the constant ``lo[n] >> vary[n]`` and get no registers.
        vary, lo = tree.index_bits.tolist(), tree.lo.tolist()

        def index(n, at):
            if n < nc:
                return Const(n, cw)
            reg = idx[n][at - stage[n]]
            return reg if vary[n] == cw else Cat(reg, Const(lo[n] >> vary[n], cw - vary[n]))

        for n in range(len(stage)):
            if n < nc:
                cnt[n] = chain(self.counts[n], 0, until[n], f"count{n}")
                continue
            a, b, t, s = left[n], right[n], take_at[n], stage[n]
            # right > left as the borrow of left - right: one carry chain (a `>`
            # became a three-level LUT tree on iCE40, the core's slowest path).
            # Only the top bit is read (lint: the name says the rest is unused).
            take, diff = Signal(name=f"take{n}"), Signal(nw + 1, name=f"take{n}_unused_low")
            m.d.comb += [diff.eq(cnt[a][t - stage[a]] - cnt[b][t - stage[b]]), take.eq(diff[nw])]
            take_s = chain(take, t, s, f"take{n}")[s - t]
            c, i = Signal(nw, name=f"max{n}"), Signal(vary[n], name=f"idx{n}")
            m.d.comb += [c.eq(Mux(take_s, cnt[b][s - stage[b]], cnt[a][s - stage[a]])),
                         i.eq(Mux(take_s, index(b, s)[:vary[n]], index(a, s)[:vary[n]]))]
            cnt[n], idx[n] = chain(c, s, last[n], f"max{n}"), chain(i, s, last[n], f"idx{n}")
        end, root = tree.end, tree.root
        m.d.comb += self.cls.eq(index(root, end))
        if ram:
            m.d.comb += self.counts_out.as_value().eq(self._ram_delay(m, self.counts.as_value(), end))
        else:
            for c in range(nc):
                m.d.comb += self.counts_out[c].eq(cnt[c][end])
        delays.elaborate_into(m, self.en)
        return m

    def _ram_delay(self, m, value, depth):
        """``value`` delayed by ``depth`` enabled clocks through a block-RAM circular buffer.

        Entry ``p`` is written each enabled clock while entry ``p + 1`` (written
        ``depth - 1`` enables ago) is read into the read port's register, the
        last delay stage; the two addresses never meet (``depth >= 2``).
        """
        mem = Memory(shape=unsigned(len(value)), depth=depth, init=[], attrs={"ram_style": "block"})
        m.submodules.counts_delay = mem
        wr, rd = mem.write_port(), mem.read_port(transparent_for=())
        # reset by ``rst`` (as the valid bits are): their distance sets the delay
        wp = Signal(range(depth), name="delay_wp")
        rp = Signal(range(depth), name="delay_rp", init=1)
        wp_next, rp_next = _wrapped_increment(m, wp, depth), _wrapped_increment(m, rp, depth)
        with m.If(self.en):
            m.d.sync += [wp.eq(wp_next), rp.eq(rp_next)]
        m.d.comb += [wr.addr.eq(wp), wr.data.eq(value), wr.en.eq(self.en),
                     rd.addr.eq(rp), rd.en.eq(self.en)]
        return rd.data


def _wrapped_increment(m, pointer, depth):
    """``pointer + 1`` modulo ``depth``; the sum goes into a named signal of the
    pointer's width, so yosys narrows the adder to it (no unread carry bit)."""
    nxt = Signal(len(pointer), name=f"{pointer.name}_next")
    m.d.comb += nxt.eq(pointer + 1)
    return Mux(pointer == depth - 1, 0, nxt)
