"""Lattice iCE40: yosys ``synth_ice40``, nextpnr-ice40, icepack."""

from __future__ import annotations

from .flow import Flow, count, rewrite

__all__ = ["ICE40"]


class ICE40(Flow):
    family = "ice40"
    synth = "synth_ice40"
    pnr = "nextpnr-ice40"
    packer = "icepack"
    bitstream_file = "top.bin"
    logic_bel = "ICESTORM_LC"

    def set_clock_target(self, out, target):
        rewrite(out / "top.pcf", r"^(set_frequency\s+\S+\s+)\S+", lambda mo: f"{mo.group(1)}{target:g}")

    def resources(self, cells):
        return {"luts": count(cells, "SB_LUT4"), "ffs": count(cells, r"SB_DFF\w*"),
                "carries": count(cells, "SB_CARRY"), "brams": count(cells, r"SB_RAM40_4K\w*"),
                "ios": count(cells, "SB_IO", "SB_GB_IO")}
