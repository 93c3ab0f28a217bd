"""Topological order of gates listed in any order (for foreign netlist formats)."""

from __future__ import annotations

import numpy as np

__all__ = ["topological_order"]

_NARROW = 64     # frontiers narrower than this continue gate by gate, in plain Python


def _scalar_kahn(frontier, indeg, ptr, dst_sorted) -> np.ndarray:
    """Kahn's algorithm one gate at a time from ``frontier`` on: linear time for any depth."""
    indeg, ptr, dst = indeg.tolist(), ptr.tolist(), dst_sorted.tolist()
    order = frontier.tolist()
    i = 0
    while i < len(order):
        g = order[i]
        i += 1
        for c in dst[ptr[g]:ptr[g + 1]]:
            indeg[c] -= 1
            if indeg[c] == 0:
                order.append(c)
    return np.array(order, dtype=np.int64)


def topological_order(ag: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Order gates so that every gate comes after the gates driving it.

    ``ag``/``bg`` give, per gate, the position of the gate driving its input
    a/b, or -1 when that input is not a gate. Vectorised Kahn's algorithm, one
    numpy step per frontier while frontiers are wide, then gate by gate (so that
    a long chain takes linear time, not one numpy step per gate). Returns ``(order, None)``, or ``(partial, node)``
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
        if frontier.size < _NARROW:              # a long chain: one numpy step per gate is slow
            placed.append(_scalar_kahn(frontier, indeg, ptr, dst_sorted))
            break
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
