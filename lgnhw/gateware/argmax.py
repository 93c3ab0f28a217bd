"""Pipelined argmax (compare tree), ties to the lowest class index."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..errors import LgnhwError
from .plan import check_pipeline_every, class_width, compare_tree, num_ranks, tree_schedule

__all__ = ["Argmax"]


class Argmax(wiring.Component):
    """Index of the largest of ``num_classes`` counts; equal counts go to the lower index.

    Ports: ``counts`` (In, ArrayLayout(unsigned(count_width), num_classes)),
    ``en`` (In, advance the pipeline), ``cls`` (Out, class index) and
    ``counts_out`` (Out, the input counts delayed to line up with ``cls``).
    The compare tree (see :mod:`lgnhw.gateware.plan`) has ``ceil(log2 C)``
    levels; a register rank follows every level ``l`` with
    ``(l + phase) % pipeline_every == 0``.

    ``latency`` (attribute): cycles from ``counts`` to ``cls``/``counts_out``.
    """

    def __init__(self, num_classes: int, count_width: int, pipeline_every: int = 1, *,
                 phase: int | None = None):
        try:
            if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
                raise LgnhwError(f"num_classes must be a positive integer, not {num_classes!r}")
            if isinstance(count_width, bool) or not isinstance(count_width, int) or count_width < 1:
                raise LgnhwError(f"count_width must be a positive integer, not {count_width!r}")
            pipeline_every = check_pipeline_every(pipeline_every)
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        self._tree = compare_tree(num_classes)
        self._k = pipeline_every
        self._width = count_width
        levels = self._tree.levels
        self._phase = ((-levels) % pipeline_every if pipeline_every else 0) if phase is None else int(phase)
        self.latency = num_ranks(levels, self._k, self._phase)
        layout = data.ArrayLayout(unsigned(count_width), num_classes)
        super().__init__({
            "counts": In(layout), "en": In(1),
            "cls": Out(class_width(num_classes)), "counts_out": Out(layout),
        })

    def elaborate(self, platform):
        m = Module()
        tree, nw = self._tree, self._width
        cw = class_width(tree.num_classes)
        stage, last = tree_schedule(tree, tree.levels, self._k, self._phase, leaves_to_end=True)
        stage, last = stage.tolist(), last.tolist()
        left, right = tree.left.tolist(), tree.right.tolist()
        cnt, idx = [None] * len(stage), [None] * len(stage)

        def delay(value, n, name):
            chain = [value]
            for k in range(1, last[n] - stage[n] + 1):
                reg = Signal(value.shape(), name=f"{name}_d{k}", reset_less=True)
                with m.If(self.en):
                    m.d.sync += reg.eq(chain[-1])
                chain.append(reg)
            return chain

        for n in range(len(stage)):
            if n < tree.num_classes:
                cnt[n] = delay(self.counts[n], n, f"count{n}")
                idx[n] = [Const(n, cw)] * (last[n] - stage[n] + 1)
                continue
            t, a, b = stage[n], left[n], right[n]
            ca, cb = cnt[a][t - stage[a]], cnt[b][t - stage[b]]
            ia, ib = idx[a][t - stage[a]], idx[b][t - stage[b]]
            take_b = Signal(name=f"take{n}")
            c, i = Signal(nw, name=f"max{n}"), Signal(cw, name=f"idx{n}")
            m.d.comb += [take_b.eq(cb > ca), c.eq(Mux(take_b, cb, ca)), i.eq(Mux(take_b, ib, ia))]
            cnt[n], idx[n] = delay(c, n, f"max{n}"), delay(i, n, f"idx{n}")
        end = self.latency
        root = tree.root
        m.d.comb += self.cls.eq(idx[root][end - stage[root]])
        for c in range(tree.num_classes):
            m.d.comb += self.counts_out[c].eq(cnt[c][end - stage[c]])
        return m
