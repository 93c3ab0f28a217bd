"""Trained models in difflogic's checkpoint format: optimise, predict, compare.

The bundled digits model and the 4k benchmark model (trained by lgnhw's
difflogic-compatible trainer) are rebuilt as difflogic ``torch.nn.Sequential``
models (one-hot gate weights, the same wiring), saved with ``torch.save`` and
loaded back through the restricted unpickler. Predictions before and after
optimisation must agree exactly with difflogic's eval-mode forward.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lgnhw import encode_inputs, load_model, optimize, predict  # noqa: E402
from lgnhw.datasets import load_dataset  # noqa: E402
from lgnhw.netlist import FIRST_INPUT  # noqa: E402

import difflogic_fixtures as fx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = [ROOT / "lgnhw" / "data" / "digits.lgn", ROOT / "benchmarks" / "models" / "digits4k.lgn"]


def as_difflogic(net):
    """The layered .lgn as a difflogic Sequential (eval mode)."""
    widths = [int(w) for w in net.meta["layers"].split()]
    layers, prev_base, prev_width, g = [], FIRST_INPUT, net.num_inputs, 0
    for w in widths:
        layer = fx.LogicLayer(prev_width, w)
        with torch.no_grad():
            layer.weights.copy_(torch.nn.functional.one_hot(
                torch.from_numpy(net.op[g:g + w].astype(np.int64)), 16).float())
        layer.indices = (torch.from_numpy(net.a[g:g + w].astype(np.int64) - prev_base),
                         torch.from_numpy(net.b[g:g + w].astype(np.int64) - prev_base))
        layers.append(layer)
        prev_base, prev_width, g = net.first_gate + g, w, g + w
    layers.append(fx.GroupSum(net.num_classes, net.tau))
    return torch.nn.Sequential(*layers).eval()


@pytest.fixture(scope="module")
def digits_bits():
    return load_dataset("digits")


@pytest.fixture(autouse=True)
def fake_difflogic(monkeypatch):
    """Make difflogic's module path importable for torch.save (difflogic needs CUDA to install)."""
    for name, mod in fx.fake_difflogic_modules().items():
        monkeypatch.setitem(sys.modules, name, mod)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_trained_checkpoint_optimises_without_changing_predictions(path, tmp_path, digits_bits):
    lgn = load_model(path)
    ckpt = fx.save(as_difflogic(lgn), tmp_path / "model.pt")
    net = load_model(ckpt)
    assert np.array_equal(net.op, lgn.op) and np.array_equal(net.outputs, lgn.outputs)

    bits = np.concatenate([
        encode_inputs(lgn, digits_bits.x_test),
        np.random.default_rng(0).integers(0, 2, (4_000, net.num_inputs), dtype=np.uint8)])
    ref_counts, ref_pred = fx.reference_forward(as_difflogic(lgn), torch.from_numpy(bits.astype(np.float32)))
    counts, pred = predict(net, bits)
    assert np.array_equal(counts, ref_counts) and np.array_equal(pred, ref_pred)

    opt, report = optimize(net, check=True)
    counts_opt, pred_opt = predict(opt, bits)
    assert np.array_equal(counts_opt, counts) and np.array_equal(pred_opt, pred)
    # Trained LGNs carry many wires, constants and duplicates: measured 53.6% /
    # 53.5% kept for these two models (README); guard against regressions.
    assert opt.num_gates <= 0.55 * net.num_gates
    assert sum(p["gates_removed"] for p in report) == net.num_gates - opt.num_gates
