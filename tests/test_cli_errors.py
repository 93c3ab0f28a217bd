"""One error path in the CLI: every bad argument or unwritable output is one stderr line and
exit 2, nothing half-written; progress lines on stderr (or none with --quiet)."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lgnhw import write_lgn
from lgnhw.fileio import atomic_open, clean_stale_temporaries
from lgnhw.progress import Progress
from lgnhw.randnet import random_layered


def lgnhw(*args, **kw):
    return subprocess.run([sys.executable, "-m", "lgnhw.cli", *map(str, args)],
                          capture_output=True, text=True, **kw)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.lgn"
    write_lgn(random_layered(16, [60, 40], 4, seed=1), path)
    return path


def one_line_error(res):
    assert res.returncode == 2, (res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


@pytest.mark.parametrize("args", [
    ["emit", "{m}", "-o", "{t}/x.v", "--pipeline-every", str(10**30)],
    ["emit", "{m}", "-o", "{t}/x.v", "--pipeline-every", "-1"],
    ["sim", "{m}", "--random", str(10**8)],
    ["sim", "{m}", "--random", "0"],
    ["equiv", "{m}", "{m}", "--vectors", "-1"],
    ["equiv", "{m}", "{m}", "--timeout", "-1"],
    ["equiv", "{m}", "{m}", "--timeout", "nan"],
    ["build", "{m}", "--board", "ice40", "--seed", "x"],
    ["report", "{m}", "--device", "lut6", "--freq", "1e400"],
])
def test_bad_numbers_are_one_line(model, tmp_path, args):
    line = one_line_error(lgnhw(*[a.format(m=model, t=tmp_path) for a in args]))
    assert "error" in line


@pytest.mark.parametrize("command", ["optimize", "export", "predict", "emit"])
def test_unwritable_outputs_are_one_line(model, tmp_path, command):
    np.save(tmp_path / "x.npy", np.zeros((2, 16), dtype=np.uint8))
    suffix = {"optimize": "o.lgn", "export": "o.blif", "predict": "o.npz", "emit": "o.v"}[command]
    extra = ["--inputs", tmp_path / "x.npy"] if command == "predict" else []
    flag = "--out" if command == "predict" else "-o"
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o555)
    try:
        targets = {"missing folder": tmp_path / "nope" / suffix, "a directory": tmp_path}
        if os.geteuid() != 0:                       # root writes into read-only folders anyway
            targets["read-only folder"] = tmp_path / "ro" / suffix
        for why, target in targets.items():
            line = one_line_error(lgnhw(command, model, flag, target, *extra))
            assert str(target) in line, (why, line)
    finally:
        os.chmod(tmp_path / "ro", 0o755)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_device_targets_are_written_not_replaced(model):
    res = lgnhw("optimize", model, "-o", os.devnull, "--json")
    assert res.returncode == 0, res.stderr
    assert not os.path.isfile(os.devnull)            # still the device node


def test_build_output_onto_a_file(model, tmp_path):
    (tmp_path / "f").write_text("x")
    line = one_line_error(lgnhw("build", model, "--board", "ice40", "-o", tmp_path / "f"))
    assert "not a folder" in line


@pytest.mark.parametrize("array, words", [
    (np.zeros((3, 16), dtype=np.complex64), "complex"),
    (np.zeros(3, dtype=[("a", "u1"), ("b", "f4")]), "plain"),
])
def test_npy_of_the_wrong_kind(model, tmp_path, array, words):
    np.save(tmp_path / "x.npy", array)
    line = one_line_error(lgnhw("predict", model, "--inputs", tmp_path / "x.npy", "--out", tmp_path / "p.npz"))
    assert "x.npy" in line


def test_npy_header_larger_than_the_file(model, tmp_path):
    from numpy.lib import format as npy
    with open(tmp_path / "x.npy", "wb") as f:
        npy.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (10**6, 10**6)})
    line = one_line_error(lgnhw("predict", model, "--inputs", tmp_path / "x.npy", "--out", tmp_path / "p.npz"))
    assert "more data than the file holds" in line


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".tmp-lgnhw-{dead}-abc-out.lgn"
    live = tmp_path / f".tmp-lgnhw-{os.getpid()}-abc-out.lgn"
    other = tmp_path / ".tmp-someone-else"
    for p in (stale, live, other):
        p.write_text("x")
    with atomic_open(tmp_path / "out.lgn", "w") as f:
        f.write("done")
    assert not stale.exists() and live.exists() and other.exists()
    assert (tmp_path / "out.lgn").read_text() == "done"
    assert clean_stale_temporaries(tmp_path) == 0


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    """SIGTERM during a long command: one line, exit 143, no temporary file left."""
    big = tmp_path / "big.lgn"
    write_lgn(random_layered(64, [20_000] * 4, 10, seed=2), big)
    proc = subprocess.Popen([sys.executable, "-m", "lgnhw.cli", "emit", str(big), "-o", str(tmp_path / "x.v"),
                             "--backend", "amaranth"], stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "lgnhw: terminated"
    assert not list(tmp_path.glob(".tmp-*")) and not (tmp_path / "x.v").exists()


# -- progress -------------------------------------------------------------------------------

def test_progress_lines_when_stderr_is_not_a_terminal(model, tmp_path):
    """Plain lines for steps still running after a second; quick steps stay silent, so an
    early error is the only stderr line (see the one-line tests above)."""
    out = io.StringIO()
    with Progress(stream=out, min_seconds=0.05) as say:
        say("quick step")
        say("slow step")
        time.sleep(0.4)
        say("last step")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"lgnhw: \[ *\d+\.\d s\] slow step", lines[0]), lines
    res = lgnhw("emit", model, "-o", tmp_path / "x.v")            # all steps well under a second
    assert res.returncode == 0 and res.stderr == ""
    quiet = Progress(stream=io.StringIO(), quiet=True, min_seconds=0)
    quiet("a step")
    quiet.close()
    assert quiet.stream.getvalue() == ""


def test_live_progress_redraws_and_clears():
    class Tty(io.StringIO):
        def isatty(self):
            return True
    out = Tty()
    with Progress(stream=out, refresh=0.02) as say:
        say("synthesis")
        time.sleep(0.2)
        say("place and route")
        time.sleep(0.1)
    text = out.getvalue()
    assert text.count("\r\x1b[K") > 5                     # redrawn while nothing else happens
    assert "synthesis" in text and "place and route" in text
    assert text.endswith("\r\x1b[K")                      # the live line is gone at the end
    quiet = Tty()
    with Progress(stream=quiet, quiet=True) as say:
        say("synthesis")
    assert quiet.getvalue() == ""
