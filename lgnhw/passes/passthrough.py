"""Pass-through elimination.

Gates that compute ``A``, ``B`` (wires) or ``not A``, ``not B`` are removed:
consumers read the source signal directly and absorb an inversion by
rewriting their own op id (:func:`lgnhw.ops.negate_a` / ``negate_b``). An
inverter that feeds an output directly is kept: a popcount bit cannot absorb
it.
"""

from ..netlist import Netlist
from .rewrite import rewrite_swept, sweep_dead, wires_idle


def passthrough(net: Netlist) -> Netlist:
    if wires_idle(net):                        # no pass-through gate to remove: skip the sweep
        return sweep_dead(net)
    return rewrite_swept(net, wires=True)
