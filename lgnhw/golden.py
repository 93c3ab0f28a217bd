"""Golden model: bit-parallel numpy evaluation of a Netlist.

Samples are packed 64 to a machine word (sample ``j`` is bit ``j % 64`` of
word ``j // 64``), so one numpy operation evaluates a whole level of gates on
64 samples per word. Class scores are the popcount of each output group plus
the bias, exactly as GroupSum counts them before the division by tau; the
prediction is the argmax with ties going to the lowest class index.
"""

from __future__ import annotations

import numpy as np

from .errors import LgnhwError
from .netlist import FIRST_INPUT, Netlist

__all__ = ["pack_bits", "unpack_bits", "evaluate_packed", "class_counts", "predict",
           "encode_inputs", "argmax_lowest"]

_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)

# Largest word-matrix the evaluator allocates at once (signals x words x 8 bytes).
_BUDGET_BYTES = 256 << 20


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(N, K) 0/1 array -> (K, ceil(N/64)) uint64, sample j in bit j%64 of word j//64."""
    bits = np.asarray(bits)
    n, k = bits.shape
    words = -(-n // 64)
    padded = np.zeros((k, words * 64), dtype=np.uint8)
    padded[:, :n] = bits.T != 0
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64, copy=False)


def unpack_bits(words: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: (K, W) uint64 -> (n, K) uint8."""
    as_bytes = np.ascontiguousarray(words.astype("<u8", copy=False)).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :n].T


def evaluate_packed(net: Netlist, inputs: np.ndarray) -> np.ndarray:
    """Evaluate every signal: ``inputs`` (I, W) uint64 -> (num_signals, W) uint64."""
    words = inputs.shape[1]
    vals = np.empty((net.num_signals, words), dtype=np.uint64)
    vals[0] = 0
    vals[1] = _ONES
    vals[FIRST_INPUT:net.first_gate] = inputs
    op = net.op.astype(np.uint64)
    # Per input combination, an all-ones mask where the op outputs 1.
    t = [np.uint64(0) - ((op >> np.uint64(k)) & np.uint64(1)) for k in (3, 2, 1, 0)]
    for group in net.level_groups:
        # Gates are stored in topological order, so a level is often one slice.
        if group.size and group[-1] - group[0] + 1 == group.size:
            sel = slice(int(group[0]), int(group[-1]) + 1)
        else:
            sel = group
        x = vals[net.a[sel]]
        y = vals[net.b[sel]]
        nx, ny = ~x, ~y
        out = (t[0][sel, None] & nx & ny) | (t[1][sel, None] & nx & y) \
            | (t[2][sel, None] & x & ny) | (t[3][sel, None] & x & y)
        if isinstance(sel, slice):
            vals[net.first_gate + sel.start:net.first_gate + sel.stop] = out
        else:
            vals[net.first_gate + sel] = out
    return vals


def class_counts(net: Netlist, bits: np.ndarray) -> np.ndarray:
    """Class scores (N, C) int64 for encoded input bits (N, I) of 0/1."""
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != net.num_inputs:
        raise LgnhwError(
            f"inputs have shape {bits.shape}, expected (N, {net.num_inputs}) encoded input bits")
    n = bits.shape[0]
    counts = np.empty((n, net.num_classes), dtype=np.int64)
    # Batch the samples so the signal x word matrix stays within budget.
    per_batch = max(64, (_BUDGET_BYTES // (8 * max(net.num_signals, 1))) // 64 * 64)
    for start in range(0, n, per_batch):
        chunk = bits[start:start + per_batch]
        vals = evaluate_packed(net, pack_bits(chunk))
        out_bits = unpack_bits(vals[net.outputs], chunk.shape[0])  # (n, O)
        grouped = out_bits.reshape(chunk.shape[0], net.num_classes, net.group_size)
        counts[start:start + chunk.shape[0]] = grouped.sum(axis=2, dtype=np.int64)
    return counts + net.bias[None, :]


def argmax_lowest(counts: np.ndarray) -> np.ndarray:
    """Argmax over classes; ties go to the lowest class index (as torch.argmax)."""
    return np.argmax(counts, axis=1).astype(np.int64)


def predict(net: Netlist, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(counts (N, C) int64, pred (N,) int64)`` for encoded input bits."""
    counts = class_counts(net, bits)
    return counts, argmax_lowest(counts)


def encode_inputs(net: Netlist, x: np.ndarray) -> np.ndarray:
    """Raw features (N, F) -> encoded input bits (N, I) with the model's thermometer."""
    if net.thresholds is None:
        raise LgnhwError("the model stores no input encoding; pass encoded input bits")
    x = np.asarray(x, dtype=np.float64)
    f, t = net.thresholds.shape
    if x.ndim != 2 or x.shape[1] != f:
        raise LgnhwError(f"features have shape {x.shape}, expected (N, {f})")
    return (x[:, :, None] > net.thresholds[None, :, :]).reshape(x.shape[0], f * t).astype(np.uint8)
