"""The boards ``lgnhw build`` knows, read from ``boards.toml`` (data, not code).

Each table of ``boards.toml`` is one :class:`Board`: an amaranth-boards
platform, a device of :mod:`lgnhw.devices`, the default pipelining and
timing target, and the few extra resources lgnhw's shell needs (the
iCEBreaker's break-off PMOD LEDs; UART pins on boards whose platform has
none). The family flow comes from the device (:attr:`Board.family`).

    >>> board("ice40").device
    'iCE40UP5K'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lgnhw.devices import Device, device as lookup_device
from lgnhw.errors import LgnhwError

__all__ = ["Board", "BOARDS", "board", "board_names", "load_catalog"]

CATALOG = Path(__file__).with_name("boards.toml")
_KEYS = {"title", "platform", "device", "pipeline_every", "target_mhz", "add_resources", "uart", "notes",
         "default_model"}


@dataclass(frozen=True)
class Board:
    name: str
    title: str
    platform_path: str         # "module:Class" inside amaranth_boards
    device_name: str           # a device of lgnhw.devices (or one of its aliases)
    pipeline_every: int        # default --pipeline-every
    target_mhz: float          # default timing target for place and route
    notes: str = ""
    add_resources: tuple = ()  # platform attributes holding extra resources
    uart: dict = field(default_factory=dict, repr=False)  # {rx, tx, attrs} when the platform has none
    default_model: str = "digits.lgn"   # bundled model (lgnhw/data) that `build` takes without MODEL

    @property
    def dev(self) -> Device:
        return lookup_device(self.device_name)

    @property
    def device(self) -> str:
        return self.dev.name

    @property
    def family(self) -> str:
        return self.dev.family

    def platform_class(self):
        import importlib
        module, cls = self.platform_path.split(":")
        return getattr(importlib.import_module(module), cls)

    def platform(self):
        """A new amaranth-boards platform instance with lgnhw's extra resources added."""
        plat = self.platform_class()()
        for attr in self.add_resources:
            plat.add_resources(getattr(plat, attr))
        if self.uart:
            from amaranth.build import Attrs
            from amaranth_boards.resources import UARTResource
            if ("uart", 0) in plat.resources:
                raise LgnhwError(f"board {self.name!r}: its platform already has a UART 0; "
                                 "drop the board's uart entry")
            plat.add_resources([UARTResource(0, rx=self.uart["rx"], tx=self.uart["tx"], conn=None,
                                             attrs=Attrs(**self.uart.get("attrs", {})))])
        return plat

    @property
    def clock_hz(self) -> float:
        """Frequency of the platform's default clock (the shell's clock domain)."""
        return float(self.platform_class()().default_clk_frequency)

    @property
    def package(self) -> str:
        return str(getattr(self.platform_class(), "package", "") or "")

    def summary(self) -> dict:
        dev = self.dev
        return {"board": self.name, "title": self.title, "device": dev.name, "family": dev.family,
                "package": self.package, "clock_mhz": round(self.clock_hz / 1e6, 3),
                "luts": dev.luts, "ffs": dev.ffs, "logic_cells": dev.logic_cells, "brams": dev.brams,
                "target_mhz": self.target_mhz, "pipeline_every": self.pipeline_every,
                "default_model": self.default_model, "notes": self.notes}


def load_catalog(path=CATALOG) -> dict[str, Board]:
    """``{name: Board}`` from a boards TOML file; :class:`LgnhwError` naming a bad entry."""
    try:
        with open(path, "rb") as f:
            tables = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LgnhwError(f"{path}: cannot read the board catalog ({err})") from None
    boards = {}
    for name, t in tables.items():
        unknown = set(t) - _KEYS
        missing = {"title", "platform", "device", "pipeline_every", "target_mhz"} - set(t)
        if unknown or missing:
            what = f"unknown keys {sorted(unknown)}" if unknown else f"missing keys {sorted(missing)}"
            raise LgnhwError(f"{path}: board {name!r}: {what}")
        boards[name] = Board(name, t["title"], t["platform"], t["device"], int(t["pipeline_every"]),
                             float(t["target_mhz"]), t.get("notes", ""), tuple(t.get("add_resources", ())),
                             dict(t.get("uart", {})), t.get("default_model", "digits.lgn"))
        lookup_device(t["device"])   # an unknown device is an error in the catalog, not at build time
    return boards


BOARDS: dict[str, Board] = load_catalog()


def board_names() -> list[str]:
    return list(BOARDS)


def board(name: str) -> Board:
    """The :class:`Board` called ``name`` (case-insensitive); :class:`LgnhwError` listing the valid names."""
    key = str(name).lower()
    if key in BOARDS:
        return BOARDS[key]
    raise LgnhwError(f"unknown board {name!r}; choose one of: {', '.join(BOARDS)}")
