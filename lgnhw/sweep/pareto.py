"""Pareto fronts and the best design per board, over a sweep's rows.

Only built points (``status == "ok"`` with an Fmax) take part. Each board is
its own design space (a UP5K logic cell is not an ECP5 LUT), so fronts are
computed per board:

* :func:`front` of Fmax (higher is better) against logic cells (fewer is
  better): a point is on it when no other point of its board is at least as
  good in both and better in one;
* the same against latency in cycles (``key=latency_cycles``).

Equal points are all on the front (none dominates the other).

:func:`best` picks one design per board: among the points that meet the
timing target, the fewest logic cells, then the highest Fmax, then the lowest
latency; when none meets it, the highest Fmax, then the fewest cells. The
remaining ties go to the smallest ``(K, seed)``, so the choice is
deterministic.
"""

from __future__ import annotations

__all__ = ["fmax", "cells", "built", "front", "best", "name"]


def fmax(row: dict) -> float | None:
    """The slowest clock's Fmax in MHz (the design's), or None."""
    f = row.get("fmax_mhz") or {}
    return min(f.values()) if f else None


def cells(row: dict) -> int | None:
    return row.get("logic_cells")


def name(row: dict) -> str:
    return f"{row['board']}-k{row['pipeline_every']}-s{row['seed']}"


def built(rows) -> list[dict]:
    return [r for r in rows if r.get("status") == "ok" and fmax(r) is not None and cells(r) is not None]


def _order(r: dict):
    return (r["board"], r["pipeline_every"], r["seed"])


def front(rows, key: str = "logic_cells") -> list[dict]:
    """The points on the per-board Pareto front of Fmax (max) against ``key`` (min), sorted."""
    ok = [r for r in built(rows) if r.get(key) is not None]
    on = []
    for r in ok:
        fr, cr = fmax(r), r[key]
        dominated = any(o is not r and o["board"] == r["board"] and fmax(o) >= fr and o[key] <= cr
                        and (fmax(o) > fr or o[key] < cr) for o in ok)
        if not dominated:
            on.append(r)
    return sorted(on, key=_order)


def best(rows) -> dict[str, dict]:
    """The chosen design per board (see the module docstring), boards in name order."""
    out = {}
    for board in sorted({r["board"] for r in built(rows)}):
        mine = [r for r in built(rows) if r["board"] == board]
        met = [r for r in mine if r.get("timing_met")]
        if met:
            pick = min(met, key=lambda r: (cells(r), -fmax(r), r.get("latency_cycles") or 0,
                                           r["pipeline_every"], r["seed"]))
        else:
            pick = min(mine, key=lambda r: (-fmax(r), cells(r), r["pipeline_every"], r["seed"]))
        out[board] = pick
    return out
