"""The shared machinery of the optimisation passes.

Passes are pure functions ``Netlist -> (Netlist, stats)``. Most of them are
one sweep of :func:`rewrite` over the gates in level order with a subset of
local rules switched on. The sweep keeps, for every signal, an *alias*: the
representative signal it equals and whether it equals its inverse. Because
levels are visited in order, every gate sees its inputs' final aliases and
one sweep reaches the local fixpoint; inverted aliases are absorbed into the
consuming gate by rewriting its op id (never by adding a NOT gate).

:func:`sweep_dead` then keeps the gates that reach an output (mark over
levels, from the top) and renumbers everything once; :func:`rewrite_swept`
does both without building the netlist in between. Each rule touches only the
gates it applies to, and :func:`consts_idle` / :func:`wires_idle` tell, by a
few whole-netlist checks, when a sweep with those rules would change nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import ops
from ..netlist import CONST0, CONST1, Netlist, level_order

__all__ = ["rewrite", "rewrite_swept", "consts_idle", "wires_idle", "live_gates", "sweep_dead"]


# The op algebra of lgnhw.ops as 16-entry lookup tables: one gather per rule
# instead of a dozen bit operations on every gate of a level.
_ALL = np.arange(16)
_NEG_A = ops.negate_a(_ALL).astype(np.uint8)
_NEG_B = ops.negate_b(_ALL).astype(np.uint8)
_SWAP = ops.swap_inputs(_ALL).astype(np.uint8)
_FIX_A = np.stack([ops.fix_a(_ALL, 0), ops.fix_a(_ALL, 1)]).astype(np.uint8)
_FIX_B = np.stack([ops.fix_b(_ALL, 0), ops.fix_b(_ALL, 1)]).astype(np.uint8)
_SAME = ops.same_inputs(_ALL).astype(np.uint8)
_DEP_A = ops.depends_on_a(_ALL).astype(bool)
_DEP_B = ops.depends_on_b(_ALL).astype(bool)


def _as_slice(group: np.ndarray):
    """A level's gate indices as a slice when contiguous (the common, faster case)."""
    if group.size and int(group[-1]) - int(group[0]) + 1 == group.size:
        return slice(int(group[0]), int(group[-1]) + 1)
    return group


def _pack_key(ka, kb, ko, num_signals):
    """One sortable key per (a, b, op) triple: an int64 when it fits, else rows."""
    if num_signals < 1 << 29:  # (S*S)*16 < 2**62
        return (ka * num_signals + kb) * 16 + ko
    return np.stack([ka, kb, ko], axis=1)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)   # Fibonacci hashing multiplier (2**64 / phi, odd)
_HASH_MIN = 1 << 12                        # smaller key sets are just sorted


def _first_equal(key: np.ndarray) -> np.ndarray:
    """For every row of ``key``, the index of the first row equal to it.

    Large 1-D key sets are hashed into a table of 4n..8n buckets first; only
    keys that share a bucket with another key (a small fraction, and every
    duplicate) are sorted."""
    if key.ndim > 1:
        _, first_idx, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        return first_idx[inverse.reshape(-1)]
    if key.size < _HASH_MIN:
        return _first_equal_sorted(key)
    bits = (4 * key.size - 1).bit_length()
    bucket = ((key.view(np.uint64) * _GOLDEN) >> np.uint64(64 - bits)).view(np.int64)
    crowded = np.flatnonzero(np.bincount(bucket, minlength=1 << bits)[bucket] > 1)
    rep = np.arange(key.size)
    if crowded.size:            # flatnonzero keeps index order: the first of equals stays first
        rep[crowded] = crowded[_first_equal_sorted(key[crowded])]
    return rep


def _first_equal_sorted(key: np.ndarray) -> np.ndarray:
    order = np.argsort(key)                      # any order of equal keys will do:
    sk = key[order]                              # the minimum below picks the first
    start = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    first = np.minimum.reduceat(order, start)
    rep = np.empty_like(order)
    rep[order] = np.repeat(first, np.diff(np.r_[start, key.size]))
    return rep


def _collapse(o, ga, gb, op, a, b, first):
    """Rewrite gates whose inputs reach at most two distinct signals one level down.

    ``g = o(x, y)`` where ``x = f(p, q)`` and ``y`` is ``p`` or ``q`` (or
    ``y = h(p, q)``, or the mirror case) is a function of ``p`` and ``q``
    alone, so it is one gate reading ``p`` and ``q`` directly.
    """
    xg, yg = ga >= first, gb >= first
    xi, yi = np.where(xg, ga - first, 0), np.where(yg, gb - first, 0)
    pa, qa, oa = np.where(xg, a[xi], -1), np.where(xg, b[xi], -1), op[xi]
    pb, qb, ob = np.where(yg, a[yi], -1), np.where(yg, b[yi], -1), op[yi]
    both = xg & yg & (((pa == pb) & (qa == qb)) | ((pa == qb) & (qa == pb)))
    left = ~both & xg & ((gb == pa) | (gb == qa))
    right = ~both & ~left & yg & ((ga == pb) | (ga == qb))
    h = np.flatnonzero(both | left | right)
    if not h.size:
        return o, ga, gb
    # the truth table of each hit gate over (u, v), computed for the hits only
    both, left, right, pa, qa, oa, pb, qb, ob, x, y, g = (
        both[h], left[h], right[h], pa[h], qa[h], oa[h], pb[h], qb[h], ob[h], ga[h], gb[h], o[h])
    u = np.where(right, pb, pa)
    v = np.where(right, qb, qa)
    table = np.zeros(h.size, dtype=np.int64)
    for U in (0, 1):
        for V in (0, 1):
            pick = lambda s: np.where(s == u, U, V)  # noqa: E731 - value of u or v
            x_val = np.where(right, pick(x), ops.evaluate(oa, U, V))
            y_val = np.where(both, ops.evaluate(ob, pick(pb), pick(qb)),
                             np.where(left, pick(y), ops.evaluate(ob, U, V)))
            table |= ops.evaluate(g, x_val, y_val) << (3 - (2 * U + V))
    o, ga, gb = o.copy(), ga.copy(), gb.copy()
    o[h], ga[h], gb[h] = table, u, v
    return o, ga, gb


class _Gates(NamedTuple):
    """A rewritten netlist's arrays (signal numbers int64), before the sweep."""
    op: np.ndarray
    a: np.ndarray
    b: np.ndarray
    outputs: np.ndarray
    bias: np.ndarray
    levels: np.ndarray


def _netlist(net: Netlist, r: _Gates) -> Netlist:
    """``net`` with the gates of ``r`` (their depths recorded)."""
    return net.replace(op=r.op, a=r.a, b=r.b, outputs=r.outputs, bias=r.bias)._seed_levels(r.levels)


def rewrite(net: Netlist, *, consts: bool = False, wires: bool = False,
            hashing: bool = False, collapse: bool = False) -> Netlist:
    """One level-ordered sweep applying the enabled local rules.

    consts
        an input that is a constant is fixed in the op (``fix_a``/``fix_b``);
        a gate reading the same signal twice becomes a function of one input;
        a gate that computes a constant is replaced by that constant.
    wires
        a gate that computes ``x`` or ``not x`` of one input is replaced by
        that input, inverted if needed (consumers absorb the inversion).
    hashing
        gates of equal function on equal inputs (commutativity aware) are
        merged; a gate computing the complement of another is replaced by the
        other, inverted.
    collapse
        a gate whose inputs depend on only two distinct signals one level
        down becomes one gate reading those two signals (see :func:`_collapse`).

    The result still holds every gate (rewritten); run :func:`sweep_dead` to
    drop the ones no output needs, or use :func:`rewrite_swept` for both.
    """
    return _netlist(net, _rewrite(net, consts=consts, wires=wires, hashing=hashing, collapse=collapse))


def rewrite_swept(net: Netlist, **rules) -> Netlist:
    """``sweep_dead(rewrite(net, **rules))`` without the netlist in between:
    the sweep reads the rewritten arrays (the usual body of a pass)."""
    return _swept(net, _rewrite(net, **rules), net.level_groups)


def _rewrite(net: Netlist, *, consts: bool = False, wires: bool = False,
             hashing: bool = False, collapse: bool = False) -> _Gates:
    """The arrays of :func:`rewrite`'s result."""
    first = net.first_gate
    alias = np.arange(net.num_signals, dtype=np.int64)
    inv = np.zeros(net.num_signals, dtype=bool)
    op = net.op.copy()
    a = net.a.astype(np.int64)
    b = net.b.astype(np.int64)
    level = np.zeros(net.num_signals, dtype=np.int32)  # depths in the rewritten netlist

    aliased = False      # until a signal is aliased, every gate reads its inputs as they are
    if hashing:
        read_by_output = np.zeros(net.num_signals, dtype=bool)
        read_by_output[net.outputs] = True
    for group in net.level_groups:
        sel = _as_slice(group)
        if isinstance(sel, slice):
            sig = np.arange(first + sel.start, first + sel.stop)
            own = slice(first + sel.start, first + sel.stop)
        else:
            sig = own = first + group
        # o, ga, gb: this level's gates, rewritten in place below (each rule
        # touches only the gates it applies to); they may be views of op, a,
        # b, which take them back at the end anyway and which later levels
        # read only below this one
        o, ga, gb = op[sel], a[sel], b[sel]
        if aliased:
            ia, ib = inv[ga], inv[gb]
            ga, gb = alias[ga], alias[gb]
            hit = np.flatnonzero(ia | ib)        # absorb inverted inputs into the op
            if hit.size:
                h = o[hit]
                h = np.where(ia[hit], _NEG_A[h], h)
                o[hit] = np.where(ib[hit], _NEG_B[h], h)

        if collapse:
            o, ga, gb = _collapse(o, ga, gb, op, a, b, first)

        if consts:
            ca, cb = ga <= CONST1, gb <= CONST1
            hit = np.flatnonzero(ca | cb | (ga == gb))
            if hit.size:
                ho, ha, hb, hca, hcb = o[hit], ga[hit], gb[hit], ca[hit], cb[hit]
                ho = np.where(hca, _FIX_A[ha & 1, ho], ho)
                ho = np.where(hcb, _FIX_B[hb & 1, ho], ho)
                ha, hb = np.where(hca, hb, ha), np.where(hcb, ha, hb)
                o[hit] = np.where(ha == hb, _SAME[ho], ho)
                ga[hit], gb[hit] = ha, hb

        dep_a, dep_b = _DEP_A[o], _DEP_B[o]
        single = dep_a ^ dep_b
        # Tidy single-input gates so that the input they read is input a (and b).
        hit = np.flatnonzero(single & (dep_b | (ga != gb)))
        if hit.size:
            only_b = dep_b[hit]
            o[hit] = np.where(only_b, _SWAP[o[hit]], o[hit])
            ga[hit] = gb[hit] = np.where(only_b, gb[hit], ga[hit])
        op[sel], a[sel], b[sel] = o, ga, gb
        level[own] = np.maximum(level[ga], level[gb]) + 1

        done = np.zeros(sig.size, dtype=bool)
        if consts:
            const = ~(dep_a | dep_b)
            alias[sig[const]] = np.where(o[const] == ops.ONE, CONST1, CONST0)
            done |= const
        if wires:
            # A single-input gate is now op A (3) or not A (12) reading ga.
            alias[sig[single]] = ga[single]
            inv[sig[single]] = o[single] == ops.NOT_A
            done |= single
        aliased = aliased or bool(done.any())
        if hashing:
            cand = np.flatnonzero(~done)
            if cand.size > 1:
                ka, kb, ko = ga[cand], gb[cand], o[cand]
                swap = ka > kb
                ko = np.where(swap, _SWAP[ko], ko)
                ka, kb = np.minimum(ka, kb), np.maximum(ka, kb)
                neg = ko > 7  # of an op and its complement (15 - op), keep the smaller
                ko = np.where(neg, 15 - ko, ko)
                # of equal gates, one an output reads is kept: an inverted alias
                # of it is absorbed by gate readers, while an output would keep both
                # (output polarity is not changed)
                first_out = np.argsort(~read_by_output[sig[cand]], kind="stable")
                rep = np.empty(cand.size, dtype=np.int64)
                rep[first_out] = first_out[_first_equal(
                    _pack_key(ka, kb, ko.astype(np.int64), net.num_signals)[first_out])]
                dup = rep != np.arange(cand.size)
                alias[sig[cand[dup]]] = sig[cand[rep[dup]]]
                inv[sig[cand[dup]]] = neg[dup] ^ neg[rep[dup]]
                aliased = aliased or bool(dup.any())

    # Outputs follow non-inverted aliases; a constant-1 output becomes bias.
    out = net.outputs.astype(np.int64)
    new_out = np.where(inv[out], out, alias[out]) if aliased else out
    bias = net.bias.copy()
    ones = new_out == CONST1
    if ones.any():
        cls = np.flatnonzero(ones) // net.group_size
        np.add.at(bias, cls, 1)
        new_out[ones] = CONST0
    # Rewritten inputs come from earlier levels, so the depths above are exact.
    return _Gates(op, a, b, new_out, bias, level[first:])


def _untidy(op, a, b, dep_a, dep_b) -> bool:
    """Some single-input gate does not read input a alone (``rewrite`` would tidy it)."""
    return bool((dep_b & ~dep_a).any() or ((dep_a ^ dep_b) & (a != b)).any())


def consts_idle(net: Netlist) -> bool:
    """True if ``rewrite(net, consts=True)`` would return ``net`` unchanged:
    no gate reads a constant, computes one or reads one signal twice into a
    two-input function, every gate is tidy and no output is constant 1.
    A few vectorised checks, far cheaper than the sweep."""
    op, a, b = net.op, net.a, net.b
    dep_a, dep_b = _DEP_A[op], _DEP_B[op]
    return not (bool((a <= CONST1).any() or (b <= CONST1).any() or (net.outputs == CONST1).any()
                     or (~(dep_a | dep_b)).any() or ((a == b) & (_SAME[op] != op)).any())
                or _untidy(op, a, b, dep_a, dep_b))


def wires_idle(net: Netlist) -> bool:
    """True if ``rewrite(net, wires=True)`` would return ``net`` unchanged:
    every gate is tidy, there is no wire (op ``A``), no gate reads an
    inverter (inverters that only feed outputs stay) and no output is
    constant 1 (every sweep moves those into the bias)."""
    op, a, b = net.op, net.a, net.b
    dep_a, dep_b = _DEP_A[op], _DEP_B[op]
    single = dep_a ^ dep_b
    if (_untidy(op, a, b, dep_a, dep_b) or (single & (op == ops.A)).any()
            or (net.outputs == CONST1).any()):
        return False
    inverter = np.zeros(net.num_signals, dtype=bool)
    inverter[net.first_gate:] = single           # tidy single-input gates that are no wire: NOT A
    return not bool(inverter[a].any() or inverter[b].any())


def live_gates(net: Netlist, groups=None) -> np.ndarray:
    """Boolean mask (G,) of the gates some output depends on (mark over levels, top down).

    ``groups``: the gates in groups, in order, such that a gate reads only
    signals of earlier groups (default: ``net.level_groups``). The level
    groups of the netlist a :func:`rewrite` started from qualify for its
    result: rewritten inputs come from earlier levels.
    """
    return _live(net.first_gate, net.num_signals, net.a, net.b, net.outputs,
                 net.level_groups if groups is None else groups)


def _live(first, num_signals, a, b, outputs, groups) -> np.ndarray:
    live = np.zeros(num_signals, dtype=bool)
    live[outputs] = True
    for group in reversed(groups):
        sel = _as_slice(group)
        if isinstance(sel, slice):
            mask = live[first + sel.start:first + sel.stop]
            if not mask.any():
                continue
            live[a[sel][mask]] = True
            live[b[sel][mask]] = True
        else:
            g = group[live[first + group]]
            live[a[g]] = True
            live[b[g]] = True
    return live[first:]


def sweep_dead(net: Netlist, groups=None) -> Netlist:
    """Drop gates no output depends on and list the rest level by level
    (a topological order in which every level is one contiguous run, so
    later sweeps work on slices); renumber signals once. ``groups``: see
    :func:`live_gates`."""
    return _swept(net, _Gates(net.op, net.a, net.b, net.outputs, net.bias, net.levels),
                  net.level_groups if groups is None else groups)


def _swept(net: Netlist, r: _Gates, groups) -> Netlist:
    """The netlist of ``r`` (``net``'s gates, rewritten or not) without its dead gates."""
    first = net.first_gate
    keep = _live(first, net.num_signals, r.a, r.b, r.outputs, groups)
    kept = np.flatnonzero(keep)
    order = level_order(r.levels[kept])
    if keep.all() and np.array_equal(order, kept):
        if r.a is net.a and r.b is net.b and r.op is net.op and r.outputs is net.outputs:
            return net
        return _netlist(net, r)
    kept = kept[order]
    remap = np.empty(net.num_signals, dtype=np.int32)   # signal numbers fit the IR's int32
    remap[:first] = np.arange(first)
    remap[first:][kept] = np.arange(first, first + kept.size, dtype=np.int32)
    # a live gate's inputs are live, so its depth is unchanged
    return net.replace(op=r.op[kept], a=remap[r.a[kept]], b=remap[r.b[kept]],
                       outputs=remap[r.outputs], bias=r.bias)._seed_levels(r.levels[kept])
