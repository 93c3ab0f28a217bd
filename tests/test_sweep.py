"""`lgnhw sweep`: points, store and resume, Pareto fronts, plots, and real sweeps on Dask.

The real sweeps place and route on the UP5K (board ``ice40``) with the YoWASP
tools: a small random model (about 25 s a build here) for the cluster
tests, and the bundled digits model (about 95 s a build) for the issue's
2 seeds x 2 K sweep on a LocalCluster, marked ``slow``. Clusters listen on
127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from lgnhw.errors import LgnhwError
from lgnhw.formats import write_lgn
from lgnhw.randnet import random_layered
from lgnhw.sweep import REPORT_KEYS, VOLATILE_KEYS, Point, best, front, grid
from lgnhw.sweep.points import failure_point

distributed = pytest.importorskip("distributed")
pytest.importorskip("matplotlib")


def _have_yowasp() -> bool:
    from lgnhw import tools
    from lgnhw.errors import ToolError
    try:
        tools.find_all(("yosys", "nextpnr-ice40", "icepack"))
        return True
    except ToolError:
        return False


needs_tools = pytest.mark.skipif(not _have_yowasp(), reason="YoWASP yosys/nextpnr-ice40 not installed")
SWEEP = ("--board", "ice40", "--pipeline-every", "1", "2", "--seeds", "1", "2")


def lgnhw(*args, timeout=1800):
    return subprocess.run([sys.executable, "-m", "lgnhw", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def sweep_json(*args) -> dict:
    res = lgnhw("sweep", *args, "--json", "-q")
    assert res.returncode == 0, res.stderr
    assert res.stderr == "", res.stderr
    return json.loads(res.stdout)


def comparable(summary: dict) -> list[dict]:
    """The result table without what depends on where and how fast a point ran."""
    return [{k: v for k, v in r.items() if k not in VOLATILE_KEYS} for r in summary["points"]]


def bitstreams(summary: dict) -> dict[str, bytes]:
    return {f"{r['board']}-k{r['pipeline_every']}-s{r['seed']}": open(r["bitstream"], "rb").read()
            for r in summary["points"] if r["status"] == "ok"}


def assert_one_line_error(res, *words):
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], lines[0]


# -- hand-made points: fronts, best, plots ------------------------------------------------

def _row(board, k, seed, cells, fmax, latency, target=60.0, **extra):
    row = dict.fromkeys(REPORT_KEYS)
    row.update(board=board, device="iCE40UP5K", pipeline_every=k, seed=seed, status="ok", logic_cells=cells,
               fmax_mhz={"clk": fmax}, latency_cycles=latency, target_mhz=target, timing_met=fmax >= target,
               breakdown={"gate_layers": {"luts": cells // 2, "ffs": cells // 3, "carries": 0, "brams": 0},
                          "shell": {"luts": cells // 4, "ffs": cells // 5, "carries": 0, "brams": 0}})
    row.update(extra)
    return row


HAND = [
    _row("a", 1, 1, 500, 70.0, 9),     # front (fewest cells at 70)
    _row("a", 1, 2, 500, 72.0, 9),     # dominates a-1-1: same cells, faster
    _row("a", 2, 1, 450, 65.0, 7),     # front: fewest cells
    _row("a", 2, 2, 480, 64.0, 7),     # dominated by a-2-1
    _row("a", 3, 1, 600, 90.0, 6),     # front: fastest; also the lowest latency
    _row("a", 3, 2, 420, 55.0, 6),     # front (fewest cells) but misses the 60 MHz target
    _row("b", 1, 1, 900, 50.0, 12),    # other board: its own front, no point meets its target
    _row("b", 2, 1, 800, 55.0, 10),
    failure_point(Point("b", 3, 1), "no_fit", "design does not fit"),
]


def _names(rows):
    return [f"{r['board']}-k{r['pipeline_every']}-s{r['seed']}" for r in rows]


def test_pareto_front_of_fmax_against_cells_is_per_board():
    assert _names(front(HAND)) == ["a-k1-s2", "a-k2-s1", "a-k3-s1", "a-k3-s2", "b-k2-s1"]


def test_pareto_front_of_fmax_against_latency():
    assert _names(front(HAND, key="latency_cycles")) == ["a-k3-s1", "b-k2-s1"]


def test_equal_points_are_both_on_the_front():
    rows = [_row("a", 1, 1, 500, 70.0, 9), _row("a", 1, 2, 500, 70.0, 9)]
    assert _names(front(rows)) == ["a-k1-s1", "a-k1-s2"]


def test_best_meets_timing_with_fewest_cells_else_fastest():
    picks = best(HAND)
    assert list(picks) == ["a", "b"]
    assert _names([picks["a"]]) == ["a-k2-s1"]      # 450 cells at 65 MHz; a-k3-s2 is smaller but too slow
    assert _names([picks["b"]]) == ["b-k2-s1"]      # nothing meets 60 MHz: the fastest
    assert best([HAND[-1]]) == {}


def test_plots_are_written_as_png_and_svg_and_byte_identical(tmp_path):
    from lgnhw.sweep.plots import write_plots
    paths = []
    for sub in ("one", "two"):
        (tmp_path / sub).mkdir()
        paths.append(write_plots(HAND, best(HAND), tmp_path / sub))
    assert [os.path.basename(p) for p in paths[0]] == ["pareto.png", "pareto.svg", "breakdown.png", "breakdown.svg"]
    for a, b in zip(*paths):
        assert open(a, "rb").read() == open(b, "rb").read(), a
    assert open(paths[0][0], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in open(paths[0][1], "rb").read()
    assert write_plots([HAND[-1]], {}, tmp_path) == []          # nothing built, nothing to plot


# -- points and bad sweeps ------------------------------------------------------------

def test_grid_is_sorted_whatever_the_order_given():
    pts = grid(["hx8k", "ice40"], [2, 1], [3, 1])
    assert pts == sorted(pts) and len(pts) == 8
    assert pts[0] == Point("hx8k", 1, 1) and pts[0].name == "hx8k-k1-s1"


@pytest.mark.parametrize("boards, ks, seeds, words", [
    ([], [1], [1], ["empty sweep", "--board"]),
    (["ice40"], [], [1], ["empty sweep", "--pipeline-every"]),
    (["ice40", "ice40"], [1], [1], ["--board", "twice"]),
    (["ice40"], [1, 1], [1], ["--pipeline-every", "twice"]),
    (["ice40"], [-1], [1], ["--pipeline-every", "-1"]),
    (["nosuch"], [1], [1], ["unknown board"]),
    (["arty_a7_35"], [1], [1], ["arty_a7_35", "vendor project"]),
])
def test_grid_refuses_empty_or_contradictory_sweeps(boards, ks, seeds, words):
    with pytest.raises(LgnhwError) as err:
        grid(boards, ks, seeds)
    for w in words:
        assert w in str(err.value)


@pytest.mark.parametrize("args, words", [
    (["--board", "nosuch", "--pipeline-every", "1", "--seeds", "1"], ["unknown board 'nosuch'"]),
    (["--board", "ice40", "--pipeline-every", "1", "--seeds", "1", "1"], ["--seeds", "twice"]),
    (["--board", "ice40", "--pipeline-every", "-2", "--seeds", "1"], ["--pipeline-every", "-2"]),
    (["--board", "ice40", "--pipeline-every", "1", "--seeds"], ["--seeds"]),
    (["--board", "arty_a7_100", "--pipeline-every", "1", "--seeds", "1"], ["vendor project"]),
    (["--board", "ice40", "--pipeline-every", "1", "--seeds", "1", "--workers", "2",
      "--scheduler", "tcp://127.0.0.1:8786"], ["--workers", "--scheduler"]),
    (["--board", "ice40", "--pipeline-every", "1", "--seeds", "1", "--scheduler", "nonsense"],
     ["nonsense", "not a Dask scheduler address"]),
])
def test_bad_sweeps_exit_2_with_one_line(tmp_path, args, words):
    assert_one_line_error(lgnhw("sweep", *args, "-o", tmp_path / "out"), *words)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_exits_2_naming_it_within_the_timeout(tmp_path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    res = lgnhw("sweep", "--board", "ice40", "--pipeline-every", "1", "--seeds", "1", "--scheduler", address,
                "--connect-timeout", "2", "-o", tmp_path / "out")
    took = time.monotonic() - t0
    assert_one_line_error(res, address, "cannot reach the Dask scheduler within 2 s")
    assert took < 2 + 20, took                 # the timeout plus interpreter and import time
    assert not (tmp_path / "out").exists()    # nothing written


def test_without_the_cluster_extra_sweep_names_it(monkeypatch, capsys, tmp_path):
    from lgnhw.cli import main
    monkeypatch.setitem(sys.modules, "distributed", None)     # `import distributed` now fails
    rc = main(["sweep", "--board", "ice40", "--pipeline-every", "1", "--seeds", "1", "-o", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "'cluster' extra" in err[0] and "lgnhw[cluster]" in err[0] and "dask.distributed" in err[0]


def test_store_ignores_half_written_and_foreign_points(tmp_path):
    from lgnhw.sweep import Store
    p = Point("ice40", 1, 1)
    store = Store(tmp_path, "key-a")
    row = {**dict.fromkeys(REPORT_KEYS), "board": "ice40", "pipeline_every": 1, "seed": 1, "status": "ok"}
    saved = store.save(p, row, bitstream=("top.bin", b"\x00bits"), files={"top.rpt": b"report"})
    assert saved["bitstream"] == str(tmp_path / p.name / "top.bin")
    assert store.load(p)["bitstream_sha256"] == saved["bitstream_sha256"]
    assert Store(tmp_path, "key-b").load(p) is None                 # another model or settings
    (tmp_path / p.name / "top.bin").write_bytes(b"\x00bitz")        # a damaged bitstream
    assert store.load(p) is None
    store.save(p, row, bitstream=("top.bin", b"\x00bits"))
    (tmp_path / p.name / "status.json").write_text('{"status": "ok", ')   # cut off mid-write
    assert store.load(p) is None
    store.save(p, failure_point(p, "lost", "KilledWorker: ..."))
    assert store.load(p) is None                                     # lost points run again
    store.save(p, failure_point(p, "no_fit", "design does not fit"))
    assert store.load(p)["status"] == "no_fit"                       # a verdict: kept
    assert not [n for n in os.listdir(tmp_path / p.name) if n.startswith(".tmp")]


# -- real sweeps --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "small.lgn"
    write_lgn(random_layered(16, [60, 60, 40], 4, seed=3), path)
    return path


@pytest.fixture(scope="module")
def local_sweep(small_model, tmp_path_factory):
    """The small model, 2 K x 2 seeds on the UP5K, LocalCluster with 2 workers on 127.0.0.1."""
    out = tmp_path_factory.mktemp("sweep") / "local"
    return out, sweep_json(small_model, *SWEEP, "--workers", "2", "-o", out)


@needs_tools
def test_local_cluster_sweep_stores_every_point(local_sweep):
    out, s = local_sweep
    assert s["cluster"] == "local (2 workers)" and s["workers"] == 2
    names = [f"ice40-k{k}-s{seed}" for k in (1, 2) for seed in (1, 2)]
    assert [f"{r['board']}-k{r['pipeline_every']}-s{r['seed']}" for r in s["points"]] == names
    assert s["counts"] == {"ok": 4, "no_fit": 0, "failed": 0, "lost": 0} and s["resumed"] == []
    for r, name in zip(s["points"], names):
        assert set(REPORT_KEYS) <= set(r) and r["status"] == "ok" and r["estimate"] is False
        folder = out / name
        assert r["bitstream"] == str(folder / "top.bin") and (folder / "top.bin").stat().st_size > 1000
        assert json.loads((folder / "report.json").read_text())["logic_cells"] == r["logic_cells"]
        assert json.loads((folder / "status.json").read_text())["status"] == "ok"
        assert (folder / "logs" / "top.tim").is_file()
        assert r["gates_before"] == 160 and r["gates_after"] < 160      # optimised once, before the tasks
    assert {r["seed"] for r in s["points"]} == {1, 2}
    # keys of a point that did not build: the same as a built one's
    assert set(failure_point(Point("ice40", 1, 1), "failed", "x")) == set(s["points"][0])
    front_names = {f"{r['board']}-k{r['pipeline_every']}-s{r['seed']}" for r in s["pareto"]}
    assert front_names and front_names <= set(names)
    assert set(s["best"]) == {"ice40"} and s["best"]["ice40"] in s["points"]
    assert [os.path.basename(p) for p in s["plots"]] == ["pareto.png", "pareto.svg", "breakdown.png",
                                                          "breakdown.svg"]
    assert json.loads((out / "sweep.json").read_text())["points"] == s["points"]


@needs_tools
def test_human_table_marks_front_and_best(local_sweep, small_model):
    out, _ = local_sweep
    res = lgnhw("sweep", small_model, *SWEEP, "-o", out, "-q")       # all resumed: no build
    assert res.returncode == 0 and res.stderr == ""
    lines = res.stdout.splitlines()
    assert lines[0].split()[:3] == ["point", "status", "cells"]
    assert sum("(resumed)" in line for line in lines) == 4
    assert any(line.startswith("best ice40: ") for line in lines)


@needs_tools
def test_resume_skips_completed_points(local_sweep, small_model, tmp_path):
    src, first = local_sweep
    out = tmp_path / "resumed"
    shutil.copytree(src, out)
    (out / "ice40-k1-s2" / "status.json").unlink()          # killed before its status was written
    (out / "ice40-k2-s1" / "top.bin").write_bytes(b"half")  # a damaged bitstream: built again
    again = sweep_json(small_model, *SWEEP, "--workers", "2", "-o", out)
    assert again["resumed"] == ["ice40-k1-s1", "ice40-k2-s2"]
    assert [r["resumed"] for r in again["points"]] == [True, False, False, True]
    assert comparable(again) == comparable({"points": [{**r, "out_dir": None} for r in first["points"]]})
    assert bitstreams(again) == bitstreams(first)


class _Cluster:
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, each in its own
    process group (so that a kill also takes the tools it runs)."""

    def __init__(self, tmp_path, workers=2):
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.logs = tmp_path
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port,
                                                   "--no-dashboard"])
        self.workers = [self._start(f"worker{i}", ["worker", self.address, "--host", "127.0.0.1",
                                                   "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                                   "--name", f"w{i}", "--death-timeout", "60"])
                        for i in range(workers)]
        self.client = distributed.Client(self.address, timeout=30, set_as_default=False)
        self.client.wait_for_workers(workers, timeout=120)

    def _start(self, name, args):
        log = open(self.logs / f"{name}.log", "w")
        return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def kill(self, proc):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self):
        self.client.close()
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    c = _Cluster(tmp_path)
    yield c
    c.close()


@needs_tools
def test_dask_scheduler_and_workers_give_identical_results(cluster, local_sweep, small_model, tmp_path):
    _, local = local_sweep
    remote = sweep_json(small_model, *SWEEP, "--scheduler", cluster.address, "-o", tmp_path / "remote")
    assert remote["cluster"] == cluster.address and remote["workers"] == 2
    assert comparable(remote) == comparable(local)
    assert bitstreams(remote) == bitstreams(local)
    assert [r["pipeline_every"] for r in remote["pareto"]] == [r["pipeline_every"] for r in local["pareto"]]
    assert remote["best"]["ice40"]["seed"] == local["best"]["ice40"]["seed"]
    pids = {str(p.pid) for p in cluster.workers}
    assert {r["worker"].rsplit(":", 1)[1] for r in remote["points"]} <= pids


@needs_tools
def test_killed_worker_points_are_retried_elsewhere(cluster, local_sweep, small_model, tmp_path):
    _, local = local_sweep
    proc = subprocess.Popen([sys.executable, "-m", "lgnhw", "sweep", str(small_model), *SWEEP, "--scheduler",
                             cluster.address, "-o", str(tmp_path / "killed"), "--json", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = cluster.workers[0]
    pids = cluster.client.run(os.getpid)                    # worker address -> pid
    address = next(a for a, pid in pids.items() if pid == victim.pid)
    deadline = time.monotonic() + 300
    while not cluster.client.processing().get(address):    # wait until it runs a point
        assert time.monotonic() < deadline and proc.poll() is None, "the sweep never reached the worker"
        time.sleep(0.2)
    time.sleep(3)                                           # well into the build (yosys running)
    running = list(cluster.client.processing()[address])
    cluster.kill(victim)
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err
    killed = json.loads(out)
    assert killed["counts"]["ok"] == 4
    survivor = str(cluster.workers[1].pid)
    retried = {key.removeprefix("lgnhw-").rsplit("-", 1)[0] for key in running}
    assert retried
    for r in killed["points"]:
        if f"ice40-k{r['pipeline_every']}-s{r['seed']}" in retried:
            assert r["worker"].rsplit(":", 1)[1] == survivor
    assert comparable(killed) == comparable(local)
    assert bitstreams(killed) == bitstreams(local)


@needs_tools
def test_a_point_that_does_not_fit_is_recorded_and_the_sweep_goes_on(tmp_path):
    from lgnhw.build import default_model_path
    s = sweep_json("--board", "icestick", "--pipeline-every", "1", "2", "--seeds", "1", "--workers", "1",
                   "-o", tmp_path)   # the bundled model (3,338 UP5K cells) on an HX1K: refused in seconds
    assert default_model_path().name == "digits.lgn"
    assert s["counts"] == {"ok": 0, "no_fit": 2, "failed": 0, "lost": 0}
    for r in s["points"]:
        assert r["status"] == "no_fit" and r["kind"] == "fit" and "does not fit" in r["reason"]
    assert s["pareto"] == [] and s["best"] == {} and s["plots"] == []
    again = sweep_json("--board", "icestick", "--pipeline-every", "1", "2", "--seeds", "1", "-o", tmp_path)
    assert again["resumed"] == ["icestick-k1-s1", "icestick-k2-s1"]      # a verdict is not run again


@needs_tools
@pytest.mark.slow
def test_bundled_model_two_seeds_two_k_on_the_up5k(tmp_path):
    """The issue's sweep: the bundled digits model, seeds 1 2 x K 1 2 on the UP5K, LocalCluster of 2."""
    s = sweep_json(*SWEEP, "--workers", "2", "-o", tmp_path)
    assert s["model"] == "bundled digits.lgn" and s["counts"]["ok"] == 4
    by = {(r["pipeline_every"], r["seed"]): r for r in s["points"]}
    for (k, seed), r in by.items():
        assert r["device"] == "iCE40UP5K" and r["fits"] and r["bitstream"].endswith("top.bin")
        assert 2_000 < r["logic_cells"] < 5_280
        assert set(r["breakdown"]) == {"gate_layers", "popcount", "argmax", "core_control", "shell"}
    assert by[(1, 1)]["latency_cycles"] > by[(2, 1)]["latency_cycles"]     # K=2: fewer register ranks
    assert by[(1, 1)]["logic_cells"] == by[(1, 2)]["logic_cells"]          # the seed moves only placement
    assert s["pareto"] and set(s["best"]) == {"ice40"}
    assert len(s["plots"]) == 4 and all(os.path.getsize(p) > 1000 for p in s["plots"])


# -- failures without place and route (an in-process cluster, the build replaced) ----------

@pytest.fixture
def threads_cluster():
    """A scheduler and 2 worker threads in this process (inproc://, no network): tasks see
    this process's monkeypatches."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as c:
        yield c.scheduler_address


def _tiny():
    return random_layered(8, [20, 10], 2, seed=1)


def test_a_build_error_is_recorded_with_its_reason(threads_cluster, monkeypatch, tmp_path):
    import lgnhw.build
    from lgnhw.errors import ToolError
    from lgnhw.sweep import run_sweep

    def broken(net, board, **kw):
        if kw["seed"] == 2:
            raise ToolError(f"tool failure: nextpnr-ice40 failed (log: {kw['out_dir']}/top.tim)")
        raise lgnhw.errors.BuildError("fit failure: design does not fit the iCEBreaker: ...")

    monkeypatch.setattr(lgnhw.build, "build_board", broken)
    s = run_sweep(_tiny(), grid(["ice40"], [1], [1, 2]), tmp_path, scheduler=threads_cluster)
    (fit, tool) = s["points"]
    assert (fit["status"], fit["kind"]) == ("no_fit", "fit") and "does not fit" in fit["reason"]
    assert (tool["status"], tool["kind"]) == ("failed", "tool") and "<worker tmp>/build/top.tim" in tool["reason"]
    assert s["counts"] == {"ok": 0, "no_fit": 1, "failed": 1, "lost": 0} and s["plots"] == []
    again = run_sweep(_tiny(), grid(["ice40"], [1], [1, 2]), tmp_path, scheduler=threads_cluster)
    assert again["resumed"] == ["ice40-k1-s1", "ice40-k1-s2"]          # verdicts are not run again


def test_a_task_that_keeps_crashing_is_lost_and_run_again_on_resume(threads_cluster, monkeypatch, tmp_path):
    import lgnhw.sweep.runner as runner
    tries = tmp_path / "tries"            # the task is serialised: count its runs in a file

    def crash(*args, **kw):
        with open(tries, "a") as f:
            f.write("x")
        raise RuntimeError("worker-side bug")

    def calls():
        return len(tries.read_text()) if tries.exists() else 0

    monkeypatch.setattr(runner, "build_point", crash)
    s = runner.run_sweep(_tiny(), grid(["ice40"], [1], [1]), tmp_path / "sweep", scheduler=threads_cluster,
                         retries=1)
    (row,) = s["points"]
    assert row["status"] == "lost" and row["reason"] == "RuntimeError: worker-side bug"
    assert calls() == 2                                                   # the try and one retry
    assert s["counts"]["lost"] == 1
    again = runner.run_sweep(_tiny(), grid(["ice40"], [1], [1]), tmp_path / "sweep", scheduler=threads_cluster,
                             retries=0)
    assert again["resumed"] == [] and calls() == 3                        # lost points run again
