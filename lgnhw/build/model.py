"""The model a build starts from: a file, or the bundled default; the self-test vectors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import LgnhwError
from ..netlist import Netlist

__all__ = ["default_model_path", "load_model_or_default", "self_test_set", "SELF_TEST_VECTORS"]

SELF_TEST_VECTORS = 256


def default_model_path(name: str = "digits.lgn"):
    """A bundled model, ``lgnhw/data/<name>`` (an importlib.resources Traversable)."""
    from importlib import resources
    return resources.files("lgnhw.data").joinpath(name)


def load_model_or_default(path=None, default: str = "digits.lgn") -> tuple[Netlist, str]:
    """``(netlist, label)`` of the model at ``path``, or of the bundled model ``default``."""
    from importlib import resources
    from ..formats import load_model
    if path is not None:
        return load_model(path), os.fspath(path)
    with resources.as_file(default_model_path(default)) as real:
        if not Path(real).is_file():
            raise LgnhwError(f"the bundled model lgnhw/data/{default} is missing from this "
                             "installation; pass a MODEL file")
        return load_model(real), f"bundled {default}"


def self_test_set(net: Netlist, n: int = SELF_TEST_VECTORS, seed: int = 0):
    """Vectors and expected classes for the built-in self-test.

    Models with a 64-feature thermometer encoding use the first ``n`` samples
    of the digits test split (when scikit-learn is installed); otherwise
    ``n`` seeded random input vectors. Expected classes come from the golden model.
    """
    from ..golden import encode_inputs, predict
    bits = None
    if net.thresholds is not None and net.thresholds.shape[0] == 64:
        try:
            from ..datasets import load_digits_split
            bits = encode_inputs(net, load_digits_split().x_test[:n])
        except LgnhwError:
            bits = None
    if bits is None:
        bits = np.random.default_rng(seed).integers(0, 2, (n, net.num_inputs)).astype(np.uint8)
    _, cls = predict(net, bits)
    return bits, cls
