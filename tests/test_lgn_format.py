import io
import json
import zipfile

import numpy as np
import pytest

from lgnhw import FormatError, Netlist, load_model, write_lgn
from lgnhw.randnet import random_dag


def sample():
    net = random_dag(4, 50, 6, 3, seed=1, bias_max=2)
    return net.replace(thresholds=np.linspace(0, 1, 4).reshape(2, 2), tau=12.5,
                       meta={"source": "test", "name": "x"})


def test_roundtrip_is_lossless_and_deterministic(tmp_path):
    net = sample()
    write_lgn(net, tmp_path / "a.lgn")
    write_lgn(net, tmp_path / "b.lgn")
    assert (tmp_path / "a.lgn").read_bytes() == (tmp_path / "b.lgn").read_bytes()
    back = load_model(tmp_path / "a.lgn")
    for name in ("op", "a", "b", "outputs", "bias", "thresholds"):
        assert np.array_equal(getattr(back, name), getattr(net, name)), name
    assert (back.num_inputs, back.num_classes, back.tau, back.meta) == \
        (net.num_inputs, net.num_classes, net.tau, net.meta)


def rewrite_member(src, dst, name, data):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            if item.filename == name:
                if data is not None:
                    zout.writestr(name, data)
            else:
                zout.writestr(item, zin.read(item.filename))


def npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.lgn"
    write_lgn(sample(), path)
    return path


def header_with(good, **changes):
    with zipfile.ZipFile(good) as z:
        h = json.loads(z.read("lgnhw.json"))
    h.update(changes)
    return json.dumps(h)


@pytest.mark.parametrize("case, message", [
    ("truncated", "truncated or corrupt"),
    ("version", "unsupported .lgn version 99"),
    ("missing_array", "member op.npy is missing"),
    ("wrong_dtype", "array 'a' has dtype int64, expected int32"),
    ("out_of_range", "out of range"),
    ("cycle", "not earlier in topological order"),
    ("classes", "cannot be split into 4 equal class groups"),
    ("pickled", "malformed .lgn content"),
    ("nan_thresholds", "thresholds contain NaN"),
    ("empty", "file is empty"),
])
def test_malformed_files_are_refused(good, tmp_path, case, message):
    bad = tmp_path / "bad.lgn"
    net = sample()
    if case == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif case == "version":
        rewrite_member(good, bad, "lgnhw.json", header_with(good, version=99))
    elif case == "missing_array":
        rewrite_member(good, bad, "op.npy", None)
    elif case == "wrong_dtype":
        rewrite_member(good, bad, "a.npy", npy(net.a.astype(np.int64)))
    elif case == "out_of_range":
        rewrite_member(good, bad, "outputs.npy", npy(np.full(6, 10_000, dtype=np.int32)))
    elif case == "cycle":
        b = net.b.copy()
        b[3] = net.first_gate + 10
        rewrite_member(good, bad, "b.npy", npy(b))
    elif case == "classes":
        rewrite_member(good, bad, "lgnhw.json", header_with(good, num_classes=4))
    elif case == "pickled":
        rewrite_member(good, bad, "op.npy", npy(np.array([object()] * 50, dtype=object)))
    elif case == "nan_thresholds":
        rewrite_member(good, bad, "thresholds.npy", npy(np.full((2, 2), np.nan)))
    elif case == "empty":
        bad.write_bytes(b"")
    with pytest.raises(FormatError) as err:
        load_model(bad)
    text = str(err.value)
    assert text.startswith(str(bad)) and message in text and "\n" not in text


def test_failed_write_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "m.lgn"
    write_lgn(sample(), path)
    before = path.read_bytes()
    broken = Netlist(2, [1], [2], [9], [4], 1)  # reads a later signal: check() refuses
    with pytest.raises(Exception):
        write_lgn(broken, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.lgn"]


def test_unknown_format_named(tmp_path):
    p = tmp_path / "model.lgn"
    p.write_text("hello")
    with pytest.raises(FormatError, match="unrecognised model format"):
        load_model(p)
