"""The gate network as one pipelined Amaranth component."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..errors import LgnhwError
from ..netlist import FIRST_INPUT, Netlist
from .delays import Delays
from .plan import GateSchedule, check_pipeline_every, unread_signals

__all__ = ["GateNetwork", "gate_expr"]


def gate_expr(op: int, a, b):
    """Amaranth expression of difflogic op ``op`` on one-bit values ``a``, ``b``."""
    op = int(op)
    table = (
        lambda: Const(0, 1), lambda: a & b, lambda: a & ~b, lambda: a,
        lambda: ~a & b, lambda: b, lambda: a ^ b, lambda: a | b,
        lambda: ~(a | b), lambda: ~(a ^ b), lambda: ~b, lambda: a | ~b,
        lambda: ~a, lambda: ~a | b, lambda: ~(a & b), lambda: Const(1, 1),
    )
    return table[op]()


class GateNetwork(wiring.Component):
    """Pipelined gate network of a :class:`~lgnhw.Netlist`.

    Ports: ``x`` (In, one bit per netlist input), ``en`` (In, advance the
    pipeline), ``y`` (Out, one bit per tap). A register rank sits after every
    LUT level ``l`` with ``(l + phase) % pipeline_every == 0`` (see
    :mod:`lgnhw.gateware.plan`); signals read in later stages are carried by
    delay registers.

    ``taps``: ``(signals, stages)``: ``y[j]`` is signal ``signals[j]`` as
    seen in stage ``stages[j]`` (the schedule must keep it that long).
    Default: every output (``net.outputs`` order) at the end of the network.

    ``latency`` (attribute): cycles (enabled clocks) from ``x`` to ``y``
    with the default taps.
    """

    def __init__(self, netlist: Netlist, pipeline_every: int = 1, phase: int | None = None,
                 schedule: GateSchedule | None = None, taps=None):
        try:
            if not isinstance(netlist, Netlist):
                raise LgnhwError(f"netlist must be a Netlist, not {type(netlist).__name__}")
            pipeline_every = check_pipeline_every(pipeline_every)
            if netlist.num_inputs < 1:
                raise LgnhwError("the netlist has no inputs; a hardware core needs at least one input bit")
        except LgnhwError:
            self._MustUse__used = True  # refused, not unused: no UnusedElaboratable warning
            raise
        self._net = netlist
        self._schedule = schedule if schedule is not None else GateSchedule.build(netlist, pipeline_every, phase)
        self.latency = self._schedule.latency
        if taps is None:
            taps = (netlist.outputs.tolist(), [self.latency] * netlist.num_outputs)
        self._taps = [list(map(int, taps[0])), list(map(int, taps[1]))]
        super().__init__({
            "x": In(netlist.num_inputs),
            "en": In(1),
            "y": Out(max(1, len(self._taps[0]))),
        })

    def elaborate(self, platform):
        m = Module()
        net, sch = self._net, self._schedule
        stage = sch.stage.tolist()
        last = sch.last.tolist()
        versions: list = [None] * net.num_signals  # per signal: [value at stage, +1, ...]
        delays = Delays()

        def read(sig, at):
            if sig < FIRST_INPUT:
                return Const(sig, 1)
            return versions[sig][at - stage[sig]]

        def make(sig, value, name):
            versions[sig] = delays.chain(value, last[sig] - stage[sig], name)

        for j in range(net.num_inputs):
            make(FIRST_INPUT + j, self.x[j], f"in{j}")
        ops, aa, bb = net.op.tolist(), net.a.tolist(), net.b.tolist()
        reads_a, reads_b = (mask.tolist() for mask in net.operands_read)
        unread = Const(0, 1)    # an operand the op ignores is not scheduled (no delay copies)
        for g in range(net.num_gates):
            sig = net.first_gate + g
            wire = Signal(name=f"g{g}")
            t = stage[sig]
            a = read(aa[g], t) if reads_a[g] else unread
            b = read(bb[g], t) if reads_b[g] else unread
            m.d.comb += wire.eq(gate_expr(ops[g], a, b))
            make(sig, wire, f"g{g}")
        for j, (sig, at) in enumerate(zip(*self._taps)):
            m.d.comb += self.y[j].eq(read(sig, at))
        delays.elaborate_into(m, self.en)
        self._unused_inputs(m)
        return m

    def _unused_inputs(self, m):
        """``_unused_ok``: the AND of the inputs nothing reads (see
        :func:`~lgnhw.gateware.plan.unread_signals`)."""
        idle = unread_signals(self._net, self._taps[0])
        idle = idle[idle < self._net.first_gate] - FIRST_INPUT
        if idle.size:
            sink = Signal(name="_unused_ok")
            m.d.comb += sink.eq(Cat(self.x[j] for j in idle.tolist()).all())
