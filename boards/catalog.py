"""The boards ``lgnhw build`` knows: name -> amaranth-boards platform, device, package, clock.

Each entry makes a fresh platform instance with the extra resources lgnhw's
shell needs (the iCEBreaker's break-off PMOD LEDs; a UART on two header pins
of the UPduino v3, which has none wired to the FPGA).

    >>> board("ice40").device
    'iCE40UP5K'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import LgnhwError

__all__ = ["Board", "BOARDS", "board", "board_names", "DEVICES", "device_info"]


@dataclass(frozen=True)
class Board:
    name: str
    title: str
    device: str            # Amaranth/Lattice device name, e.g. iCE40UP5K
    package: str           # package as Amaranth spells it
    clock_hz: float        # board oscillator driving the shell's clock domain
    logic_cells: int       # ICESTORM_LC available (nextpnr's count)
    brams: int             # SB_RAM40_4K blocks
    target_mhz: float      # default timing target handed to nextpnr (--freq / set_frequency)
    platform_path: str     # "module:Class" inside amaranth_boards
    notes: str = ""
    #: default ``pipeline_every`` of builds for this board (``--pipeline-every``):
    #: UP5K boards take K=1 (the bundled model fits; its Fmax keeps a margin
    #: over 60 MHz), HX boards K=2 (fewer cells). See benchmarks/bench_boards.py.
    pipeline_every: int = 2
    extra: tuple = field(default=(), repr=False)

    def platform(self):
        """A new amaranth-boards platform instance with lgnhw's extra resources added."""
        import importlib
        module, cls = self.platform_path.split(":")
        plat = getattr(importlib.import_module(module), cls)()
        for kind in self.extra:
            if kind == "icebreaker_pmod":
                plat.add_resources(plat.break_off_pmod)
            elif kind == "upduino_uart":
                from amaranth.build import Attrs
                from amaranth_boards.resources import UARTResource
                plat.add_resources([UARTResource(0, rx="4", tx="3", conn=None,
                                                 attrs=Attrs(IO_STANDARD="SB_LVCMOS", PULLUP=1))])
        return plat

    def summary(self) -> dict:
        return {"board": self.name, "title": self.title, "device": self.device,
                "package": self.package, "clock_mhz": round(self.clock_hz / 1e6, 3),
                "logic_cells": self.logic_cells, "brams": self.brams,
                "target_mhz": self.target_mhz, "pipeline_every": self.pipeline_every,
                "notes": self.notes}


BOARDS: dict[str, Board] = {b.name: b for b in (
    Board("ice40", "iCEBreaker (iCE40UP5K)", "iCE40UP5K", "SG48", 12e6, 5280, 30, 60.0,
          "amaranth_boards.icebreaker:ICEBreakerPlatform",
          "UART on the FTDI second channel; LEDs: 2 on board + 5 on the break-off PMOD",
          pipeline_every=1, extra=("icebreaker_pmod",)),
    Board("hx8k", "iCE40-HX8K breakout board", "iCE40HX8K", "CT256", 12e6, 7680, 32, 150.0,
          "amaranth_boards.ice40_hx8k_b_evn:ICE40HX8KBEVNPlatform",
          "UART on the FTDI second channel; 8 LEDs"),
    Board("icestick", "Lattice iCEstick (iCE40HX1K)", "iCE40HX1K", "TQ144", 12e6, 1280, 16, 150.0,
          "amaranth_boards.icestick:ICEStickPlatform",
          "small models only (1,280 logic cells); UART on the FTDI second channel; 5 LEDs"),
    Board("upduino3", "UPduino v3 (iCE40UP5K)", "iCE40UP5K", "SG48", 48e6, 5280, 30, 60.0,
          "amaranth_boards.upduino_v3:UpduinoV3Platform",
          "clock: internal 48 MHz SB_HFOSC; no on-board UART to the FPGA: wire a 3.3 V USB-serial "
          "adapter to pins 4 (FPGA rx) and 3 (FPGA tx); LEDs: the RGB LED",
          pipeline_every=1, extra=("upduino_uart",)),
)}

#: Devices for synthesis-only estimates (``lgnhw report --device``): name -> (family, logic cells, brams).
DEVICES: dict[str, tuple[str, int, int]] = {
    "iCE40HX1K": ("ice40", 1280, 16),
    "iCE40HX4K": ("ice40", 3520, 20),
    "iCE40HX8K": ("ice40", 7680, 32),
    "iCE40LP1K": ("ice40", 1280, 16),
    "iCE40LP8K": ("ice40", 7680, 32),
    "iCE40UP5K": ("ice40", 5280, 30),
    "xc7": ("xilinx", 0, 0),
    "lut6": ("generic", 0, 0),
}


def board_names() -> list[str]:
    return list(BOARDS)


def board(name: str) -> Board:
    """The :class:`Board` called ``name``; :class:`LgnhwError` listing the valid names otherwise."""
    try:
        return BOARDS[name]
    except (KeyError, TypeError):
        raise LgnhwError(f"unknown board {name!r}; choose one of: {', '.join(BOARDS)}") from None


def device_info(name: str) -> tuple[str, str, int, int]:
    """``(canonical name, family, logic cells, brams)`` for a device name (case-insensitive)."""
    for dev, (family, cells, brams) in DEVICES.items():
        if dev.lower() == str(name).lower():
            return dev, family, cells, brams
    raise LgnhwError(f"unknown device {name!r}; choose one of: {', '.join(DEVICES)}")
