"""Pipelined popcount (as-soon-as-possible compressor tree) with a constant addend."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..errors import LgnhwError
from .delays import Delays
from .plan import AdderTree, adder_tree, check_pipeline_every

__all__ = ["Popcount"]


class Popcount(wiring.Component):
    """``count = popcount(bits) + constant``, as a pipelined adder tree.

    Ports: ``bits`` (In, ``num_bits``), ``en`` (In, advance the pipeline),
    ``count`` (Out, ``width`` bits, default just wide enough).
    Stand-alone, every bit is an input of stage 0 and the tree (see
    :func:`lgnhw.gateware.plan.adder_tree`) has a register after every
    adder; ``pipeline_every = 0`` makes it combinational.

    ``tree``: a scheduled :class:`~lgnhw.gateware.plan.AdderTree` (used by
    :class:`~lgnhw.gateware.LgnCore`); then bit ``i`` must be presented in
    the stage it is read in (``tree.stage[i]``) and ``count`` is the sum in
    stage ``tree.end``.

    ``latency`` (attribute): cycles from ``bits`` to ``count`` (stand-alone).
    """

    def __init__(self, num_bits: int, constant: int = 0, pipeline_every: int = 1, *,
                 width: int | None = None, tree: AdderTree | None = None):
        try:
            if isinstance(num_bits, bool) or not isinstance(num_bits, int) or num_bits < 0:
                raise LgnhwError(f"num_bits must be a non-negative integer, not {num_bits!r}")
            if isinstance(constant, bool) or not isinstance(constant, int) or constant < 0:
                raise LgnhwError(f"constant must be a non-negative integer, not {constant!r}")
            pipeline_every = check_pipeline_every(pipeline_every)
            if tree is None:
                tree = adder_tree(num_bits, constant)
                if pipeline_every == 0:
                    tree = tree.flat()
                self._bit_stage = [0] * num_bits
            else:
                if tree.num_bits != num_bits or tree.constant != constant:
                    raise LgnhwError(f"tree is over {tree.num_bits} bits + {tree.constant}, "
                                     f"not {num_bits} + {constant}")
                self._bit_stage = tree.stage[:num_bits].tolist()
            need = max(1, (num_bits + constant).bit_length())
            if width is None:
                width = need
            if isinstance(width, bool) or not isinstance(width, int) or width < need:
                raise LgnhwError(f"width must be an integer >= {need} for {num_bits} bits + {constant}, not {width!r}")
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        self._tree = tree
        self.latency = tree.end
        super().__init__({"bits": In(num_bits), "en": In(1), "count": Out(width)})

    def elaborate(self, platform):
        m = Module()
        tree = self._tree
        if tree.root < 0:
            m.d.comb += self.count.eq(0)
            return m
        stage, read = tree.stage.tolist(), tree.read.tolist()
        a, b, c = tree.a.tolist(), tree.b.tolist(), tree.c.tolist()
        nb, const = tree.num_bits, tree.const_node
        made = self._bit_stage + stage[nb:]
        versions = [None] * tree.num_nodes
        delays = Delays()

        def get(n, at):
            if n == const:
                return Const(tree.constant, tree.width(n))
            return versions[n][at - made[n]]

        def adder(n, w):
            """Node ``n``: ``a + b (+ c)`` in ``w`` bits. Each sum goes into a named
            ``w``-bit signal (the ``a + b`` of three operands too), so that no adder
            output has bits nothing reads once yosys narrows the adder to it."""
            # an adder read in its own stage keeps its own carry chain: yosys would
            # otherwise merge the two adder levels into one LUT compressor tree
            comb = tree.end > 0 and read[n] == stage[n] and n != tree.root
            value = Signal(w, name=f"n{n}", attrs={"keep": 1} if comb else {})
            t = stage[n]
            expr = get(a[n], t) + get(b[n], t)
            if c[n] >= 0:
                ab = Signal(w, name=f"n{n}_ab")
                m.d.comb += ab.eq(expr)
                expr = ab + get(c[n], t)
            m.d.comb += value.eq(expr)
            return value

        for n in range(tree.num_nodes):
            if n == const:
                continue
            w = tree.width(n)
            value = self.bits[n] if n < nb else adder(n, w)
            versions[n] = delays.chain(value, read[n] - made[n], f"n{n}")
        m.d.comb += self.count.eq(get(tree.root, tree.end))
        delays.elaborate_into(m, self.en)
        return m
