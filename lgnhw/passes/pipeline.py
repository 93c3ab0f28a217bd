"""The optimisation pipeline: one explicit ordered list, repeated to a fixpoint."""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from ..netlist import Netlist
from .collapse import collapse
from .const_fold import const_fold
from .dead_gates import dead_gates
from .passthrough import passthrough
from .strash import strash

__all__ = ["PIPELINE", "optimize"]

log = logging.getLogger("lgnhw.passes")

#: The passes, in the order they run on every round.
PIPELINE = (
    ("dead_gates", dead_gates),
    ("const_fold", const_fold),
    ("passthrough", passthrough),
    ("strash", strash),
    ("collapse", collapse),
)

MAX_ROUNDS = 32


def _same(x: Netlist, y: Netlist) -> bool:
    return x is y or (x.num_gates == y.num_gates and all(
        np.array_equal(getattr(x, f), getattr(y, f)) for f in ("op", "a", "b", "outputs", "bias")))


def optimize(net: Netlist, *, passes=PIPELINE, check: bool | None = None,
             max_rounds: int = MAX_ROUNDS) -> tuple[Netlist, list[dict]]:
    """Run ``passes`` in order, round after round, until none removes a gate.

    A pass is skipped while it is *settled*: its last run changed nothing
    and no other pass has changed the netlist since, so running it again
    could not change anything. The loop ends when every pass is settled.

    Returns the optimised netlist and one stats entry per pass, summed over
    its runs: ``{"name", "gates_removed", "seconds", "runs"}``. With ``check``
    (default: the ``LGNHW_DEBUG`` environment variable) every intermediate
    netlist is validated.
    """
    if check is None:
        check = bool(os.environ.get("LGNHW_DEBUG"))
    net.check()
    stats = {name: {"name": name, "gates_removed": 0, "seconds": 0.0, "runs": 0}
             for name, _ in passes}
    settled: set[str] = set()
    for round_no in range(1, max_rounds + 1):
        for name, fn in passes:
            if name in settled:
                continue
            t0 = time.perf_counter()
            before, previous = net.num_gates, net
            net = fn(net)
            dt = time.perf_counter() - t0
            if check:
                net.check()
            s = stats[name]
            s["gates_removed"] += before - net.num_gates
            s["seconds"] += dt
            s["runs"] += 1
            settled = settled | {name} if _same(net, previous) else set()
            log.info("round %d %-12s %9d -> %9d gates  %.3f s", round_no, name, before, net.num_gates, dt)
        if len(settled) == len(passes):
            break
    report = [dict(s, seconds=round(s["seconds"], 4)) for s in stats.values()]
    return net, report
