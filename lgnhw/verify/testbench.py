"""cocotb testbench for an lgnhw core inside the ``lgn_tb_top`` harness.

Run by :mod:`lgnhw.verify.run` through ``cocotb_tools.runner``; nothing here
is generated per design. The environment variable ``LGN_TB_CONFIG`` names a
JSON file with:

``inputs``                  .npy, (N, I) uint8 encoded input bits
``expected_counts``/``expected_cls``  .npy, golden model results (N, C) / (N,)
``layout``                  payload layout (``cw``, ``nw``, ``width``, ``classes``)
``depth``                   vectors per harness memory load
``latency``                 declared latency in cycles
``always_ready``            the core has no ready ports
``vin_file``/``vout_file``  hex files the harness reads/writes (also passed as plusargs)
``modes``                   list of ``{"name", "driver": "stream"|"cocotb", "bubble", "stall", "vectors"}``
``seed``, ``max_report``, ``result`` (JSON file this testbench writes), ``fail_on_mismatch``

Drivers: ``stream`` lets the harness feed one vector per clock from memory and
capture results (the fast path, random bubbles/backpressure from an HDL
generator); ``cocotb`` drives and samples the core's stream ports from Python
every clock (random bubbles on ``i__valid`` with the vector held until taken,
random ``o__ready`` backpressure). Every output (class and all counts) is
compared with the golden model, in order; latency is measured per vector.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, with_timeout

from lgnhw.fileio import atomic_open
from lgnhw.verify.harness import bits_to_hex, hex_to_fields

PERIOD_NS = 10


def _threshold(p: float) -> int:
    """Probability -> harness 8-bit threshold (event when random byte < threshold)."""
    return int(min(255, max(0, round(float(p) * 256))))


async def _ticks(dut, n: int) -> None:
    for _ in range(n):
        await RisingEdge(dut.clk)


async def _reset(dut) -> None:
    dut.rst.value = 1
    await _ticks(dut, 3)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


def _mismatch_records(idx, bits, exp_cls, exp_counts, got_cls, got_counts, limit, mode):
    out = []
    for i in idx[:limit]:
        i = int(i)
        out.append({
            "mode": mode,
            "index": i,
            "input_bits": "".join("1" if b else "0" for b in bits[i]),
            "expected": {"cls": int(exp_cls[i]), "counts": [int(v) for v in exp_counts[i]]},
            "got": {"cls": int(got_cls[i]), "counts": [int(v) for v in got_counts[i]]},
        })
    return out


def _compare(name, bits, exp_cls, exp_counts, got_cls, got_counts, unknown, limit):
    bad = (got_cls != exp_cls) | (got_counts != exp_counts).any(axis=1) | unknown
    idx = np.flatnonzero(bad)
    return int(idx.size), int(unknown.sum()), _mismatch_records(
        idx, bits, exp_cls, exp_counts, got_cls, got_counts, limit, name)


async def _drain_extra(dut, cycles: int, expected: int, ext: bool) -> int:
    """Idle ``cycles`` clocks with o__ready high; return outputs beyond the ``expected`` ones.

    The harness counts output transfers since the last reset/start in ``n_out``.
    """
    if ext:
        dut.ext_i_valid.value = 0
        dut.ext_o_ready.value = 1
    await _ticks(dut, cycles)
    await ReadOnly()
    extra = dut.n_out.value.to_unsigned() - expected
    await RisingEdge(dut.clk)
    return extra


async def _run_stream(dut, cfg, mode, bits, seed):
    """Fast path: the harness feeds vectors from memory, one per clock unless bubbles/stalls."""
    layout, depth, lat = cfg["layout"], int(cfg["depth"]), int(cfg["latency"])
    n = bits.shape[0]
    bubble, stall = float(mode.get("bubble", 0.0)), float(mode.get("stall", 0.0))
    dut.ext_mode.value = 0
    dut.bubble_thresh.value = _threshold(bubble)
    dut.stall_thresh.value = 0 if cfg["always_ready"] else _threshold(stall)
    cls_parts, cnt_parts, unk_parts = [], [], []
    lat_min, lat_max, cycles, extra = None, None, 0, 0
    t0 = time.perf_counter()
    for chunk, start in enumerate(range(0, n, depth)):
        part = bits[start:start + depth]
        text, _ = bits_to_hex(part)
        with open(cfg["vin_file"], "wb") as f:
            f.write(text)
        dut.load.value = 1
        await RisingEdge(dut.clk)
        dut.load.value = 0
        dut.count.value = part.shape[0]
        dut.seed.value = (seed * 7919 + chunk * 104729 + 1) & 0xFFFFFFFF
        dut.start.value = 1
        await RisingEdge(dut.clk)
        dut.start.value = 0
        rate = max(1e-3, (1 - bubble) * (1 - stall))
        limit = int(4 * part.shape[0] / rate) + 20 * lat + 1000
        await with_timeout(RisingEdge(dut.done), limit * PERIOD_NS, "ns")
        await RisingEdge(dut.clk)
        lo, hi = dut.lat_min.value.to_unsigned(), dut.lat_max.value.to_unsigned()
        lat_min = lo if lat_min is None else min(lat_min, lo)
        lat_max = hi if lat_max is None else max(lat_max, hi)
        cycles += dut.cycle.value.to_unsigned()
        extra += await _drain_extra(dut, lat + 4, part.shape[0], ext=False)
        dut.dump.value = 1
        await RisingEdge(dut.clk)
        dut.dump.value = 0
        await RisingEdge(dut.clk)
        with open(cfg["vout_file"]) as f:
            words = [w for w in (ln.strip() for ln in f)
                     if w and not w.startswith("//") and not w.startswith("@")]
        if len(words) < part.shape[0]:
            raise RuntimeError(f"harness dumped {len(words)} results, expected {part.shape[0]}")
        c, k, u = hex_to_fields(words[:part.shape[0]], layout)
        cls_parts.append(c)
        cnt_parts.append(k)
        unk_parts.append(u)
    seconds = time.perf_counter() - t0
    return (np.concatenate(cls_parts), np.concatenate(cnt_parts), np.concatenate(unk_parts),
            lat_min, lat_max, cycles, extra, seconds)


async def _run_cocotb(dut, cfg, mode, bits, seed):
    """Per-clock Python driver/monitor on the core's stream ports."""
    layout, lat = cfg["layout"], int(cfg["latency"])
    n = bits.shape[0]
    bubble = float(mode.get("bubble", 0.0))
    stall = 0.0 if cfg["always_ready"] else float(mode.get("stall", 0.0))
    rng = np.random.default_rng(seed)
    text, digits = bits_to_hex(bits)
    words_in = [int(text[i * (digits + 1):i * (digits + 1) + digits], 16) for i in range(n)]
    rate = max(1e-3, (1 - bubble) * (1 - stall))
    limit = int(4 * n / rate) + 20 * lat + 1000
    offer = rng.random(limit) >= bubble
    ready = rng.random(limit) >= stall
    dut.ext_mode.value = 1
    dut.ext_i_valid.value = 0
    dut.ext_o_ready.value = 1
    await RisingEdge(dut.clk)
    clk = dut.clk
    i_valid_h, i_payload_h, o_ready_h = dut.ext_i_valid, dut.ext_i_payload, dut.ext_o_ready
    i_ready_h, o_valid_h, o_payload_h = dut.ext_i_ready, dut.ext_o_valid, dut.ext_o_payload
    got, t_in, lats = [], [], []
    sent, valid, cyc = 0, False, 0
    t0 = time.perf_counter()
    while len(got) < n:
        if cyc >= limit:
            raise RuntimeError(f"{mode['name']}: only {len(got)} of {n} results after {cyc} cycles")
        if not valid and sent < n and offer[cyc]:
            valid = True
            i_payload_h.value = words_in[sent]
        i_valid_h.value = int(valid)
        rdy = bool(ready[cyc])
        o_ready_h.value = int(rdy)
        await ReadOnly()
        if valid and str(i_ready_h.value) == "1":
            t_in.append(cyc)
            sent += 1
            valid = False
        if rdy and str(o_valid_h.value) == "1":
            k = len(got)
            got.append(str(o_payload_h.value))
            lats.append(cyc - t_in[k] if k < len(t_in) else -1)
        await RisingEdge(clk)
        cyc += 1
    seconds = time.perf_counter() - t0
    i_valid_h.value = 0
    extra = await _drain_extra(dut, lat + 4, n, ext=True)
    hexwords = []
    for s in got:  # binary strings, MSB first; keep x/z visible as an unknown digit
        s = s.lower()
        if set(s) <= {"0", "1"}:
            hexwords.append(format(int(s, 2), "x"))
        else:
            hexwords.append("x")
    c, k, u = hex_to_fields(hexwords, layout)
    return c, k, u, min(lats), max(lats), cyc, extra, seconds


async def _run_mode(dut, cfg, mode, bits, exp_cls, exp_counts, seed):
    runner = _run_stream if mode["driver"] == "stream" else _run_cocotb
    got_cls, got_counts, unknown, lat_min, lat_max, cycles, extra, seconds = await runner(
        dut, cfg, mode, bits, seed)
    mism, n_unknown, first = _compare(mode["name"], bits, exp_cls, exp_counts, got_cls,
                                      got_counts, unknown, int(cfg.get("max_report", 10)))
    n = int(bits.shape[0])
    return {
        "driver": mode["driver"], "bubble": float(mode.get("bubble", 0.0)),
        "stall": float(mode.get("stall", 0.0)), "vectors": n, "mismatches": mism,
        "unknown": n_unknown, "extra_outputs": int(extra), "first_mismatches": first,
        "latency_min": int(lat_min), "latency_max": int(lat_max), "cycles": int(cycles),
        "seconds": seconds, "vectors_per_second": n / seconds if seconds > 0 else None,
    }


@cocotb.test()
async def lgn_check(dut):
    """Run every configured mode against the golden results and write the result JSON."""
    with open(os.environ["LGN_TB_CONFIG"]) as f:
        cfg = json.load(f)
    bits = np.load(cfg["inputs"])
    exp_counts = np.load(cfg["expected_counts"])
    exp_cls = np.load(cfg["expected_cls"])
    Clock(dut.clk, PERIOD_NS, unit="ns").start(start_high=False)
    for sig in ("ext_mode", "ext_i_valid", "load", "dump", "start", "count",
                "bubble_thresh", "stall_thresh", "seed"):
        getattr(dut, sig).value = 0
    dut.ext_i_payload.value = 0
    dut.ext_o_ready.value = 1
    await _reset(dut)
    results, error = {}, None
    try:
        for i, mode in enumerate(cfg["modes"]):
            m = int(mode.get("vectors") or bits.shape[0])
            sel = slice(0, min(m, bits.shape[0]))
            results[mode["name"]] = await _run_mode(
                dut, cfg, mode, bits[sel], exp_cls[sel], exp_counts[sel],
                int(cfg.get("seed", 0)) * 1000 + i)
            await _reset(dut)
    except Exception as err:  # reported through the result file, then re-raised
        error = f"{type(err).__name__}: {err}"
        raise
    finally:
        with atomic_open(cfg["result"], "w") as f:
            json.dump({"modes": results, "error": error}, f, indent=1)
    if cfg.get("fail_on_mismatch"):
        bad = {k: v["mismatches"] + v["extra_outputs"] for k, v in results.items()
               if v["mismatches"] or v["extra_outputs"]}
        assert not bad, f"mismatching results per mode: {bad}"
