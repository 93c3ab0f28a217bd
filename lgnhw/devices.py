"""The FPGA devices lgnhw knows: family and capacity, for fit checks and estimates.

One entry per device (``lgnhw report --device DEV``, and the device of every
board in :mod:`lgnhw.boards`). Names are matched case-insensitively, and a
board's vendor part name (``LFE5UM5G-85F``, ``xc7a100ti``,
``GW1NR-LV9QN88PC6/I5``) resolves through ``aliases``.

Capacities are the vendors' data-sheet figures, in the unit the family's
tools report: ``luts`` are LUT4s (iCE40, ECP5, Gowin) or LUT6s (Xilinx; for
Intel Cyclone V, ALMs, each of which holds one 6-input LUT), ``ffs``
flip-flops, ``brams`` block RAMs of ``bram_bits`` bits. On iCE40 a LUT and a
flip-flop share one logic cell (``logic_cells``); elsewhere they are counted
separately.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import LgnhwError

__all__ = ["Device", "DEVICES", "device", "device_names", "FAMILIES"]

#: family -> (LUT inputs, description)
FAMILIES = {
    "ice40": (4, "Lattice iCE40 (yosys synth_ice40, nextpnr-ice40, icepack)"),
    "ecp5": (4, "Lattice ECP5 (yosys synth_ecp5, nextpnr-ecp5, ecppack)"),
    "gowin": (4, "Gowin (yosys synth_gowin, nextpnr-himbaechel, Apicula gowin_pack)"),
    "xilinx": (6, "AMD Xilinx 7-series / UltraScale (Vivado project; yosys synth_xilinx estimate)"),
    "intel": (6, "Intel Cyclone V (Quartus project; generic yosys LUT6 estimate)"),
    "generic": (6, "generic LUT6 (yosys synth -lut 6)"),
}


@dataclass(frozen=True)
class Device:
    name: str
    family: str
    luts: int | None          # LUT4s, or LUT6s / ALMs for 6-input families; None: unbounded
    ffs: int | None
    brams: int | None
    bram_bits: int
    logic_cells: int | None = None   # iCE40: one LUT4 + one FF each
    aliases: tuple = ()
    #: nextpnr's device option (ECP5 ``--85k``), or the Gowin chip database name
    pnr_device: str = ""
    #: yosys ``synth_xilinx -family`` / ``synth_gowin -family``
    synth_family: str = ""

    @property
    def ram_delay(self) -> bool:
        """Whether cores for this device keep long delay lines in block RAM: only where a
        flip-flop costs a whole logic cell (iCE40); elsewhere flip-flops are plentiful and
        a block RAM's clock-to-output time would set the clock."""
        return self.family == "ice40"

    @property
    def lut_inputs(self) -> int:
        return FAMILIES[self.family][0]

    def summary(self) -> dict:
        return {"device": self.name, "family": self.family, "lut_inputs": self.lut_inputs,
                "luts": self.luts, "ffs": self.ffs, "brams": self.brams, "bram_bits": self.bram_bits,
                "logic_cells": self.logic_cells}


_ICE40_BRAM = 4096
_ECP5_BRAM = 18432
_GOWIN_BRAM = 18432
_XILINX_BRAM = 36864

DEVICES: dict[str, Device] = {d.name: d for d in (
    Device("iCE40HX1K", "ice40", 1280, 1280, 16, _ICE40_BRAM, logic_cells=1280),
    Device("iCE40HX4K", "ice40", 3520, 3520, 20, _ICE40_BRAM, logic_cells=3520),
    Device("iCE40HX8K", "ice40", 7680, 7680, 32, _ICE40_BRAM, logic_cells=7680),
    Device("iCE40LP1K", "ice40", 1280, 1280, 16, _ICE40_BRAM, logic_cells=1280),
    Device("iCE40LP8K", "ice40", 7680, 7680, 32, _ICE40_BRAM, logic_cells=7680),
    Device("iCE40UP5K", "ice40", 5280, 5280, 30, _ICE40_BRAM, logic_cells=5280),
    Device("LFE5U-12F", "ecp5", 12096, 12096, 32, _ECP5_BRAM, pnr_device="--12k"),
    Device("LFE5U-25F", "ecp5", 24288, 24288, 56, _ECP5_BRAM, pnr_device="--25k"),
    Device("LFE5U-45F", "ecp5", 43848, 43848, 108, _ECP5_BRAM, pnr_device="--45k",
           aliases=("LFE5UM-45F", "LFE5UM5G-45F")),
    Device("LFE5U-85F", "ecp5", 83640, 83640, 208, _ECP5_BRAM, pnr_device="--85k",
           aliases=("LFE5UM-85F", "LFE5UM5G-85F")),
    Device("GW1NR-9", "gowin", 8640, 6480, 26, _GOWIN_BRAM, pnr_device="GW1N-9C",
           synth_family="gw1n", aliases=("GW1NR-9C", "GW1NR-LV9QN88PC6/I5")),
    Device("GW2A-18", "gowin", 20736, 15552, 46, _GOWIN_BRAM, pnr_device="GW2A-18C",
           synth_family="gw2a", aliases=("GW2A-18C", "GW2A-LV18PG256C8/I7")),
    Device("GW5AST-138", "gowin", 138240, 138240, 340, _GOWIN_BRAM, pnr_device="GW5AST-138C",
           synth_family="gw5a", aliases=("GW5AST-138B", "GW5AST-138C", "GW5AST-LV138FPG676AC1/I0")),
    Device("xc7a35t", "xilinx", 20800, 41600, 50, _XILINX_BRAM, synth_family="xc7",
           aliases=("xc7a35ti",)),
    Device("xc7a100t", "xilinx", 63400, 126800, 135, _XILINX_BRAM, synth_family="xc7",
           aliases=("xc7a100ti",)),
    Device("xcku040", "xilinx", 242400, 484800, 600, _XILINX_BRAM, synth_family="xcu"),
    Device("xcvu9p", "xilinx", 1182240, 2364480, 2160, _XILINX_BRAM, synth_family="xcup"),
    Device("5CSEBA6", "intel", 41910, 166036, 553, 10240),
    Device("lut6", "generic", None, None, None, _XILINX_BRAM, aliases=("xc7",)),
)}


def device_names() -> list[str]:
    return list(DEVICES)


def device(name: str) -> Device:
    """The :class:`Device` called ``name`` (case-insensitive, aliases included);
    :class:`LgnhwError` listing the valid names otherwise."""
    key = str(name).lower()
    for dev in DEVICES.values():
        if dev.name.lower() == key or key in (a.lower() for a in dev.aliases):
            return dev
    raise LgnhwError(f"unknown device {name!r}; choose one of: {', '.join(DEVICES)}")
