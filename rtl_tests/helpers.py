"""Helpers shared by the RTL tests."""

from __future__ import annotations

import numpy as np


def random_bits(n: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, (n, width), dtype=np.uint8)


def assert_clean(result: dict) -> None:
    """No mismatch, no extra output, latency as declared, in every mode run."""
    assert result["modes"], "no mode was simulated"
    for name, mode in result["modes"].items():
        assert mode["vectors"] > 0, name
        assert mode["mismatches"] == 0, (name, mode["first_mismatches"][:3])
        assert mode["extra_outputs"] == 0, name
        assert mode["unknown"] == 0, name
    assert result["latency_ok"], (result["declared_latency"],
                                  {k: (m["latency_min"], m["latency_max"]) for k, m in result["modes"].items()})
    assert result["ok"]
