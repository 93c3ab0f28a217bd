"""The sweep's plots (matplotlib, Agg backend), each as PNG and SVG.

* ``pareto.png/.svg``: logic cells against Fmax, one panel per board, every
  built point labelled ``k<K> s<seed>``, the Pareto front joined and marked,
  the timing target as a dashed line, the chosen design circled;
* ``breakdown.png/.svg``: the chosen design of each board, LUTs and
  flip-flops stacked by part of the design (gate layers, popcount, argmax,
  core control, shell) from the report's ``breakdown``.

The files are byte-identical for the same rows: fixed SVG hash salt, no
date in the metadata, fixed size and DPI.
"""

from __future__ import annotations

from pathlib import Path

from ..fileio import atomic_open
from . import pareto

__all__ = ["write_plots", "PARTS"]

#: the breakdown's parts, bottom of the stack first
PARTS = ("gate_layers", "popcount", "argmax", "core_control", "shell")


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "lgnhw-sweep"
    plt.rcParams["svg.fonttype"] = "path"
    return plt


def _save(fig, stem: Path) -> list[str]:
    paths = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        path = stem.with_suffix("." + ext)
        with atomic_open(path, "wb") as f:
            fig.savefig(f, format=ext, dpi=100, metadata=meta)
        paths.append(str(path))
    return paths


def _pareto_plot(plt, rows, best, out: Path) -> list[str]:
    boards = sorted({r["board"] for r in pareto.built(rows)})
    fig, axes = plt.subplots(1, len(boards), figsize=(5.5 * len(boards), 4.2), squeeze=False)
    front = pareto.front(rows)
    for ax, board in zip(axes[0], boards):
        mine = sorted((r for r in pareto.built(rows) if r["board"] == board), key=pareto.name)
        on = [r for r in front if r["board"] == board]
        off = [r for r in mine if r not in on]
        ax.scatter([pareto.cells(r) for r in off], [pareto.fmax(r) for r in off], c="0.6", s=24,
                   label="point", zorder=2)
        on_sorted = sorted(on, key=lambda r: (pareto.cells(r), pareto.fmax(r)))
        ax.plot([pareto.cells(r) for r in on_sorted], [pareto.fmax(r) for r in on_sorted], "-o",
                c="tab:red", ms=6, label="Pareto front", zorder=3)
        pick = best.get(board)
        if pick is not None:
            ax.scatter([pareto.cells(pick)], [pareto.fmax(pick)], s=180, facecolors="none",
                       edgecolors="k", linewidths=1.5, label="chosen", zorder=4)
        target = mine[0].get("target_mhz") if mine else None
        if target:
            ax.axhline(target, ls="--", c="tab:blue", lw=1, label=f"target {target:g} MHz", zorder=1)
        for r in mine:
            ax.annotate(f"k{r['pipeline_every']} s{r['seed']}", (pareto.cells(r), pareto.fmax(r)),
                        textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set_title(f"{board} ({mine[0]['device']})" if mine else board)
        ax.set_xlabel("logic cells")
        ax.set_ylabel("Fmax (MHz)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    paths = _save(fig, out / "pareto")
    plt.close(fig)
    return paths


def _breakdown_plot(plt, best, out: Path) -> list[str]:
    picks = [best[b] for b in sorted(best) if best[b].get("breakdown")]
    if not picks:
        return []
    labels, stacks = [], {part: [] for part in PARTS}
    for r in picks:
        for what in ("luts", "ffs"):
            labels.append(f"{pareto.name(r)}\n{'LUTs' if what == 'luts' else 'FFs'}")
            for part in PARTS:
                stacks[part].append((r["breakdown"].get(part) or {}).get(what, 0))
    fig, ax = plt.subplots(figsize=(3.0 + 1.3 * len(labels), 4.2))
    bottom = [0] * len(labels)
    x = list(range(len(labels)))
    for part in PARTS:
        ax.bar(x, stacks[part], bottom=bottom, label=part.replace("_", " "), width=0.6)
        bottom = [b + v for b, v in zip(bottom, stacks[part])]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("cells")
    ax.set_title("chosen design per board: cells by part", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    paths = _save(fig, out / "breakdown")
    plt.close(fig)
    return paths


def write_plots(rows, best, out_dir) -> list[str]:
    """Write the plots for ``rows`` into ``out_dir``; their paths (none when nothing built)."""
    if not pareto.built(rows):
        return []
    plt = _pyplot()
    out = Path(out_dir)
    return _pareto_plot(plt, rows, best, out) + _breakdown_plot(plt, best, out)
