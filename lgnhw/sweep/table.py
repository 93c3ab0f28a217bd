"""The human-readable output of ``lgnhw sweep``: one line per point, then the choices."""

from __future__ import annotations

from . import pareto

__all__ = ["sweep_table"]


def sweep_table(summary: dict) -> list[str]:
    """Lines of the sweep table: every point, the fronts, the best design per board, the plots."""
    rows = summary["points"]
    front = {pareto.name(r) for r in summary["pareto"]}
    front_lat = {pareto.name(r) for r in summary["pareto_latency"]}
    chosen = {pareto.name(r) for r in summary["best"].values()}
    head = (f"{'point':<24} {'status':<7} {'cells':>7} {'util':>6} {'Fmax MHz':>9} {'target':>7} "
            f"{'latency':>7}  {'front':<5} note")
    lines = [head]
    for r in rows:
        n = pareto.name(r)
        if r["status"] == "ok":
            f = pareto.fmax(r)
            marks = ("C" if n in front else "-") + ("L" if n in front_lat else "-") + ("*" if n in chosen else "")
            util = f"{r['utilization']:.0%}" if r.get("utilization") is not None else "-"
            met = "met" if r.get("timing_met") else "missed"
            lines.append(f"{n:<24} {'ok':<7} {r['logic_cells']:>7,} {util:>6} {f:>9.1f} "
                         f"{r['target_mhz']:>7g} {r['latency_cycles']:>7}  {marks:<5} timing {met}"
                         + (" (resumed)" if r.get("resumed") else ""))
        else:
            lines.append(f"{n:<24} {r['status']:<7} {'-':>7} {'-':>6} {'-':>9} {'-':>7} {'-':>7}  {'':<5} "
                         f"{r.get('reason') or ''}")
    lines.append("front: C = Pareto front of Fmax vs cells, L = of Fmax vs latency (per board); * = chosen")
    for board, r in summary["best"].items():
        lines.append(f"best {board}: {pareto.name(r)}, {pareto.fmax(r):.1f} MHz, {r['logic_cells']:,} cells, "
                     f"{r['latency_cycles']} cycles, bitstream {r['bitstream']}")
    c = summary["counts"]
    lines.append(f"{len(rows)} points: {c['ok']} built, {c['no_fit']} do not fit, {c['failed']} failed, "
                 f"{c['lost']} lost; {len(summary['resumed'])} resumed from {summary['dir']}")
    if c["lost"]:
        lines.append("lost points have no result: run the same command again to build them")
    for path in summary["plots"]:
        lines.append(f"plot: {path}")
    return lines
