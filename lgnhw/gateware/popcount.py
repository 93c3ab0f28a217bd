"""Pipelined popcount (adder tree) with a constant addend."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..errors import LgnhwError
from .plan import adder_tree, check_pipeline_every, num_ranks, tree_schedule

__all__ = ["Popcount"]


class Popcount(wiring.Component):
    """``count = popcount(bits) + constant``, as a pipelined adder tree.

    Ports: ``bits`` (In, ``num_bits``), ``en`` (In, advance the pipeline),
    ``count`` (Out, ``width`` bits, default just wide enough).
    The tree (see :func:`lgnhw.gateware.plan.adder_tree`) spans ``levels``
    adder levels (default: its depth); a register rank follows every level
    ``l`` with ``(l + phase) % pipeline_every == 0`` (default phase: the
    last level is registered).

    ``latency`` (attribute): cycles from ``bits`` to ``count``.
    """

    def __init__(self, num_bits: int, constant: int = 0, pipeline_every: int = 1, *,
                 width: int | None = None, levels: int | None = None, phase: int | None = None):
        try:
            if isinstance(num_bits, bool) or not isinstance(num_bits, int) or num_bits < 0:
                raise LgnhwError(f"num_bits must be a non-negative integer, not {num_bits!r}")
            if isinstance(constant, bool) or not isinstance(constant, int) or constant < 0:
                raise LgnhwError(f"constant must be a non-negative integer, not {constant!r}")
            pipeline_every = check_pipeline_every(pipeline_every)
            self._tree = tree = adder_tree(num_bits, constant, levels)
            need = max(1, (num_bits + constant).bit_length())
            if width is None:
                width = need
            if isinstance(width, bool) or not isinstance(width, int) or width < need:
                raise LgnhwError(f"width must be an integer >= {need} for {num_bits} bits + {constant}, not {width!r}")
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        self._k = pipeline_every
        self._phase = ((-tree.levels) % pipeline_every if pipeline_every else 0) if phase is None else int(phase)
        self.latency = num_ranks(tree.levels, self._k, self._phase)
        super().__init__({"bits": In(num_bits), "en": In(1), "count": Out(width)})

    def elaborate(self, platform):
        m = Module()
        tree = self._tree
        if tree.root < 0:
            m.d.comb += self.count.eq(0)
            return m
        stage, last = tree_schedule(tree, tree.levels, self._k, self._phase)
        stage, last = stage.tolist(), last.tolist()
        left, right = tree.left.tolist(), tree.right.tolist()
        const = tree.const_node
        versions = [None] * tree.num_nodes

        def read(n, at):
            if n == const:
                return Const(tree.constant, tree.width(n))
            return versions[n][at - stage[n]]

        for n in range(tree.num_nodes):
            if n == const:
                continue
            w = tree.width(n)
            if n < tree.num_bits:
                value = self.bits[n]
            else:
                value = Signal(w, name=f"n{n}")
                t = stage[n]
                m.d.comb += value.eq(read(left[n], t) + read(right[n], t))
            chain = [value]
            for k in range(1, last[n] - stage[n] + 1):
                reg = Signal(w, name=f"n{n}_d{k}", reset_less=True)
                with m.If(self.en):
                    m.d.sync += reg.eq(chain[-1])
                chain.append(reg)
            versions[n] = chain
        m.d.comb += self.count.eq(read(tree.root, self.latency))
        return m
