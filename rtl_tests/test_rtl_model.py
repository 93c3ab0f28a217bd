"""A model-sized core (bundled digits model, else a ~4,000-gate random network) with >= 10,000 vectors,
and the Icarus Verilog path."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from lgnhw.randnet import random_dag, random_layered
from lgnhw.verify import build, simulators

from .helpers import assert_clean, random_bits

N_VECTORS = 10_000


def _bundled_digits():
    """(net, encoded digit vectors) for lgnhw/data/digits.lgn, or None when it is not bundled."""
    ref = resources.files("lgnhw.data") / "digits.lgn"
    if not ref.is_file():
        return None
    from lgnhw.formats import load_model
    from lgnhw.golden import encode_inputs
    with resources.as_file(ref) as path:
        net = load_model(path)
    sklearn = pytest.importorskip("sklearn.datasets")
    x, _ = sklearn.load_digits(return_X_y=True)
    return net, encode_inputs(net, x)


def test_model_10k_vectors(rtl_dir):
    bundled = _bundled_digits()
    if bundled is None:
        net = random_layered(256, [1000, 1000, 1000, 1000], 10, seed=4)
        bits = random_bits(N_VECTORS, 256, seed=4)
    else:
        net, digits = bundled
        extra = random_bits(max(0, N_VECTORS - digits.shape[0]), net.num_inputs, seed=4)
        bits = np.concatenate([digits, extra])
    assert net.num_gates >= 1000 and bits.shape[0] >= N_VECTORS
    sim = build(net, pipeline_every=1, work_dir=rtl_dir / "model")
    result = sim.run(bits, modes=("stream", "stream_random", "backpressure"), percycle_vectors=1000)
    assert_clean(result)
    assert result["vectors"] == bits.shape[0]
    assert result["latency_cycles"] == sim.latency > 0


@pytest.mark.skipif(not simulators.have_icarus(), reason="Icarus Verilog (iverilog) is not installed")
def test_icarus_small_core(rtl_dir):
    net = random_dag(8, 60, 12, 3, seed=8, const_prob=0.05, bias_max=2)
    sim = build(net, simulator="icarus", pipeline_every=2, work_dir=rtl_dir / "icarus")
    result = sim.run(random_bits(500, 8, seed=1), modes=("stream", "stream_random", "backpressure", "bubbles"),
                     percycle_vectors=300)
    assert_clean(result)
    assert result["simulator"] == "icarus"


def test_icarus_absent_is_a_clear_error():
    if simulators.have_icarus():
        pytest.skip("Icarus is installed")
    from lgnhw.errors import ToolError
    with pytest.raises(ToolError, match="iverilog"):
        simulators.prepare("icarus")
