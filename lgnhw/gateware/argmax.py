"""Pipelined argmax (compare tree, compare and select in separate stages), ties to the lowest class index."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..errors import LgnhwError
from .plan import check_pipeline_every, class_width, compare_tree

__all__ = ["Argmax"]


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
    """

    def __init__(self, num_classes: int, count_width: int, pipeline_every: int = 1):
        try:
            if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
                raise LgnhwError(f"num_classes must be a positive integer, not {num_classes!r}")
            if isinstance(count_width, bool) or not isinstance(count_width, int) or count_width < 1:
                raise LgnhwError(f"count_width must be a positive integer, not {count_width!r}")
            pipeline_every = check_pipeline_every(pipeline_every)
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        self._tree = compare_tree(num_classes, pipeline_every > 0)
        self._width = count_width
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

        def chain(value, made, until, name):
            out = [value]
            for k in range(1, until - made + 1):
                reg = Signal(value.shape(), name=f"{name}_d{k}", reset_less=True)
                with m.If(self.en):
                    m.d.sync += reg.eq(out[-1])
                out.append(reg)
            return out

        for n in range(len(stage)):
            if n < nc:
                cnt[n] = chain(self.counts[n], 0, last[n], f"count{n}")
                idx[n] = [Const(n, cw)] * (last[n] + 1)
                continue
            a, b, t, s = left[n], right[n], take_at[n], stage[n]
            take = Signal(name=f"take{n}")
            m.d.comb += take.eq(cnt[b][t - stage[b]] > cnt[a][t - stage[a]])
            take_s = chain(take, t, s, f"take{n}")[s - t]
            c, i = Signal(nw, name=f"max{n}"), Signal(cw, name=f"idx{n}")
            m.d.comb += [c.eq(Mux(take_s, cnt[b][s - stage[b]], cnt[a][s - stage[a]])),
                         i.eq(Mux(take_s, idx[b][s - stage[b]], idx[a][s - stage[a]]))]
            cnt[n], idx[n] = chain(c, s, last[n], f"max{n}"), chain(i, s, last[n], f"idx{n}")
        end, root = tree.end, tree.root
        m.d.comb += self.cls.eq(idx[root][end - stage[root]])
        for c in range(nc):
            m.d.comb += self.counts_out[c].eq(cnt[c][end])
        return m
