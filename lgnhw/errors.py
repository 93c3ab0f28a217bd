"""The one exception family of lgnhw.

Every error a user can cause (bad file, bad flag, missing tool, design too
large) is an :class:`LgnhwError`. The CLI prints ``str(err)`` as one line and
exits non-zero; nothing else is caught.
"""

from __future__ import annotations

import os

__all__ = ["LgnhwError", "FormatError", "NetlistError", "ToolError", "BuildError"]


class LgnhwError(Exception):
    """Base class of every error lgnhw raises on purpose."""


class FormatError(LgnhwError):
    """A model or data file is unreadable, malformed or refused.

    The message always names the file: ``"{path}: {problem}"``.
    """

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        super().__init__(problem if self.path is None else f"{self.path}: {problem}")


class NetlistError(LgnhwError):
    """A netlist violates an IR invariant (see :meth:`Netlist.check`)."""


class ToolError(LgnhwError):
    """An external tool (yosys, nextpnr, verilator, ...) is missing or failed."""


class BuildError(LgnhwError):
    """A hardware build cannot complete (e.g. the design does not fit)."""
