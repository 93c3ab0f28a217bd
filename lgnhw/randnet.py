"""Random netlists for tests and benchmarks (seeded, so reproducible)."""

from __future__ import annotations

import numpy as np

from .netlist import FIRST_INPUT, Netlist

__all__ = ["random_layered", "random_dag"]


def random_layered(num_inputs: int, widths, num_classes: int, *, seed: int = 0,
                   ops=None) -> Netlist:
    """A difflogic-style dense network: each layer reads two random outputs of the previous one."""
    rng = np.random.default_rng(seed)
    layers, prev = [], num_inputs
    for w in widths:
        op = rng.integers(0, 16, w) if ops is None else rng.choice(np.asarray(ops), w)
        layers.append((op, rng.integers(0, prev, w), rng.integers(0, prev, w)))
        prev = w
    return Netlist.from_layers(num_inputs, layers, num_classes, meta={"source": f"random_layered(seed={seed})"})


def random_dag(num_inputs: int, num_gates: int, num_outputs: int, num_classes: int, *,
               seed: int = 0, window: int | None = None, const_prob: float = 0.0,
               bias_max: int = 0) -> Netlist:
    """Arbitrary DAG with skip connections: gate g reads any earlier signal
    (within ``window`` signals below it, if given), constants with ``const_prob``."""
    rng = np.random.default_rng(seed)
    first = FIRST_INPUT + num_inputs
    own = first + np.arange(num_gates)
    lo = FIRST_INPUT if window is None else np.maximum(FIRST_INPUT, own - window)
    a = rng.integers(lo, own)
    b = rng.integers(lo, own)
    if const_prob:
        a = np.where(rng.random(num_gates) < const_prob, rng.integers(0, 2, num_gates), a)
        b = np.where(rng.random(num_gates) < const_prob, rng.integers(0, 2, num_gates), b)
    outputs = rng.integers(0, first + num_gates, num_outputs)
    bias = rng.integers(0, bias_max + 1, num_classes)
    return Netlist(num_inputs=num_inputs, op=rng.integers(0, 16, num_gates), a=a, b=b,
                   outputs=outputs, num_classes=num_classes, bias=bias,
                   meta={"source": f"random_dag(seed={seed})"}).check()
