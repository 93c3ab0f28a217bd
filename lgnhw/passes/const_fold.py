"""Constant folding.

Constant inputs are fixed into the op id, a gate reading one signal twice
becomes a one-input function, and gates that compute a constant are replaced
by it; outputs that become constant 1 move into their class's bias (constant
0 outputs read signal 0), so every class score and the argmax are unchanged.
"""

from ..netlist import Netlist
from .rewrite import consts_idle, rewrite_swept, sweep_dead


def const_fold(net: Netlist) -> Netlist:
    if consts_idle(net):                       # nothing to fold: skip the sweep
        return sweep_dead(net)
    return rewrite_swept(net, consts=True)
