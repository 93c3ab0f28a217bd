"""The function a Dask worker runs for one point: ``.lgn`` bytes in, report + bitstream out.

It needs only lgnhw on the worker (no shared folder, no model file): the
netlist comes as the bytes of an already optimised ``.lgn``, the build runs
in a temporary folder of the worker, and everything the sweep keeps comes
back in the result (the report, the bitstream's bytes, the tool reports
compressed). This works the same across machines as on one.

An lgnhw error (a design that does not fit, a tool failure) is a result,
not an exception: the point is recorded with its reason and the sweep goes
on. Anything else propagates, so Dask's ``retries`` can run it again.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import zlib
from pathlib import Path

__all__ = ["build_point", "LOG_FILES", "MAX_LOG_BYTES"]

#: tool reports shipped back with a point (the timing and utilisation reports and logs)
LOG_FILES = ("top.rpt", "top.tim", "yosys.log", "nextpnr-ice40.log", "nextpnr-ecp5.log",
             "nextpnr-himbaechel.log")
MAX_LOG_BYTES = 32 << 20


def _logs(folder: Path) -> dict[str, bytes]:
    out = {}
    for name in LOG_FILES:
        path = folder / name
        try:
            if path.is_file() and path.stat().st_size <= MAX_LOG_BYTES:
                out[name] = zlib.compress(path.read_bytes(), 6)
        except OSError:
            continue
    return out


def build_point(lgn: bytes, board: str, pipeline_every: int, seed: int, *, gates_before: int,
                model_label: str = "", toolchain: str = "yowasp", target_mhz: float | None = None) -> dict:
    """Build one point; returns ``{"status", "report" | "reason", "kind", "bitstream",
    "bitstream_name", "logs" (zlib-compressed bytes by name), "worker", "seconds"}``."""
    from ..build import build_board
    from ..errors import LgnhwError
    from ..formats import read_lgn
    from ..fileio import atomic_open
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="lgnhw-sweep-") as tmp:
        tmp = Path(tmp)
        model = tmp / "model.lgn"
        with atomic_open(model, "wb") as f:
            f.write(lgn)
        result = {"worker": worker, "bitstream": None, "bitstream_name": None}
        try:
            net = read_lgn(model)
            rep = build_board(net, board, out_dir=tmp / "build", pipeline_every=pipeline_every, seed=seed,
                              toolchain=toolchain, target_mhz=target_mhz, optimize=False,
                              model_label=model_label)
        except LgnhwError as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            fit = "does not fit" in reason
            kind = "fit" if fit else ("tool" if "tool failure" in reason or type(err).__name__ == "ToolError"
                                      else "build")
            result.update(status="no_fit" if fit else "failed", reason=reason.replace(str(tmp), "<worker tmp>"),
                          kind=kind, report=None, logs=_logs(tmp / "build"))
        else:
            rep["gates_before"] = int(gates_before)
            bit = Path(rep["bitstream"]) if rep.get("bitstream") else None
            if bit is None or not bit.is_file():
                result.update(status="failed", reason=f"the build of {board} gave no bitstream", kind="build",
                              report=None, logs=_logs(tmp / "build"))
            else:
                result.update(status="ok", report=rep, kind=None, reason=None, bitstream=bit.read_bytes(),
                              bitstream_name=bit.name, logs=_logs(tmp / "build"))
    result["seconds"] = round(time.perf_counter() - t0, 2)
    return result
