"""Topological order of gates listed in any order (for foreign netlist formats)."""

from __future__ import annotations

import numpy as np

__all__ = ["topological_order"]


def topological_order(ag: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Order gates so that every gate comes after the gates driving it.

    ``ag``/``bg`` give, per gate, the position of the gate driving its input
    a/b, or -1 when that input is not a gate. Vectorised Kahn's algorithm, one
    numpy step per frontier. Returns ``(order, None)``, or ``(partial, node)``
    when the gates form a cycle: ``node`` is a gate on the cycle.
    """
    g = ag.size
    bg = np.where(bg == ag, -1, bg)  # reading one gate twice is one edge
    src = np.concatenate([ag[ag >= 0], bg[bg >= 0]])
    dst = np.concatenate([np.flatnonzero(ag >= 0), np.flatnonzero(bg >= 0)])
    indeg = np.bincount(dst, minlength=g)
    dst_sorted = dst[np.argsort(src, kind="stable")]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=g))])
    placed = []
    frontier = np.flatnonzero(indeg == 0)
    while frontier.size:
        placed.append(frontier)
        starts, lens = ptr[frontier], ptr[frontier + 1] - ptr[frontier]
        total = int(lens.sum())
        if not total:
            break
        offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        cons, counts = np.unique(dst_sorted[offs + np.arange(total)], return_counts=True)
        indeg[cons] -= counts
        frontier = cons[indeg[cons] == 0]
    order = np.concatenate(placed) if placed else np.zeros(0, dtype=np.int64)
    if order.size == g:
        return order, None
    done = np.zeros(g, dtype=bool)
    done[order] = True
    node, seen = int(np.flatnonzero(~done)[0]), set()
    while node not in seen:  # walk back through unplaced gates until one repeats: a cycle
        seen.add(node)
        node = next(int(p) for p in (ag[node], bg[node]) if p >= 0 and not done[p])
    return order, node
