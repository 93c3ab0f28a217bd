"""LUT depth of every gate: the depth of a depth-optimal ``k``-input LUT mapping.

The pipeline plan places its register ranks by *LUT level* (see
:mod:`lgnhw.gateware.plan`), so that with ``pipeline_every = 1`` the logic
between two ranks is one LUT: :func:`lut_levels` gives each gate the LUT
level it would sit on in a depth-optimal mapping of the network into
``k``-input LUTs.

Method: priority-cut enumeration (the cut-based mapping of ABC's ``if``
mapper, Mishchenko et al., "Combinational and sequential mapping with
priority cuts", ICCAD 2007). Every signal keeps at most ``max_cuts`` cuts
-- sets of at most ``k`` signals that together determine it -- among them
the trivial cut ``{signal}``. A gate's cuts are the unions of one cut of
each operand with at most ``k`` leaves; its *LUT level* is the smallest
``1 + max(level of a leaf)`` over them, and the cuts it keeps are the best
by (that depth, number of leaves). Inputs and constants are level 0;
constants and operands an op ignores are no leaves (they cost no LUT
input). Vectorised over each gate level, in bounded chunks.

Property the plan relies on: a gate's level is at least each operand's
(every cut of a gate contains a cut of each operand), and with registers
after levels ``k, 2k, ...`` (``pipeline_every = 1``) the logic of one stage
that feeds a register is a cone whose leaves are among the leaves of the
register's best cut: at most ``k`` inputs, one LUT.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np

from ..errors import LgnhwError
from ..netlist import FIRST_INPUT, Netlist

__all__ = ["lut_levels", "DEFAULT_LUT_SIZE", "MAX_CUTS"]

#: LUT inputs of the iCE40, ECP5 and Gowin fabrics (Xilinx and Intel: 6).
DEFAULT_LUT_SIZE = 4
#: Cuts kept per signal (ABC's ``if`` keeps 8) below :data:`FEW_CUTS_FROM` gates, then 2.
#: 8 matched an exhaustive enumeration on every net tested; on trained LGNs (random
#: wiring, little reconvergence) 2 give the same levels too, at a tenth of the time.
MAX_CUTS = 8
FEW_CUTS_FROM = 100_000
#: Rank key of a union with more than ``k`` leaves.
_INVALID = np.iinfo(np.int64).max
#: Candidate cuts per chunk (bounds the memory of one vectorised step).
_CHUNK_CANDIDATES = 1 << 21
#: Odd 64-bit multipliers of the cut fingerprint (duplicate cuts are dropped).
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
                dtype=np.uint64)


_CACHE: WeakKeyDictionary = WeakKeyDictionary()


def lut_levels(net: Netlist, lut_size: int = DEFAULT_LUT_SIZE, max_cuts: int | None = None) -> np.ndarray:
    """LUT level (int32, one per gate, >= 1) of every gate of ``net`` for ``lut_size``-input LUTs.

    ``max_cuts``: cuts kept per signal (default :data:`MAX_CUTS`, 2 from
    :data:`FEW_CUTS_FROM` gates). Results are cached per netlist."""
    if max_cuts is None:
        max_cuts = MAX_CUTS if net.num_gates < FEW_CUTS_FROM else 2
    k, p = int(lut_size), int(max_cuts)
    cached = _CACHE.get(net, {}).get((k, p))
    if cached is not None:
        return cached
    if not 2 <= k <= 8:
        raise LgnhwError(f"lut_size must be between 2 and 8, not {lut_size!r}")
    if p < 2:
        raise LgnhwError(f"max_cuts must be at least 2, not {max_cuts!r}")
    s, g0 = net.num_signals, net.first_gate
    # per gate (memory grows with the gates, not the inputs): its level, and its
    # cuts -- cuts[g, j] the leaves of the j-th cut (sorted signal ids, padded with
    # s), j = 0 the trivial cut; used[g, j]: slot j holds a cut
    level = np.zeros(net.num_gates, dtype=np.int32)
    cuts = np.full((net.num_gates, p, k), s, dtype=np.int32)
    used = np.zeros((net.num_gates, p), dtype=bool)
    reads_a, reads_b = net.operands_read
    a = np.where(reads_a, net.a, 0).astype(np.int64)
    b = np.where(reads_b, net.b, 0).astype(np.int64)
    step = max(1, _CHUNK_CANDIDATES // (p * p))
    for gates in net.level_groups:
        for lo in range(0, gates.size, step):
            _map_chunk(gates[lo:lo + step], a, b, g0, s, k, p, cuts, used, level)
    out = level
    out.setflags(write=False)
    _CACHE.setdefault(net, {})[(k, p)] = out
    return out


def _operand_cuts(x, g0, none, cuts, used):
    """Cuts ``(m, p, k)`` and their used slots ``(m, p)`` of the signals ``x``: a gate's
    stored ones; an input's trivial cut; a constant's empty cut."""
    gate = x >= g0
    leaves = cuts[np.where(gate, x - g0, 0)]
    slots = used[np.where(gate, x - g0, 0)]
    plain = ~gate
    leaves[plain] = none
    leaves[plain, 0, 0] = np.where(x[plain] >= FIRST_INPUT, x[plain], none)
    slots[plain] = False
    slots[plain, 0] = True
    return leaves, slots


def _map_chunk(gates, a, b, g0, none, k, p, cuts, used, level) -> None:
    """Cuts and levels of ``gates`` (indices into the gate arrays), whose operands are
    done; ``none`` (the number of signals) pads a cut."""
    m = gates.size
    ca, ua = _operand_cuts(a[gates], g0, none, cuts, used)
    cb, ub = _operand_cuts(b[gates], g0, none, cuts, used)
    # every pair (cut of a, cut of b): the union of their leaves, sorted, duplicates dropped
    pairs = np.empty((m, p, p, 2 * k), dtype=cuts.dtype)
    pairs[:, :, :, :k] = ca[:, :, None, :]
    pairs[:, :, :, k:] = cb[:, None, :, :]
    pairs = pairs.reshape(m * p * p, 2 * k)
    pairs.sort(axis=1)
    pairs[:, 1:][pairs[:, 1:] == pairs[:, :-1]] = none
    pairs.sort(axis=1)
    leaves = pairs[:, :k]
    size = (leaves != none).sum(axis=1)
    ok = (pairs[:, k] == none) & (ua[:, :, None] & ub[:, None, :]).reshape(-1)
    is_gate = (leaves >= g0) & (leaves != none)
    leaf_level = np.where(is_gate, level[np.where(is_gate, leaves - g0, 0)], 0)
    depth = leaf_level.max(axis=1).astype(np.int64) + 1
    # rank each gate's cuts by (depth, size), then a fingerprint of the leaves
    # (a deterministic tie-break; equal fingerprints are one cut kept once)
    key = np.where(ok, depth * (k + 1) + size, _INVALID).reshape(m, p * p)
    low = key.min(axis=1, keepdims=True)
    finger = leaves[:, 0].astype(np.uint64) * _MIX[0]
    for j in range(1, k):
        finger += leaves[:, j].astype(np.uint64) * _MIX[j]
    rank_key = (np.minimum(key - low, 255).astype(np.uint64) << np.uint64(56)) | (
        finger.reshape(m, p * p) >> np.uint64(8))
    order = np.argsort(rank_key, axis=1)
    ranked = np.take_along_axis(rank_key, order, axis=1)
    keep = np.take_along_axis(key, order, axis=1) != _INVALID
    keep[:, 1:] &= ranked[:, 1:] != ranked[:, :-1]
    slot = np.cumsum(keep, axis=1)            # 1-based slot of each kept cut (0: the trivial cut)
    keep &= slot < p
    row, col = np.nonzero(keep)
    pick = row * (p * p) + order[row, col]
    level[gates] = low[:, 0] // (k + 1)       # every gate has a cut: its operands' trivial ones
    new = np.full((m, p, k), none, dtype=cuts.dtype)
    new[:, 0, 0] = g0 + gates
    new[row, slot[row, col]] = leaves[pick]
    cuts[gates] = new
    used[gates] = False
    used[gates, 0] = True
    used[gates[row], slot[row, col]] = True
