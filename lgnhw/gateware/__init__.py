"""Amaranth gateware: pipelined gate network, popcount and argmax, and the LgnCore top.

The schedule (register placement, latency) lives in :mod:`lgnhw.gateware.plan`
and is shared with the direct Verilog writer :mod:`lgnhw.verilog`.
"""

from .argmax import Argmax
from .core import LgnCore, output_layout
from .layers import GateNetwork, gate_expr
from .plan import Plan, latency
from .popcount import Popcount

__all__ = ["LgnCore", "GateNetwork", "Popcount", "Argmax", "Plan", "latency",
           "gate_expr", "output_layout"]
