"""The trainer, the data set loader and the bundled digits model."""

import importlib.resources
import json
import subprocess
import sys

import numpy as np
import pytest

from lgnhw import golden, ops
from lgnhw.datasets import load_dataset, load_npz
from lgnhw.errors import FormatError, LgnhwError
from lgnhw.formats import read_lgn

# Python prelude for a child process in which `import torch` fails, as without the extra.
HIDE_TORCH = (
    "import sys, importlib.abc\n"
    "class _NoTorch(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch' or name.startswith('torch.'):\n"
    "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
    "sys.meta_path.insert(0, _NoTorch())\n")

BUNDLED = importlib.resources.files("lgnhw.data") / "digits.lgn"


def _blobs(n=240, features=4, classes=2, seed=0):
    """An easy, linearly separable data set."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.normal(size=(n, features)) + 3.0 * y[:, None]
    return x, y


# -- data sets (no torch needed) ---------------------------------------------------

def test_npz_split_is_seeded_and_disjoint(tmp_path):
    x, y = _blobs()
    x[:, 0] = np.arange(len(x))          # make every row identifiable
    path = tmp_path / "d.npz"
    np.savez(path, X=x, y=y)
    d1, d2 = load_npz(path, seed=3), load_npz(path, seed=3)
    assert np.array_equal(d1.x_test, d2.x_test)
    assert len(d1.y_test) == 48 and len(d1.y_train) == 192
    seen = np.concatenate([d1.x_train[:, 0], d1.x_test[:, 0]])
    assert sorted(seen) == list(range(240))
    assert d1.num_classes == 2 and d1.name == "d"


def test_npz_explicit_test_split(tmp_path):
    x, y = _blobs()
    path = tmp_path / "d.npz"
    np.savez(path, X=x, y=y, X_test=x[:10], y_test=y[:10])
    d = load_npz(path)
    assert np.array_equal(d.x_train, x) and np.array_equal(d.y_test, y[:10])


@pytest.mark.parametrize("arrays, words", [
    ({"X": np.zeros((5, 2))}, "'y' is missing"),
    ({"X": np.zeros(5), "y": np.zeros(5, int)}, "expected (N, F)"),
    ({"X": np.zeros((5, 2)), "y": np.zeros(4, int)}, "to match the features"),
    ({"X": np.zeros((5, 2)), "y": np.array([0, 1, -1, 0, 1])}, "negative labels"),
    ({"X": np.zeros((5, 2)), "y": np.array([0, 1, 0.5, 0, 1])}, "non-integer labels"),
    ({"X": np.full((5, 2), np.nan), "y": np.zeros(5, int)}, "NaN"),
    ({"X": np.zeros((5, 2)), "y": np.zeros(5, int), "X_test": np.zeros((2, 3)),
      "y_test": np.zeros(2, int)}, "X_test has 3 features"),
    ({"X": np.zeros((5, 2)), "y": np.zeros(5, int)}, "only one class"),
])
def test_bad_npz_raises_format_error(tmp_path, arrays, words):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(FormatError) as info:
        load_npz(path)
    assert words in str(info.value) and "bad.npz" in str(info.value)


def test_unreadable_dataset_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not numpy")
    with pytest.raises(FormatError, match="junk.npz: cannot read"):
        load_dataset(str(junk))
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(FormatError, match="single .npy array"):
        load_dataset(str(single))
    pickled = tmp_path / "obj.npz"
    np.savez(pickled, X=np.array([{"a": 1}], dtype=object), y=np.zeros(1, int))
    with pytest.raises(FormatError, match="obj.npz"):
        load_dataset(str(pickled))
    with pytest.raises(FormatError, match="no such file"):
        load_dataset(str(tmp_path / "missing.npz"))


def test_digits_split_is_fixed():
    pytest.importorskip("sklearn")
    a, b = load_dataset("digits", seed=1), load_dataset("digits", seed=2)
    assert np.array_equal(a.x_test, b.x_test)
    assert a.x_train.shape == (1347, 64) and a.x_test.shape == (450, 64)
    assert sorted(np.unique(a.y_test)) == list(range(10))


# -- the relaxation (torch) --------------------------------------------------------

def _difflogic_bin_op(a, b, i):
    """difflogic functional.bin_op, written out independently as the reference."""
    return [0 * a, a * b, a - a * b, a, b - a * b, b, a + b - 2 * a * b, a + b - a * b,
            1 - (a + b - a * b), 1 - (a + b - 2 * a * b), 1 - b, 1 - b + a * b, 1 - a,
            1 - a + a * b, 1 - a * b, 0 * a + 1][i]


def test_relaxation_matches_difflogic_and_ops():
    from lgnhw.train import _relaxation_matrix
    m = _relaxation_matrix()
    rng = np.random.default_rng(0)
    a, b = rng.random(50), rng.random(50)
    for i in range(16):
        mine = m[i, 0] + m[i, 1] * a + m[i, 2] * b + m[i, 3] * a * b
        assert np.allclose(mine, _difflogic_bin_op(a, b, i)), ops.name(i)
        for x in (0, 1):
            for y in (0, 1):
                assert m[i] @ (1, x, y, x * y) == ops.evaluate(i, x, y)


def test_random_wiring_uses_every_input():
    from lgnhw.train import random_wiring
    a, b = random_wiring(np.random.default_rng(0), 30, 20)
    assert a.shape == b.shape == (20,)
    used = np.bincount(np.concatenate([a, b]), minlength=30)
    assert used.min() >= 1 and used.max() <= 2


# -- training (torch) --------------------------------------------------------------

def test_tiny_training_run_exports_the_trained_function(tmp_path):
    torch = pytest.importorskip("torch")
    from lgnhw.train import TrainConfig, train_to_file, _build_model, _eval_predictions
    x, y = _blobs(n=300, features=5, classes=3, seed=1)
    data = tmp_path / "blobs.npz"
    np.savez(data, X=x, y=y)
    out = tmp_path / "m.lgn"
    cfg = TrainConfig(layers=(24, 24, 12), thermometer=3, tau=2.0, epochs=30, seed=5, lr=0.05)
    summary = train_to_file(str(data), out, cfg, progress=False)
    net = read_lgn(out).check()
    assert summary["gates"] == net.num_gates == 60
    assert net.num_inputs == 15 and net.num_classes == 3 and net.tau == 2.0
    assert net.thresholds.shape == (5, 3)
    assert net.meta["source"] == "lgnhw-train" and net.meta["layers"] == "24 24 12"
    assert net.meta["seed"] == "5" and net.meta["dataset"] == "blobs"

    # Rebuild the torch model from scratch with the exported ops: its eval-mode
    # predictions must match the golden model's sample for sample.
    d = load_npz(data, seed=5)
    model = _build_model(torch, 15, (24, 24, 12), 3, 2.0, 5)
    layer_ops = np.split(net.op, [24, 48])
    with torch.no_grad():
        for w, op in zip(model.weights, layer_ops):
            w.copy_(torch.nn.functional.one_hot(torch.from_numpy(op.astype(np.int64)), 16) * 10.0)
    for x_split, y_split, key in ((d.x_test, d.y_test, "test_accuracy"),
                                  (d.x_train, d.y_train, "train_accuracy")):
        bits = golden.encode_inputs(net, x_split)
        torch_pred = _eval_predictions(torch, model, bits)
        counts, pred = golden.predict(net, bits)
        assert np.array_equal(pred, torch_pred)
        assert np.mean(pred == y_split) == summary[key]
        with torch.no_grad():
            sums = model(torch.from_numpy(bits.astype(np.float32))).numpy()
        assert np.array_equal(sums, counts)
    assert summary["test_accuracy"] > 0.8      # easy separable data

    # Same inputs and settings -> byte-identical model file.
    out2 = tmp_path / "m2.lgn"
    train_to_file(str(data), out2, cfg, progress=False)
    assert out.read_bytes() == out2.read_bytes()


def test_train_rejects_bad_settings(tmp_path):
    pytest.importorskip("torch")
    from lgnhw.train import TrainConfig, train_to_file
    x, y = _blobs(n=40, classes=3)
    data = tmp_path / "d.npz"
    np.savez(data, X=x, y=y)
    with pytest.raises(LgnhwError, match="last layer width 10 must be divisible by the 3 classes"):
        train_to_file(str(data), tmp_path / "m.lgn", TrainConfig(layers=(10,), epochs=1))
    with pytest.raises(LgnhwError, match="--tau"):
        train_to_file(str(data), tmp_path / "m.lgn", TrainConfig(layers=(12,), tau=0, epochs=1))
    assert not (tmp_path / "m.lgn").exists()


def test_train_without_torch_gives_install_hint():
    # A child process where importing torch fails, as if the extra were absent.
    code = (HIDE_TORCH +
            "import lgnhw, lgnhw.train\n"
            "from lgnhw.datasets import Dataset\n"
            "import numpy as np\n"
            "d = Dataset('x', np.zeros((4, 1)), np.array([0, 1, 0, 1]), np.zeros((2, 1)), np.array([0, 1]), 2)\n"
            "try:\n"
            "    lgnhw.train.train(d)\n"
            "except lgnhw.LgnhwError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "lgnhw train needs PyTorch (the 'train' extra): pip install 'lgnhw[train]'"


def test_import_lgnhw_does_not_import_torch():
    code = "import sys, lgnhw, lgnhw.train, lgnhw.datasets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the bundled model ---------------------------------------------------------------

def test_bundled_digits_model():
    pytest.importorskip("sklearn")
    net = read_lgn(BUNDLED).check()
    assert net.meta["source"] == "lgnhw-train" and net.meta["dataset"] == "digits"
    assert net.num_classes == 10 and net.thresholds.shape[0] == 64
    assert 1500 <= net.num_gates <= 2500
    d = load_dataset("digits")
    assert int(net.meta["test_samples"]) == len(d.y_test)
    _, pred = golden.predict(net, golden.encode_inputs(net, d.x_test))
    assert np.mean(pred == d.y_test) == float(net.meta["test_accuracy"])
    assert float(net.meta["test_accuracy"]) >= 0.85


# -- the command line --------------------------------------------------------------

def test_cli_train_json(tmp_path, capsys):
    pytest.importorskip("torch")
    from lgnhw.cli import main
    x, y = _blobs(n=100, features=3, classes=2)
    data = tmp_path / "d.npz"
    np.savez(data, X=x, y=y)
    out = tmp_path / "m.lgn"
    rc = main(["train", "--dataset", str(data), "--layers", "16", "8", "--thermometer", "2",
               "--tau", "1", "--epochs", "2", "--seed", "1", "-o", str(out), "--json"])
    assert rc == 0
    result = json.loads(capsys.readouterr().out)
    net = read_lgn(out)
    assert result["gates"] == net.num_gates == 24 and result["output"] == str(out)
    assert result["test_accuracy"] == float(net.meta["test_accuracy"])
    assert 0 <= result["train_accuracy"] <= 1 and result["seconds"] >= 0


def test_cli_train_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    cmd = [sys.executable, "-m", "lgnhw.cli", "train", "--dataset", str(bad), "-o", str(tmp_path / "m.lgn")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    import importlib.util
    if importlib.util.find_spec("torch") is not None:   # without torch the install hint comes first
        assert out.stderr.startswith(f"lgnhw: error: {bad}: cannot read")
    # Without torch: a one-line install hint (torch hidden from the child process).
    code = (HIDE_TORCH +
            "from lgnhw.cli import main\n"
            f"sys.exit(main(['train', '-o', {str(tmp_path / 'm.lgn')!r}]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == "lgnhw: error: lgnhw train needs PyTorch (the 'train' extra): pip install 'lgnhw[train]'\n"
    assert not (tmp_path / "m.lgn").exists()
