"""Verification of emitted hardware against the golden model (cocotb + Verilator/Icarus).

:func:`simulate` emits a netlist, builds it with a small Verilog harness and
runs the cocotb testbench :mod:`lgnhw.verify.testbench`; :func:`build` and
:meth:`SimBuild.run` split that so one build serves many runs. :func:`runner`
gives a ready cocotb runner for your own testbenches.
"""

from .run import MODES, SimBuild, build, declared_latency, simulate
from .simulators import available, prepare, runner

__all__ = ["simulate", "build", "SimBuild", "MODES", "declared_latency", "available", "prepare",
           "runner"]
