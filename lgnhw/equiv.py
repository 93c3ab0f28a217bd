"""Formal equivalence of two netlists: same class scores for every input.

Two netlists are equivalent when, for every input vector, every class gets
the same score (popcount of its output group plus its bias). Output *bits*
may differ (outputs permuted inside a class group, a constant output folded
into the bias, ...); only the scores matter, so the miter compares per-class
score differences, never output bits.

:func:`equivalent` decides it in this order:

1. a quick random simulation (golden model) finds most differences at once;
2. up to ``exhaustive_inputs`` inputs (20): every input vector is simulated,
   which is a proof (method ``"exhaustive"``);
3. otherwise a SAT proof with yosys (method ``"sat"``): the miter module holds
   both netlists as gate expressions, one adder per class and side, and a
   ``trigger`` output that is 1 iff some class score differs; yosys ``sat
   -prove trigger 0`` either proves it or returns a counterexample;
4. when SAT is impossible (netlist too large, yosys missing) or times out:
   ``vectors`` random vectors (method ``"simulation"``, not a proof:
   ``proven`` is False).

Every counterexample is re-checked with the golden model before it is
reported.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time

import numpy as np

from .errors import LgnhwError, ToolError
from .golden import class_counts, evaluate_packed
from .netlist import CONST0, CONST1, Netlist

__all__ = ["equivalent", "miter_netlist", "bitwise_miter"]


def _check_pair(net_a: Netlist, net_b: Netlist) -> None:
    net_a.check()
    net_b.check()
    if net_a.num_inputs != net_b.num_inputs:
        raise LgnhwError(f"the models have different input counts ({net_a.num_inputs} vs "
                         f"{net_b.num_inputs}); equivalence needs the same inputs")
    if net_a.num_classes != net_b.num_classes:
        raise LgnhwError(f"the models have different class counts ({net_a.num_classes} vs "
                         f"{net_b.num_classes}); equivalence needs the same classes")


def _signature_order(net: Netlist, x_words: np.ndarray) -> np.ndarray:
    """Output indices, each class group sorted by its random-simulation signature.

    Addition is commutative, so the order of a group's bits in the miter's
    adder is free. Sorting both sides by signature lines up functionally equal
    output bits, so a SAT-sweeping engine merges them and then the two adders
    are structurally identical.
    """
    sig = evaluate_packed(net, x_words)[net.outputs]            # (O, W) uint64
    g = net.group_size
    order = np.empty(net.num_outputs, dtype=np.int64)
    for c in range(net.num_classes):
        block = sig[c * g:(c + 1) * g]
        keys = [block[:, w] for w in range(block.shape[1] - 1, -1, -1)]
        order[c * g:(c + 1) * g] = c * g + np.lexsort(keys)
    return order


def _popcount(add_gate, bits_by_weight: list[list[int]]) -> list[int]:
    """Binary sum (LSB first) of weighted bits, as full/half-adder gates (carry-save)."""
    w = 0
    out = []
    while w < len(bits_by_weight):
        col = bits_by_weight[w]
        while len(col) >= 3:
            x, y, z = col.pop(), col.pop(), col.pop()
            t = add_gate(6, x, y)
            col.insert(0, add_gate(6, t, z))                      # sum
            carry = add_gate(7, add_gate(1, x, y), add_gate(1, t, z))
            if w + 1 == len(bits_by_weight):
                bits_by_weight.append([])
            bits_by_weight[w + 1].append(carry)
        if len(col) == 2:
            x, y = col
            if w + 1 == len(bits_by_weight):
                bits_by_weight.append([])
            bits_by_weight[w + 1].append(add_gate(1, x, y))
            col[:] = [add_gate(6, x, y)]
        out.append(col[0] if col else CONST0)
        w += 1
    return out


class _Builder:
    """Both netlists side by side on shared inputs, plus extra gates appended."""

    def __init__(self, net_a: Netlist, net_b: Netlist):
        first = net_a.first_gate
        self.remap_b = np.arange(net_b.num_signals, dtype=np.int64)
        self.remap_b[first:] += net_a.num_gates
        self.parts = [(net_a.op, net_a.a.astype(np.int64), net_a.b.astype(np.int64)),
                      (net_b.op, self.remap_b[net_b.a], self.remap_b[net_b.b])]
        self.ops, self.xs, self.ys = [], [], []
        self.next_sig = first + net_a.num_gates + net_b.num_gates
        self.num_inputs = net_a.num_inputs

    def gate(self, o, x, y):
        self.ops.append(o)
        self.xs.append(x)
        self.ys.append(y)
        self.next_sig += 1
        return self.next_sig - 1

    def any_of(self, bits):
        """Balanced OR tree."""
        while len(bits) > 1:
            bits = [self.gate(7, bits[i], bits[i + 1]) if i + 1 < len(bits) else bits[i]
                    for i in range(0, len(bits), 2)]
        return bits[0] if bits else CONST0

    def netlist(self, trigger, name) -> Netlist:
        op, a, b = zip(*self.parts)
        return Netlist(num_inputs=self.num_inputs,
                       op=np.concatenate(op + (np.asarray(self.ops, np.uint8),)),
                       a=np.concatenate(a + (np.asarray(self.xs, np.int64),)),
                       b=np.concatenate(b + (np.asarray(self.ys, np.int64),)),
                       outputs=[trigger], num_classes=1, meta={"name": name}).check()


def _x_words(n_inputs, seed, words=4):
    raw = np.random.default_rng(seed).bytes(n_inputs * words * 8)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(n_inputs, words)


def miter_netlist(net_a: Netlist, net_b: Netlist, *, seed: int = 0) -> Netlist:
    """One netlist with a single output ``trigger``: 1 iff some class score differs.

    Both netlists share the inputs; per class and side a carry-save popcount
    adds the group's bits plus the bias difference (as constant bits), and the
    two sums are compared bit by bit. The miter is deliberately *not*
    simplified with lgnhw's own passes (they may be what is being checked).
    Group bits are summed in random-simulation signature order (see
    :func:`_signature_order`).
    """
    _check_pair(net_a, net_b)
    x_words = _x_words(net_a.num_inputs, seed)
    order_a, order_b = _signature_order(net_a, x_words), _signature_order(net_b, x_words)
    m = _Builder(net_a, net_b)
    out_a = net_a.outputs.astype(np.int64)[order_a]
    out_b = m.remap_b[net_b.outputs.astype(np.int64)[order_b]]
    ga, gb = net_a.group_size, net_b.group_size
    diffs = []
    for c in range(net_a.num_classes):
        d = int(net_b.bias[c]) - int(net_a.bias[c])
        sides = []
        for outs, g, extra in ((out_a, ga, max(-d, 0)), (out_b, gb, max(d, 0))):
            cols = [outs[c * g:(c + 1) * g].tolist()]
            for k in range(extra.bit_length()):
                if len(cols) <= k:
                    cols.append([])
                if extra >> k & 1:
                    cols[k].append(CONST1)
            sides.append(_popcount(m.gate, cols))
        sa, sb = sides
        width = max(len(sa), len(sb))
        sa += [CONST0] * (width - len(sa))
        sb += [CONST0] * (width - len(sb))
        diffs += [m.gate(6, x, y) for x, y in zip(sa, sb)]
    return m.netlist(m.any_of(diffs), "miter")


def bitwise_miter(net_a: Netlist, net_b: Netlist, *, seed: int = 0) -> Netlist | None:
    """A stronger, much easier miter, or None when it does not apply.

    Per class, outputs that are constant signals are folded into the bias;
    the remaining output bits of both sides are paired by random-simulation
    signature. If the biases and signature multisets agree, ``trigger`` is the
    OR of the XORs of the pairs: proving it 0 proves equal scores (each output
    cone is small, so SAT needs no global reasoning). Failing it proves
    nothing (two different pairings may both be plausible): then use
    :func:`miter_netlist`.
    """
    _check_pair(net_a, net_b)
    x_words = _x_words(net_a.num_inputs, seed)
    m = _Builder(net_a, net_b)
    pairs, diffs, sides = [], [], []
    ones = ~np.uint64(0)
    for net, remap in ((net_a, np.arange(net_a.num_signals)), (net_b, m.remap_b)):
        sig = evaluate_packed(net, x_words)[net.outputs]
        sides.append((net, remap, sig))
    for c in range(net_a.num_classes):
        groups = []
        for net, remap, sig in sides:
            g = net.group_size
            outs = remap[net.outputs[c * g:(c + 1) * g].astype(np.int64)]
            s = sig[c * g:(c + 1) * g]
            # Outputs that look constant are claimed constant (and the claim is
            # part of the miter); they count as bias.
            zero, one = (s == 0).all(axis=1), (s == ones).all(axis=1)
            diffs += [o for o in outs[zero].tolist() if o != CONST0]
            diffs += [m.gate(12, o, o) for o in outs[one].tolist() if o != CONST1]
            bias = int(net.bias[c]) + int(one.sum())
            outs, s = outs[~zero & ~one], s[~zero & ~one]
            order = np.lexsort([s[:, w] for w in range(s.shape[1] - 1, -1, -1)])
            groups.append((bias, outs[order], s[order]))
        (bias_a, outs_a, s_a), (bias_b, outs_b, s_b) = groups
        if bias_a != bias_b or outs_a.size != outs_b.size or not np.array_equal(s_a, s_b):
            return None
        pairs += list(zip(outs_a.tolist(), outs_b.tolist()))
    diffs += [m.gate(6, x, y) for x, y in pairs if x != y]
    return m.netlist(m.any_of(diffs), "bitwise_miter")


def _sat(miter: Netlist, timeout: float) -> tuple[str, list[int] | None]:
    """yosys ``sat -prove`` on the miter's single output.

    Returns ``("proved" | "failed" | "timeout" | "unavailable", counterexample bits)``.
    """
    from .formats.aiger import write_aiger
    from . import tools
    if not tools.available("yosys"):
        return "unavailable", None
    yosys = [tools.find("yosys")]
    with tempfile.TemporaryDirectory(prefix="lgnhw-equiv-") as tmp:
        write_aiger(miter, os.path.join(tmp, "miter.aig"))
        # read_aiger names the ports from the symbol table: inputs x<k>, output c0_0.
        script = ("read_aiger -module_name miter miter.aig; "
                  f"sat -prove c0_0 0 -show-inputs -timeout {max(1, int(timeout))} miter")
        try:
            run = subprocess.run(yosys + ["-q", "-l", "sat.log", "-p", script], cwd=tmp,
                                 capture_output=True, text=True, timeout=timeout + 60)
        except subprocess.TimeoutExpired:
            return "timeout", None
        except OSError as err:
            raise ToolError(f"cannot run yosys ({yosys[0]}): {err}") from None
        logfile = os.path.join(tmp, "sat.log")
        log = open(logfile, errors="replace").read() if os.path.exists(logfile) else run.stdout
    if "TIMEOUT" in log or "Interrupted SAT solver" in log:
        return "timeout", None
    if "SAT proof finished - no model found: SUCCESS!" in log:
        return "proved", None
    if "SAT proof finished - model found: FAIL!" in log:
        bits = [0] * miter.num_inputs
        for mt in re.finditer(r"^\s*\\x(\d+)\s+(\d+)\s+\S+\s+([01])\s*$", log, re.M):
            bits[int(mt.group(1))] = int(mt.group(3))
        return "failed", bits
    tail = (run.stderr or log).strip().splitlines()[-1:] or ["no output"]
    raise ToolError(f"yosys sat did not give a verdict (exit {run.returncode}): {tail[0]}")


def _differs(net_a, net_b, bits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ca, cb = class_counts(net_a, bits), class_counts(net_b, bits)
    return np.flatnonzero((ca != cb).any(axis=1)), ca, cb


def _simulate(net_a, net_b, n_inputs, batches):
    """Simulate batches of input bits; return (vectors done, counterexample or None)."""
    done = 0
    for bits in batches:
        bad, ca, cb = _differs(net_a, net_b, bits)
        if bad.size:
            i = int(bad[0])
            return done + i + 1, (bits[i].astype(int).tolist(), ca[i].tolist(), cb[i].tolist())
        done += bits.shape[0]
    return done, None


def _random_batches(n_inputs, total, seed, batch=1 << 14):
    rng = np.random.default_rng(seed)
    for start in range(0, total, batch):
        yield rng.integers(0, 2, (min(batch, total - start), n_inputs), dtype=np.uint8)


def _all_batches(n_inputs, batch=1 << 16):
    shifts = np.arange(n_inputs, dtype=np.int64)
    for start in range(0, 1 << n_inputs, batch):
        idx = np.arange(start, min(start + batch, 1 << n_inputs), dtype=np.int64)
        yield ((idx[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def equivalent(net_a: Netlist, net_b: Netlist, *, method: str = "auto", vectors: int = 100_000,
               timeout: float = 60.0, exhaustive_inputs: int = 20, max_sat_inputs: int = 100_000,
               max_sat_gates: int = 200_000, precheck: int = 2048, seed: int = 0,
               progress=None) -> dict:
    """Decide whether ``net_a`` and ``net_b`` give every class the same score for every input.

    ``progress(message)``, if given, is called as each phase starts.

    method
        ``"auto"`` (exhaustive up to ``exhaustive_inputs`` inputs, else SAT,
        else simulation), or force ``"exhaustive"``, ``"sat"`` (falls back to
        simulation on timeout) or ``"simulation"``.

    Returns ``{"equivalent", "proven", "method", "vectors", "counterexample",
    "seconds", ...}``: ``vectors`` is the number of input vectors simulated
    (the random pre-check, or all ``2**I`` for ``"exhaustive"``);
    ``counterexample`` is ``None`` or the input bits (list of 0/1) on which
    the scores differ, with both score vectors in ``counts_a``/``counts_b``.
    """
    t0 = time.perf_counter()
    say = progress or (lambda message: None)
    _check_pair(net_a, net_b)
    if method not in ("auto", "exhaustive", "sat", "simulation"):
        raise LgnhwError(f"unknown equivalence method {method!r} (auto, exhaustive, sat, simulation)")
    n = net_a.num_inputs
    if method == "exhaustive" and n > 30:
        raise LgnhwError(f"exhaustive check of {n} inputs is impossible (2^{n} vectors); use sat")
    result = {"inputs": n, "classes": net_a.num_classes, "gates_a": net_a.num_gates,
              "gates_b": net_b.num_gates, "counterexample": None, "note": ""}

    def finish(equal, how, done, cex=None, note=""):
        if cex is not None:
            bits = np.asarray([cex[0]], dtype=np.uint8)
            bad, ca, cb = _differs(net_a, net_b, bits)
            if not bad.size:
                raise LgnhwError("internal error: the counterexample does not reproduce in the golden model")
            result.update(counterexample=cex[0], counts_a=ca[0].tolist(), counts_b=cb[0].tolist())
        result.update(equivalent=bool(equal), proven=how != "simulation", method=how,
                      vectors=int(done), seconds=round(time.perf_counter() - t0, 3))
        if note:
            result["note"] = note
        return result

    work = (1 << min(n, 62)) * (net_a.num_gates + net_b.num_gates + 1)
    exhaustive = method == "exhaustive" or (method == "auto" and n <= exhaustive_inputs
                                            and work <= 20_000_000_000)
    if exhaustive:
        say(f"exhaustive simulation of 2^{n} input vectors")
        done, cex = _simulate(net_a, net_b, n, _all_batches(n))
        return finish(cex is None, "exhaustive", done, cex)
    if method == "simulation":
        say(f"random simulation of {vectors:,} vectors")
        done, cex = _simulate(net_a, net_b, n, _random_batches(n, vectors, seed))
        return finish(cex is None, "simulation", done, cex)

    say(f"random pre-check of {precheck:,} vectors")
    done, cex = _simulate(net_a, net_b, n, _random_batches(n, precheck, seed))
    if cex is not None:
        return finish(False, "simulation", done, cex, "difference found by random simulation")
    gates = net_a.num_gates + net_b.num_gates
    if n > max_sat_inputs or gates > max_sat_gates:
        verdict, why = "skipped", f"too large for SAT ({n} inputs, {gates} gates)"
    else:
        start = time.perf_counter()
        verdict, why = "", ""
        bitwise = bitwise_miter(net_a, net_b, seed=seed)
        if bitwise is not None:
            say(f"SAT proof of output-bit equivalence (yosys, up to {timeout:g} s)")
            verdict, _ = _sat(bitwise, timeout)
            if verdict == "proved":
                return finish(True, "sat", done, note="output bits pairwise equivalent")
        if verdict != "unavailable":
            left = max(1.0, timeout - (time.perf_counter() - start))
            say(f"SAT proof of class-score equivalence (yosys, up to {left:.0f} s)")
            verdict, bits = _sat(miter_netlist(net_a, net_b, seed=seed), left)
            if verdict == "proved":
                return finish(True, "sat", done, note="class scores equivalent")
            if verdict == "failed":
                return finish(False, "sat", done, (bits, None, None))
        why = {"timeout": f"SAT timed out after {timeout:g} s",
               "unavailable": "yosys not found"}.get(verdict, "")
    say(f"no proof ({why or verdict}); random simulation of {vectors:,} vectors")
    more, cex = _simulate(net_a, net_b, n, _random_batches(n, vectors, seed + 1))
    return finish(cex is None, "simulation", done + more, cex, why + "; fell back to random simulation")
