"""Sweep points and their store: one folder per point, complete or not there at all.

A point is ``(board, K, seed)``: one ``build`` of the model for ``board``
with ``--pipeline-every K`` and nextpnr ``--seed``. :func:`grid` checks the
requested lists and returns the points sorted, so a sweep's result table
never depends on the order the points finish in.

Each point lives in ``DIR/<board>-k<K>-s<seed>/``:

* the bitstream (``top.bin``, ``top.bit`` or ``top.fs``), ``report.json``
  and the tool reports under ``logs/``, written first;
* ``status.json`` last, atomically: the point as the sweep reports it
  (report keys plus ``board``, ``pipeline_every``, ``seed``, ``status``),
  with the model's digest and the bitstream's SHA-256.

A point counts as done (and is not run again) only when its ``status.json``
parses, names the same model and settings, and, for a built point, its
bitstream is there with the recorded digest; a run killed at any moment
leaves either that or a point that is run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import LgnhwError
from ..fileio import atomic_open

__all__ = ["Point", "grid", "REPORT_KEYS", "STATUSES", "DONE_STATUSES", "VOLATILE_KEYS",
           "Store", "failure_point"]

#: the keys of a build report (:func:`lgnhw.build.build_board`); a point that did not build
#: has them all, set to None, so every row of the table has the same keys
REPORT_KEYS = ("board", "device", "family", "package", "model", "luts", "ffs", "carries", "brams", "ios",
               "logic_cells", "logic_cells_available", "utilization", "fmax_mhz", "target_mhz",
               "timing_met", "latency_cycles", "throughput_per_s", "gates_before", "gates_after",
               "pipeline_every", "self_test", "fits", "estimate", "predicted", "bitstream", "breakdown",
               "breakdown_error", "critical_path", "toolchain", "seed", "tool_seconds", "build_seconds",
               "out_dir", "logs", "fabric_ceiling_mhz", "adder6_ceiling_mhz", "ceiling_ratio", "fabric_ceiling")

#: ok: built (timing met or not: see ``timing_met``); no_fit: refused or failed for size;
#: failed: the build stopped with an lgnhw error (a tool failure, ...); lost: no result
#: came back (the task's workers kept dying, an unexpected exception): run again on resume
STATUSES = ("ok", "no_fit", "failed", "lost")
DONE_STATUSES = ("ok", "no_fit", "failed")

#: keys that differ between two runs of the same point (where and how fast it ran)
VOLATILE_KEYS = ("build_seconds", "tool_seconds", "task_seconds", "worker", "out_dir", "logs", "bitstream",
                 "resumed")


@dataclass(frozen=True, order=True)
class Point:
    board: str
    pipeline_every: int
    seed: int

    @property
    def name(self) -> str:
        return f"{self.board}-k{self.pipeline_every}-s{self.seed}"


def _unique(flag: str, values) -> list:
    seen = set()
    for v in values:
        if v in seen:
            raise LgnhwError(f"{flag}: {v} is given twice; each value makes its own points")
        seen.add(v)
    return list(values)


def grid(boards, pipeline_every, seeds) -> list[Point]:
    """Every combination of the lists, sorted; :class:`LgnhwError` for an empty or
    contradictory sweep (an empty list, a value given twice, an unknown board, a board
    without place and route here, a negative K or seed)."""
    from ..boards.catalog import board as lookup_board
    from ..build.driver import FLOWS
    for flag, values in (("--board", boards), ("--pipeline-every", pipeline_every), ("--seeds", seeds)):
        if not values:
            raise LgnhwError(f"empty sweep: {flag} names no values")
        _unique(flag, values)
    for flag, values in (("--pipeline-every", pipeline_every), ("--seeds", seeds)):
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise LgnhwError(f"{flag}: {v!r} is not an integer >= 0")
    for name in boards:
        b = lookup_board(name)
        if FLOWS[b.family].vendor:
            raise LgnhwError(f"--board {name}: a {b.family} board gets a vendor project, not place and "
                             "route here, so there is nothing to sweep (no Fmax, seeds have no effect)")
    return sorted(Point(b, k, s) for b in boards for k in pipeline_every for s in seeds)


def failure_point(p: Point, status: str, reason: str, *, kind: str | None = None) -> dict:
    """The row of a point that did not build: every report key None, plus the reason."""
    row = dict.fromkeys(REPORT_KEYS)
    row.update(board=p.board, pipeline_every=p.pipeline_every, seed=p.seed, status=status,
               reason=reason, kind=kind, bitstream_sha256=None, worker=None, task_seconds=None, resumed=False)
    return row


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """The sweep folder: one sub-folder per point (see the module docstring).

    ``key`` identifies what is built (the model's digest and the build settings a
    point does not name); a point stored under another key is not reused."""

    STATUS = "status.json"

    def __init__(self, root, key: str):
        self.root = Path(root)
        self.key = key
        if self.root.exists() and not self.root.is_dir():
            raise LgnhwError(f"{self.root}: exists and is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise LgnhwError(f"{self.root}: cannot create the sweep folder ({err.strerror or err})") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise LgnhwError(f"{self.root}: the sweep folder is not writable")

    def folder(self, p: Point) -> Path:
        return self.root / p.name

    def load(self, p: Point) -> dict | None:
        """The stored row of ``p`` when it is complete and of this model/settings, else None."""
        path = self.folder(p) / self.STATUS
        try:
            row = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(row, dict) or row.get("sweep_key") != self.key or row.get("status") not in DONE_STATUSES:
            return None
        if (row.get("board"), row.get("pipeline_every"), row.get("seed")) != (p.board, p.pipeline_every, p.seed):
            return None
        folder = self.folder(p)
        if row["status"] == "ok":
            bit = row.get("bitstream")
            if not bit:
                return None
            bit = folder / Path(bit).name          # the folder may have moved: paths are its own
            try:
                data = bit.read_bytes()
            except OSError:
                return None
            if _sha256(data) != row.get("bitstream_sha256"):
                return None
            row["bitstream"] = str(bit)
        row["out_dir"] = str(folder)
        if isinstance(row.get("logs"), dict):
            row["logs"] = {name: str(folder / "logs" / name) for name in row["logs"]}
        row.pop("sweep_key", None)
        return row

    def save(self, p: Point, row: dict, *, bitstream: tuple[str, bytes] | None = None,
             files: dict[str, bytes] | None = None) -> dict:
        """Write a point: bitstream and files first, ``status.json`` last (atomically).

        ``row`` is the point's row; its paths (``bitstream``, ``out_dir``, ``logs``) are
        rewritten to the point's folder. Returns the row as stored (without the key)."""
        folder = self.folder(p)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.STATUS).unlink(missing_ok=True)      # incomplete until rewritten below
        row = dict(row)
        row["out_dir"] = str(folder)
        if bitstream is not None:
            name, data = bitstream
            with atomic_open(folder / name, "wb") as f:
                f.write(data)
            row["bitstream"] = str(folder / name)
            row["bitstream_sha256"] = _sha256(data)
        elif row.get("status") == "ok":
            row["bitstream_sha256"] = None
        logs = {}
        for name, data in sorted((files or {}).items()):
            target = folder / "logs" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(target, "wb") as f:
                f.write(data)
            logs[name] = str(target)
        if row.get("status") == "ok" or logs:
            row["logs"] = logs
        if row.get("status") == "ok":
            with atomic_open(folder / "report.json", "w") as f:
                json.dump({k: row[k] for k in REPORT_KEYS}, f, indent=1, sort_keys=True)
                f.write("\n")
        with atomic_open(folder / self.STATUS, "w") as f:
            json.dump({**row, "sweep_key": self.key}, f, indent=1, sort_keys=True)
            f.write("\n")
        return row
