"""Structural hashing (common-subexpression merging).

Gates with the same inputs and the same function are merged, commutativity
aware (``op(a, b)`` equals ``swap_inputs(op)(b, a)``); a gate computing the
complement of another (e.g. NAND beside AND on the same inputs) is replaced
by the other, inverted, and its consumers absorb the inversion.
"""

from ..netlist import Netlist
from .rewrite import rewrite_swept


def strash(net: Netlist) -> Netlist:
    return rewrite_swept(net, hashing=True)
