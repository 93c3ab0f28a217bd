"""Dead-gate removal: drop every gate that no output depends on."""

from ..netlist import Netlist
from .rewrite import sweep_dead


def dead_gates(net: Netlist) -> Netlist:
    return sweep_dead(net)
