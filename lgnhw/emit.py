"""Emit a netlist as pipelined Verilog, through Amaranth or the direct writer.

Both backends render the same :class:`lgnhw.gateware.plan.Plan`: same ports,
same latency, same behaviour. Amaranth is the reference (its Python AST costs
about 0.3 ms per gate); the direct writer handles million-gate netlists. Both
texts pass ``verilator --lint-only -Wall`` and pyslang without warnings; the
Amaranth design gets there through :data:`_YOSYS_SCRIPT`.
"""

from __future__ import annotations

import os
import tempfile
import time

from .errors import FormatError, LgnhwError
from .fileio import atomic_open
from .gateware.plan import Plan, check_pipeline_every
from .netlist import Netlist

__all__ = ["emit", "amaranth_verilog", "BACKENDS"]

BACKENDS = ("verilog", "amaranth")


#: yosys script turning Amaranth's RTLIL into Verilog that passes ``verilator
#: --lint-only -Wall`` and pyslang. Amaranth's own ``verilog.convert`` keeps the
#: hierarchy (unused ports in every submodule), the alias wires of its views,
#: every register's init value (``reg x = 1'h0;`` driven by an always block:
#: PROCASSINIT) and operands narrower than their sum. Here:
#:
#: * ``flatten``: one module, as the direct writer's;
#: * ``attrmap -remove init``: no init values, as in the direct writer; the
#:   registers whose start matters (valid bits, the argmax RAM pointers) are
#:   set by ``rst``, the others hold data of invalid slots until then;
#: * ``wreduce`` narrows each adder to the named signal its sum goes into,
#:   :data:`_WIDEN_ADD` zero-extends its operands to that width (Amaranth's
#:   RTLIL strips zero extensions);
#: * ``opt_clean -purge`` drops the wires and registers nothing reads, but keeps
#:   the ``*_unused*`` sinks (Verilator's idiom) of ports nothing reads.
_YOSYS_SCRIPT = """\
read_rtlil core.il
proc
memory_collect
flatten
attrmap -remove init
wreduce t:$add
techmap -map widen_add.v t:$add
attrmap -remove src -remove hdlname
setattr -set keep 1 w:*_unused*
opt_clean -purge
setattr -unset keep w:*_unused*
write_verilog -norename core.v
"""

#: ``$add`` with operands narrower than the sum -> the same add of zero-extended operands.
_WIDEN_ADD = """\
(* techmap_celltype = "$add" *)
module _lgnhw_widen_add (A, B, Y);
    parameter A_SIGNED = 0;
    parameter B_SIGNED = 0;
    parameter A_WIDTH = 1;
    parameter B_WIDTH = 1;
    parameter Y_WIDTH = 1;
    input wire [A_WIDTH-1:0] A;
    input wire [B_WIDTH-1:0] B;
    output wire [Y_WIDTH-1:0] Y;
    wire _TECHMAP_FAIL_ = A_SIGNED || B_SIGNED || A_WIDTH > Y_WIDTH || B_WIDTH > Y_WIDTH
                          || (A_WIDTH == Y_WIDTH && B_WIDTH == Y_WIDTH);
    wire [Y_WIDTH-1:0] a = A;
    wire [Y_WIDTH-1:0] b = B;
    assign Y = a + b;
endmodule
"""


def _rtlil_to_verilog(rtlil_text: str) -> str:
    """Verilog of Amaranth's RTLIL through :data:`_YOSYS_SCRIPT`."""
    from . import tools
    with tempfile.TemporaryDirectory(prefix="lgnhw-emit-") as tmp:
        for fname, text in (("core.il", rtlil_text), ("widen_add.v", _WIDEN_ADD)):
            with open(os.path.join(tmp, fname), "w") as f:
                f.write(text)
        tools.run_yosys(_YOSYS_SCRIPT, tmp, "yosys conversion of the Amaranth design")
        with open(os.path.join(tmp, "core.v")) as f:
            return f.read()


def amaranth_verilog(net: Netlist, pipeline_every: int = 1, name: str = "lgn_core",
                     always_ready: bool = False) -> tuple[str, int]:
    """Verilog text of :class:`LgnCore` (plus the AXI-Stream wrapper) and its latency."""
    from amaranth.back import rtlil
    from .gateware import LgnCore
    from .axistream import AxisLayout, axis_wrapper
    from .verilog import _check_name

    name = _check_name(name)
    core = LgnCore(net, pipeline_every, always_ready=always_ready)
    text = _rtlil_to_verilog(rtlil.convert(core, name=name, ports=core.ports(), emit_src=False))
    wrapper = axis_wrapper(name, AxisLayout.for_plan(core.plan), core.latency, always_ready)
    return text + "\n" + wrapper, core.latency


def emit(net: Netlist, path, backend: str = "verilog", pipeline_every: int = 1,
         name: str = "lgn_core", always_ready: bool = False) -> dict:
    """Write the pipelined core for ``net`` to ``path`` (atomically).

    Returns ``{"gates", "latency_cycles", "backend", "seconds", "path"}``.
    """
    if backend not in BACKENDS:
        raise LgnhwError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    pipeline_every = check_pipeline_every(pipeline_every)
    start = time.perf_counter()
    try:
        if backend == "verilog":
            from .verilog import write_verilog
            stats = write_verilog(Plan.build(net, pipeline_every), path, name=name,
                                  always_ready=always_ready)
            lat = stats["latency_cycles"]
        else:
            text, lat = amaranth_verilog(net, pipeline_every, name, always_ready)
            with atomic_open(path, "w") as f:
                f.write(text)
    except OSError as err:
        raise FormatError(path, f"cannot write: {err.strerror or err}") from None
    return {"gates": net.num_gates, "latency_cycles": lat, "backend": backend,
            "seconds": round(time.perf_counter() - start, 3), "path": os.fspath(path)}
