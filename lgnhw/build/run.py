"""Running one tool of a flow: its own log file, progress while it runs, a one-line error.

Every step writes the tool's stdout and stderr to ``<tool>.log`` in the build
folder; the tools' own logs (yosys ``-l top.rpt``, nextpnr ``--log top.tim``)
sit next to it. While a step runs, ``progress(message)`` is called every
``interval`` seconds with the elapsed time and the latest line of the tool's
log (nextpnr's placer and router print one line per iteration), so a
20-minute place and route is visibly alive. A failed step raises
:class:`ToolError` with the first error line and the log's path.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from ..errors import ToolError

__all__ = ["run_step", "first_error", "last_line"]


def first_error(*texts: str) -> str:
    """The first ``ERROR``/``Error`` line of the texts (cut to 300 characters), or ``""``."""
    for text in texts:
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("ERROR") or s.startswith("Error"):
                return s[:300]
    return ""


def last_line(path: Path, max_bytes: int = 4096) -> str:
    """The last non-empty line of a growing log file (``""`` if there is none yet)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            tail = f.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
    return lines[-1][:160] if lines else ""


def run_step(step: str, argv: list[str], cwd: Path, log: Path, tool_log: Path | None = None,
             progress=None, interval: float = 30.0) -> float:
    """Run ``argv`` in ``cwd``; returns the seconds it took. ``step`` names it in messages."""
    t0 = time.perf_counter()
    with open(log, "wb") as f:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
        except OSError as err:
            raise ToolError(f"{step}: cannot run {argv[0]} ({err.strerror or err})") from None
        try:
            while True:
                try:
                    proc.wait(timeout=interval)
                    break
                except subprocess.TimeoutExpired:
                    if progress is not None:
                        where = last_line(tool_log if tool_log is not None and tool_log.exists() else log)
                        progress(f"{step}: {time.perf_counter() - t0:.0f} s" + (f": {where}" if where else ""))
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if proc.returncode:
        texts = [log.read_text(errors="replace")]
        if tool_log is not None and tool_log.exists():
            texts.insert(0, tool_log.read_text(errors="replace"))
        first = first_error(*texts) or f"exit status {proc.returncode}"
        raise ToolError(f"{step} failed: {first} (full log: {tool_log or log})")
    return time.perf_counter() - t0
