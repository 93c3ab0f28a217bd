"""The lgnhw command, run as users run it (a subprocess): JSON contract and errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from lgnhw import write_lgn
from lgnhw.randnet import random_dag, random_layered


def lgnhw(*args):
    return subprocess.run([sys.executable, "-m", "lgnhw.cli", *map(str, args)],
                          capture_output=True, text=True)


def ok_json(*args):
    res = lgnhw(*args, "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.lgn"
    write_lgn(random_layered(24, [300, 300, 200], 10, seed=4), path)
    return path


def test_inspect_json(model):
    info = ok_json("inspect", model)
    assert info["format"] == "lgn"
    assert (info["inputs"], info["gates"], info["classes"], info["depth"]) == (24, 800, 10, 3)
    assert sum(info["ops"].values()) == 800


def test_optimize_then_predict_agree(model, tmp_path):
    out = tmp_path / "opt.lgn"
    res = ok_json("optimize", model, "-o", out)
    assert res["gates_before"] == 800 and 0 < res["gates_after"] < 800
    assert {p["name"] for p in res["passes"]} == {"dead_gates", "const_fold", "passthrough", "strash", "collapse"}
    assert sum(p["gates_removed"] for p in res["passes"]) == 800 - res["gates_after"]
    x = np.random.default_rng(0).integers(0, 2, (3000, 24), dtype=np.uint8)
    np.save(tmp_path / "x.npy", x)
    for m, p in ((model, "p0.npz"), (out, "p1.npz")):
        assert ok_json("predict", m, "--inputs", tmp_path / "x.npy", "--out", tmp_path / p)["n"] == 3000
    p0, p1 = np.load(tmp_path / "p0.npz"), np.load(tmp_path / "p1.npz")
    assert p0["counts"].shape == (3000, 10)
    assert np.array_equal(p0["counts"], p1["counts"]) and np.array_equal(p0["pred"], p1["pred"])


def test_human_output_is_a_table(model):
    res = lgnhw("inspect", model)
    assert res.returncode == 0 and "gates" in res.stdout and "{" not in res.stdout


def assert_one_line_error(res, path, words):
    assert res.returncode == 2                  # an error; 1 is kept for "not equivalent"/mismatches
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert str(path) in lines[0] and words in lines[0] and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_missing_model(tmp_path):
    assert_one_line_error(lgnhw("inspect", tmp_path / "nope.lgn"), tmp_path / "nope.lgn", "cannot read")


def test_truncated_model(model, tmp_path):
    bad = tmp_path / "bad.lgn"
    bad.write_bytes(model.read_bytes()[:300])
    assert_one_line_error(lgnhw("optimize", bad, "-o", tmp_path / "o.lgn"), bad, "truncated")
    assert not (tmp_path / "o.lgn").exists()


def test_predict_bad_inputs(model, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((5, 3)))
    assert_one_line_error(lgnhw("predict", model, "--inputs", tmp_path / "x.npy", "--out", tmp_path / "p.npz"),
                          tmp_path / "x.npy", "expected (N, 24)")
    np.save(tmp_path / "y.npy", np.full((5, 24), 2))
    assert_one_line_error(lgnhw("predict", model, "--inputs", tmp_path / "y.npy", "--out", tmp_path / "p.npz"),
                          tmp_path / "y.npy", "other than 0 and 1")
    (tmp_path / "z.npy").write_bytes(b"garbage")
    assert_one_line_error(lgnhw("predict", model, "--inputs", tmp_path / "z.npy", "--out", tmp_path / "p.npz"),
                          tmp_path / "z.npy", "cannot read")
    assert not (tmp_path / "p.npz").exists()


def test_outputs_are_byte_identical(model, tmp_path):
    for name in ("a.lgn", "b.lgn"):
        ok_json("optimize", model, "-o", tmp_path / name)
    assert (tmp_path / "a.lgn").read_bytes() == (tmp_path / "b.lgn").read_bytes()


def test_dag_with_bias_survives_cli_roundtrip(tmp_path):
    net = random_dag(6, 100, 12, 4, seed=9, const_prob=0.1, bias_max=3)
    write_lgn(net, tmp_path / "d.lgn")
    res = ok_json("optimize", tmp_path / "d.lgn", "-o", tmp_path / "e.lgn")
    assert res["gates_after"] <= res["gates_before"]


def test_output_into_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    import os
    import sys
    from lgnhw.cli import main
    r, w = os.pipe()
    os.close(r)                                   # the reader (e.g. `head`) is gone
    with capsys.disabled():
        out = os.fdopen(w, "w", buffering=1)       # line-buffered like a terminal: print writes
        monkeypatch.setattr(sys, "stdout", out)
        assert main(["boards"]) == 141
        monkeypatch.undo()
        out.close()                               # stdout now points at /dev/null: no second error


def test_version_and_inspect_shows_tau_and_encoding(capsys):
    import lgnhw.cli as cli
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("lgnhw ")
    from lgnhw.build import default_model_path
    from importlib import resources
    with resources.as_file(default_model_path()) as model:
        assert cli.main(["inspect", str(model), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["tau"] == 3.0
    assert rep["encoding"] == {"kind": "thermometer", "features": 64, "thresholds_per_feature": 2}


def test_sim_names_the_bad_values(tmp_path, capsys):
    import lgnhw.cli as cli
    net = random_layered(8, [16, 6], 3, seed=3)
    write_lgn(net, tmp_path / "m.lgn")
    x = np.zeros((4, 8), dtype=np.int64)
    x[1, 2], x[3, 0] = 2, 7
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["sim", str(tmp_path / "m.lgn"), "--inputs", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "values other than 0 and 1" in err and "2, 7" in err and "x.npy" in err


@pytest.mark.parametrize("ext", ["aag", "blif"])
def test_export_then_inspect_keeps_the_gates(model, tmp_path, ext):
    """Readers load a file as it is (no optimisation on load): the re-imported export holds
    exactly the gates the file spells out."""
    from lgnhw.formats import load_model
    net = load_model(model)
    out = tmp_path / f"m.{ext}"
    assert ok_json("export", model, "-o", out)["gates"] == net.num_gates == 800
    info = ok_json("inspect", out)
    if ext == "blif":
        # every gate is a .names cover, except constants (covers without inputs, not gates),
        # plus one buffer cover per output
        constants = int(np.isin(net.op, (0, 15)).sum())
        assert info["gates"] == net.num_gates - constants + net.num_outputs
    else:
        # AIGER holds AND gates: the ANDs of its header, plus a NOT per inverted output
        ands = int(out.read_text().split("\n", 1)[0].split()[5])
        assert ands <= info["gates"] <= ands + net.num_outputs
