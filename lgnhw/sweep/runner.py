"""Run a sweep on Dask: one task per point, results stored as they stream back.

:func:`run_sweep` serialises the (already optimised) netlist once as ``.lgn``
bytes, skips the points already complete in the sweep folder, and submits one
:func:`lgnhw.sweep.task.build_point` task per remaining point, either to a
:class:`distributed.LocalCluster` on 127.0.0.1 (one single-threaded worker
process per core by default: place and route is single-threaded) or to an
existing scheduler (``scheduler="tcp://host:port"``). Results are taken in
the order they finish (``as_completed``) and each is written to its point
folder at once, so an interrupted sweep keeps every point that finished.

Fault tolerance: a task whose worker dies is rescheduled by Dask on another
worker (up to ``distributed.scheduler.allowed-failures`` lost workers, 3 by
default, then the point is recorded ``lost``); an unexpected exception inside
the task is retried ``retries`` times. A build error (no fit, a tool failure)
is a result, recorded with its reason, and never stops the sweep.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
import uuid
import warnings
import zlib
from pathlib import Path

from ..errors import LgnhwError
from ..fileio import atomic_open
from . import pareto
from .points import Point, Store, failure_point
from .task import build_point

__all__ = ["run_sweep", "require_cluster", "lgn_bytes", "CONNECT_TIMEOUT", "EXTRA"]

CONNECT_TIMEOUT = 10.0      # seconds to reach a --scheduler before giving up
EXTRA = "cluster"


def require_cluster() -> None:
    """:class:`LgnhwError` naming the extra when dask.distributed or matplotlib is missing."""
    missing = []
    for module in ("distributed", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append({"distributed": "dask.distributed"}.get(module, module))
    if missing:
        raise LgnhwError(f"sweep needs the '{EXTRA}' extra ({' and '.join(missing)} not installed): "
                         f"pip install 'lgnhw[{EXTRA}]'")


def lgn_bytes(net) -> bytes:
    """The ``.lgn`` file of ``net`` as bytes (deterministic: same netlist, same bytes)."""
    from ..formats import write_lgn
    with tempfile.TemporaryDirectory(prefix="lgnhw-sweep-") as tmp:
        path = Path(tmp) / "model.lgn"
        write_lgn(net, path)
        return path.read_bytes()


def _default_workers(todo: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, todo))


@contextlib.contextmanager
def _quiet_dask():
    """Keep distributed's own log lines (lost workers, closing comms) off the user's stderr."""
    import distributed  # noqa: F401  (its logging configuration first, so that it is overridden here)
    names = [n for n in list(logging.root.manager.loggerDict)
             if n.split(".")[0] in ("distributed", "tornado", "asyncio")]
    loggers = [logging.getLogger(n) for n in sorted(set(names) | {"distributed", "tornado", "asyncio"})]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _check_address(address: str) -> None:
    """One-line error for a scheduler address Dask cannot parse (before any connection)."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    try:
        scheme, loc = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            host, port = parse_host_port(loc)
            if not host or not 0 < int(port) < 65536:
                raise ValueError("no host or port")
    except (ValueError, TypeError) as err:
        raise LgnhwError(f"{address}: not a Dask scheduler address ({err}); expected tcp://host:port") from None


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int, connect_timeout: float):
    from distributed import Client, LocalCluster
    if scheduler is not None:
        _check_address(scheduler)
        try:
            client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            why = str(err).splitlines()[0] if str(err) else type(err).__name__
            why = why if len(why) <= 120 else why[:117] + "..."
            raise LgnhwError(f"{scheduler}: cannot reach the Dask scheduler within {connect_timeout:g} s "
                             f"({why})") from None
        with client:
            yield client, f"{scheduler}"
        return
    with warnings.catch_warnings():
        # without a dashboard the scheduler still serves its HTTP routes, on 8787 by
        # default; another cluster on the machine holding it only moves them elsewhere
        warnings.filterwarnings("ignore", message="Port 8787 is already in use", category=UserWarning)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.CRITICAL)
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client, f"local ({workers} workers)"


def _row(p: Point, res: dict) -> tuple[dict, tuple | None, dict]:
    """The table row, the bitstream ``(name, bytes)`` and the log files of a task result."""
    files = {name: zlib.decompress(data) for name, data in (res.get("logs") or {}).items()}
    if res["status"] == "ok":
        row = {**res["report"], "board": p.board, "pipeline_every": p.pipeline_every, "seed": p.seed,
               "status": "ok", "reason": None, "kind": None, "worker": res.get("worker"),
               "task_seconds": res.get("seconds")}
        return row, (res["bitstream_name"], res["bitstream"]), files
    row = failure_point(p, res["status"], res["reason"], kind=res.get("kind"))
    row.update(worker=res.get("worker"), task_seconds=res.get("seconds"))
    return row, None, files


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    text = text[0] if text else ""
    return f"{type(err).__name__}: {text}"[:200]


def _status_line(rows: list[dict], total: int) -> str:
    done = len(rows)
    bad = sum(r["status"] != "ok" for r in rows)
    msg = f"sweep: {done}/{total} points done" + (f" ({bad} not built)" if bad else "")
    picks = pareto.best(rows)
    if picks:
        msg += "; best so far: " + ", ".join(
            f"{pareto.name(r)} {pareto.fmax(r):.1f} MHz {pareto.cells(r):,} cells" for r in picks.values())
    return msg


def run_sweep(net, points: list[Point], out_dir, *, scheduler: str | None = None, workers: int | None = None,
              connect_timeout: float = CONNECT_TIMEOUT, model_label: str = "", optimize: bool = True,
              toolchain: str = "yowasp", target_mhz: float | None = None, retries: int = 2,
              progress=None, plots: bool = True) -> dict:
    """Build every point of ``points`` for ``net`` and store it in ``out_dir``; returns the
    sweep summary (see the CLI's ``--json``).

    ``net`` is optimised here once (``optimize``), after the ``scheduler`` (if any) has
    answered, so an unreachable one fails before any work; the builds do not optimise again."""
    from .plots import write_plots
    require_cluster()
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    points = sorted(points)
    if not points:
        raise LgnhwError("empty sweep: no points")
    if len(set(points)) != len(points):
        raise LgnhwError("contradictory sweep: a point is listed twice")
    rows: dict[Point, dict] = {}
    resumed: list[str] = []
    n_workers = where = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(_quiet_dask())
        client = None
        if scheduler is not None:
            client, where = stack.enter_context(_client(scheduler, 0, connect_timeout))
        store = Store(out_dir, "")
        gates_before = int(net.num_gates)
        if optimize:
            from ..passes import optimize as run_passes
            say(f"optimising {net.num_gates:,} gates")
            net, _ = run_passes(net)
        lgn = lgn_bytes(net)
        model_sha = hashlib.sha256(lgn).hexdigest()
        settings = {"model_sha256": model_sha, "toolchain": toolchain, "target_mhz": target_mhz}
        store.key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
        for p in points:
            row = store.load(p)
            if row is not None:
                row["resumed"] = True
                rows[p] = row
                resumed.append(p.name)
        todo = [p for p in points if p not in rows]
        if todo:
            from distributed import as_completed
            from distributed.client import FutureCancelledError
            if client is None:
                n_workers = workers if workers is not None else _default_workers(len(todo))
                say(f"starting {n_workers} local Dask workers")
                client, where = stack.enter_context(_client(None, n_workers, connect_timeout))
            else:
                n_workers = len(client.scheduler_info().get("workers", {}))
            tag = uuid.uuid4().hex[:8]
            futures = {}
            for p in todo:
                fut = client.submit(build_point, lgn, p.board, p.pipeline_every, p.seed,
                                    gates_before=gates_before, model_label=model_label, toolchain=toolchain,
                                    target_mhz=target_mhz, key=f"lgnhw-{p.name}-{tag}", pure=False,
                                    retries=retries)
                futures[fut] = p
            say(f"sweep on {where}: " + _status_line(list(rows.values()), len(points))[len("sweep: "):]
                + (f" ({len(resumed)} from an earlier run)" if resumed else ""))
            try:
                for fut in as_completed(list(futures), loop=client.loop):
                    p = futures[fut]
                    try:
                        row, bit, files = _row(p, fut.result())
                    except FutureCancelledError as err:
                        row, bit, files = failure_point(p, "lost", _one_line(err), kind="cluster"), None, {}
                    except Exception as err:       # KilledWorker, a bug in the task, a lost scheduler
                        row, bit, files = failure_point(p, "lost", _one_line(err), kind="cluster"), None, {}
                    rows[p] = store.save(p, row, bitstream=bit, files=files)
                    rows[p]["resumed"] = False
                    fut.release()
                    say(_status_line(list(rows.values()), len(points)))
            finally:
                for fut in futures:
                    if not fut.done():
                        fut.cancel()
    table = [rows[p] for p in points]
    for r in table:
        r.setdefault("resumed", True)
    fronts = {"pareto": pareto.front(table), "pareto_latency": pareto.front(table, key="latency_cycles")}
    picks = pareto.best(table)
    plot_paths = write_plots(table, picks, store.root) if plots else []
    summary = {
        "model": model_label,
        "model_sha256": model_sha,
        "gates_before": gates_before,
        "gates_after": int(net.num_gates),
        "dir": str(store.root),
        "cluster": where,
        "workers": n_workers,
        "points": table,
        "pareto": fronts["pareto"],
        "pareto_latency": fronts["pareto_latency"],
        "best": picks,
        "plots": plot_paths,
        "resumed": resumed,
        "counts": {s: sum(r["status"] == s for r in table) for s in ("ok", "no_fit", "failed", "lost")},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    with atomic_open(store.root / "sweep.json", "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")
    return summary
