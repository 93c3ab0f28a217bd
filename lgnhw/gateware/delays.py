"""Delay registers of a pipelined component, all advanced by one enable."""

from __future__ import annotations

from amaranth.hdl import Signal

__all__ = ["Delays"]


class Delays:
    """Collects delay chains and updates them all under one ``m.If(en)``.

    One enable block per component instead of one per register: the same
    hardware, less elaboration work in Amaranth.
    """

    def __init__(self):
        self._updates = []

    def chain(self, value, length: int, name: str) -> list:
        """``[value, value delayed by 1, ..., by length]``; register ``k`` is ``<name>_d<k>``."""
        out = [value]
        for k in range(1, length + 1):
            reg = Signal(value.shape(), name=f"{name}_d{k}", reset_less=True)
            self._updates.append(reg.eq(out[-1]))
            out.append(reg)
        return out

    def elaborate_into(self, m, en) -> None:
        """Add the register updates to module ``m``, advanced while ``en`` is high."""
        if self._updates:
            with m.If(en):
                m.d.sync += self._updates
