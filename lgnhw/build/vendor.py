"""Xilinx and Intel boards: a complete vendor project, plus a yosys estimate here.

Amaranth's own build plan writes the project: the design as Verilog
(``top.v``), the constraints (``top.xdc`` / ``top.qsf`` + ``top.sdc``, pins
from the amaranth-boards platform) and the vendor script (``top.tcl`` for
Vivado; the ``quartus_*`` steps for Quartus) with ``build_top.sh`` that runs
it. Nothing here runs the vendor tools. Instead yosys synthesises the same
Verilog: ``synth_xilinx`` for Xilinx parts, generic ``synth -lut 6`` for
Intel, and the report gives those counts marked ``estimate: true``.
"""

from __future__ import annotations

from .flow import BREAKDOWN, Flow, Step, count

__all__ = ["Xilinx", "Intel"]


class _Vendor(Flow):
    vendor = True
    tool_name = ""

    def tools(self, bitstream):
        return ("yosys",)

    def build_options(self, *, seed, target):
        return {}

    def estimate_synth(self, synth_family: str) -> str:
        """The yosys synthesis command of the estimate."""
        raise NotImplementedError

    #: the estimate synthesises the board shell with the core, without the platform's I/O
    #: and clock primitives (yosys' models of those lag behind the vendors' parameters)
    top = "top.shell"

    def estimate_script(self, synth_family: str) -> str:
        return (f"read_verilog top.v\nhierarchy -top {self.top}\n"
                f"{self.estimate_synth(synth_family)} -flatten -top {self.top}\n"
                "tee -q -o top.stat.json stat -json\n")

    def hierarchy_synth(self, dev) -> str:
        # synth_xilinx and generic synth keep the hierarchy unless told -flatten
        return f"{self.estimate_synth(dev.synth_family)} -top {{top}}"

    def write_extra(self, out) -> None:
        """Extra files the estimate reads."""

    def steps(self, commands, bitstream):
        return [Step("estimate (yosys)", "yosys", ("-q", "-l", "estimate.rpt", "estimate.ys"), "estimate.rpt"),
                BREAKDOWN]

    def project_command(self, out) -> str:
        return f"cd {out} && sh build_top.sh"


class Xilinx(_Vendor):
    family = "xilinx"
    tool_name = "Vivado"

    def estimate_synth(self, synth_family):
        return f"synth_xilinx -family {synth_family or 'xc7'}"

    def resources(self, cells):
        return {"luts": count(cells, "LUT[1-6]", r"SRL\w*", r"RAM(32|64|128|256)\w*"),
                "ffs": count(cells, r"FD\w*"), "carries": count(cells, "CARRY4", "CARRY8"),
                # a RAMB18 is half a RAMB36 (the device counts are RAMB36s)
                "brams": count(cells, r"RAMB36\w*") + (count(cells, r"RAMB18\w*") + 1) // 2,
                "ios": count(cells, r"[IO]BUF\w*", r"IOBUF\w*")}


#: Behavioural models of the Intel library cells Amaranth's Intel platform uses inside the
#: shell (its synchroniser), so that yosys can count their flip-flops.
INTEL_MODELS = """\
module altera_std_synchronizer_bundle #(parameter depth = 3, parameter width = 1)
    (input clk, input reset_n, input [width-1:0] din, output [width-1:0] dout);
  reg [width-1:0] stages [0:depth-1];
  integer k;
  always @(posedge clk) begin
    stages[0] <= din;
    for (k = 1; k < depth; k = k + 1) stages[k] <= stages[k-1];
  end
  assign dout = stages[depth-1];
endmodule
"""


class Intel(_Vendor):
    family = "intel"
    tool_name = "Quartus"

    def estimate_synth(self, synth_family):
        return "synth -lut 6"

    def estimate_script(self, synth_family):
        return "read_verilog intel_models.v\n" + super().estimate_script(synth_family)

    def hierarchy_synth(self, dev) -> str:
        # generic synthesis's own LUT mapping fails an assertion when it runs once per module
        # (this yosys); mapping after it with classic ABC does not
        return "synth -noabc -top {top}; abc -lut 6; opt -fast; clean"

    def write_extra(self, out) -> None:
        from ..fileio import atomic_open
        with atomic_open(out / "intel_models.v", "w") as f:
            f.write(INTEL_MODELS)

    def resources(self, cells):
        return {"luts": count(cells, r"\$lut"), "ffs": count(cells, r"\$_S?DFF\w*", r"\$_DFFE\w*"),
                "carries": 0, "brams": count(cells, r"\$mem\w*"), "ios": 0}
