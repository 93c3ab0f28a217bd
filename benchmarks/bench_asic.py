"""ASIC figures for the README (`lgnhw asic`, bundled SKY130 subset, tt corner).

    python benchmarks/bench_asic.py [--only NAME ...] [--out DIR]

One JSON line per point:

* the bundled digits model, digits4k (4,000 gates), a random layered network
  nobody tuned anything on (96 inputs, 6 x 2,000 gates, 8 classes, seed 21)
  at K = 1 and 2; the digits models with the digits test split in its order
  as activity, the random network with 10,000 random vectors;
* activity sensitivity on the bundled model (K = 1): constant inputs, the
  test split, random bits;
* digits48k at K = 2: the flow's run time on a 48,000-gate model;
* glitches: the same netlists with cell delays (an event-driven simulation
  with inertial delays from the timing pass), against the cycle-based count;
* the reference point: an int8 multiply-accumulate unit (8 x 8 multiplier,
  24-bit accumulator, registered operands) through the same synthesis,
  timing and energy model, checked against numpy, and a 64-32-10 int8 MLP
  trained with scikit-learn on the same digits split (its MAC count and
  accuracy with int8 weights and activations).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from lgnhw.asic import energy, sta, synth
from lgnhw.asic.activity import Simulator
from lgnhw.asic.flow import read_library, run
from lgnhw.asic.liberty import Function
from lgnhw.build import load_model_or_default
from lgnhw.build.run import run_step
from lgnhw.datasets import load_digits_split
from lgnhw.formats import load_model
from lgnhw.golden import encode_inputs
from lgnhw.passes import optimize
from lgnhw.randnet import random_layered
from lgnhw.tools import find

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "benchmarks" / "models"
KEYS = ("gates", "pipeline_every", "latency_cycles", "cells", "flip_flops", "area_um2",
        "area_by_part_um2", "critical_path_ns", "fmax_mhz", "leakage_uw", "activity_vectors",
        "energy_pj_per_inference", "energy_pj", "energy_by_part_pj", "power_mw_at_clock",
        "inferences_per_s", "inferences_per_s_per_mw", "mean_toggle_rate", "clock_mhz")


def _net(name):
    if name == "digits":
        return load_model_or_default()[0]
    if name == "random":
        return random_layered(96, [2000] * 6, 8, seed=21)
    return load_model(MODELS / f"{name}.lgn")


def _activity(net, kind):
    if kind == "test":
        return encode_inputs(net, load_digits_split().x_test)
    if kind == "constant":
        return np.zeros((450, net.num_inputs), dtype=np.uint8)
    return np.random.default_rng(0).integers(0, 2, (10_000, net.num_inputs), dtype=np.uint8)


def model_point(out, name, k, kind):
    net = optimize(_net(name))[0]
    bits = _activity(net, kind)
    t0 = time.perf_counter()
    rep = run(net, out / f"{name}-k{k}-{kind}", bits=bits, pipeline_every=k, activity_source=kind)
    return {"point": f"{name}-k{k}-{kind}", "model": name, "activity": kind,
            **{key: rep[key] for key in KEYS}, "seconds": rep["seconds"],
            "wall_seconds": round(time.perf_counter() - t0, 1)}


MAC_V = """
module mac8 (input wire clk, input wire signed [7:0] a, input wire signed [7:0] b,
             output reg signed [23:0] acc);
    reg signed [7:0] ra, rb;
    always @(posedge clk) begin
        ra <= a;
        rb <= b;
        acc <= acc + ra * rb;
    end
endmodule
"""


def mac_point(out, n=4096):
    """An int8 MAC in the same library, timing and energy model; random operands, one MAC
    per clock, the accumulator checked against numpy."""
    folder = out / "mac8"
    folder.mkdir(parents=True, exist_ok=True)
    lib = read_library()
    (folder / "cells.lib").write_text(lib.text)
    (folder / "mac.v").write_text(MAC_V)
    (folder / "asic.ys").write_text(synth.yosys_script("mac.v", "mac8", "cells.lib", "mac8_gates.v",
                                                       "mapped.json", "stat.json"))
    run_step("synthesis (yosys)", [find("yosys"), "-q", "-l", "asic.rpt", "asic.ys"], folder,
             folder / "yosys.log", folder / "asic.rpt")
    m = synth.read_mapped(folder / "mapped.json", "mac8", lib)
    order, is_ff = sta.levelise(m, lib)
    batches = sta.levels(m, order, lib)
    timing = sta.analyse(m, lib, batches)
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, n)
    b = rng.integers(-128, 128, n)
    sim = Simulator(m, lib, batches, 1)
    bits = lambda v: ((v[None, :] >> np.arange(8)[:, None]) & 1).astype(bool)[:, :, None]  # noqa: E731
    ab, bb = bits(a), bits(b)
    toggles = np.zeros(m.num_nets, dtype=np.int64)
    prev = None
    warm = 3
    for cyc in range(n):
        sim.settle({"a": ab[:, cyc], "b": bb[:, cyc]})
        if cyc >= warm:
            if prev is not None:
                toggles += (sim.vals != prev).sum(axis=1)
            prev = sim.vals.copy()
        sim.clock()
    sim.settle({"a": ab[:, 0], "b": bb[:, 0]})
    got = int(sum(int(x) << i for i, x in enumerate(sim.port("acc")[:, 0].tolist())))
    want = int(np.sum(a[:n - 1] * b[:n - 1])) % (1 << 24)     # the last product is still in flight
    if got != want:
        raise SystemExit(f"mac8: mapped netlist gives {got:#x}, numpy {want:#x}")
    toggles[m.inputs["clk"]] = 0
    rate = toggles / (n - warm - 1)
    e = energy.energy(m, lib, timing, rate, ["mac"] * m.num_cells, timing.fmax_mhz)
    area = sum(lib.cell(t).area for t in m.cell_type)
    return {"point": "mac8", "cells": m.num_cells, "flip_flops": int(is_ff.sum()),
            "area_um2": round(area, 1), "fmax_mhz": round(timing.fmax_mhz, 1),
            "energy_pj_per_mac": round(e["total_pj"], 4),
            "energy_pj": {k: round(e[k], 4) for k in ("switching_pj", "internal_pj", "clock_pj", "leakage_pj")},
            "checked": "accumulator equals numpy after %d random MACs" % (n - 1)}


def _event_toggles(m, lib, timing, states):
    """Toggles per net when each clock's changes ripple through the logic with cell delays
    (inertial: a pulse shorter than a cell's delay is swallowed), for consecutive settled
    states ``states[i]`` (bool per net); also checks each clock settles where the
    cycle-based simulation says. A glitch estimate, not part of ``lgnhw asic``."""
    import heapq
    readers: dict = {}
    comb = []
    for i, t in enumerate(m.cell_type):
        cell = lib.cell(t)
        if cell.ff is not None:
            continue
        ins = [p.name for p in cell.inputs if p.name in m.pins[i]]
        pin = cell.outputs[0]
        out = m.pins[i][pin.name]
        f = Function(pin.function)
        combos = np.arange(1 << len(ins))
        table = f({n: ((combos >> k) & 1).astype(bool) for k, n in enumerate(ins)}) if ins else \
            np.array([f({})], dtype=bool)
        table = np.broadcast_to(table, combos.shape).tolist()
        nets = [m.pins[i][n] for n in ins]
        d = [float(np.mean([a.tables[k](slew=timing.slew[m.pins[i][a.related]], load=timing.load[out])
                            for k in ("cell_rise", "cell_fall")])) for a in pin.arcs if a.related in ins]
        c = len(comb)
        comb.append((nets, out, table, float(np.mean(d)) if d else 0.0))
        for n in nets:
            readers.setdefault(n, []).append(c)
    launch = np.where(np.isfinite(timing.arrival), timing.arrival, 0.0)
    driven = {cell[1] for cell in comb}
    toggles = np.zeros(m.num_nets, dtype=np.int64)
    for prev, now in zip(states[:-1], states[1:]):
        cur = prev.tolist()
        pending: dict = {}
        heap = []
        seq = 0
        for n in np.flatnonzero(prev != now).tolist():
            if n not in driven:                        # inputs and flip-flop outputs
                seq += 1
                pending[n] = seq
                heapq.heappush(heap, (launch[n], seq, n, bool(now[n])))
        while heap:
            t, token, n, v = heapq.heappop(heap)
            if pending.get(n) != token:
                continue
            del pending[n]
            if cur[n] == v:
                continue
            cur[n] = v
            toggles[n] += 1
            for c in readers.get(n, ()):
                nets, out, table, delay = comb[c]
                idx = 0
                for k, x in enumerate(nets):
                    idx |= cur[x] << k
                new = table[idx]
                p = pending.get(out)
                target = (not cur[out]) if p is not None else cur[out]
                if new == target:
                    continue
                if p is not None:                      # back to the old value before it fired
                    del pending[out]
                    continue
                seq += 1
                pending[out] = seq
                heapq.heappush(heap, (t + delay, seq, out, new))
        if cur != now.tolist():
            raise SystemExit("event simulation did not settle where the cycle simulation did")
    return toggles


def glitch_point(out, name, k, n=450):
    """Extra toggles and energy when cell delays are simulated (see _event_toggles)."""
    from lgnhw.gateware.plan import Plan
    lib = read_library()
    if name == "mac8":
        folder = out / "mac8"
        if not (folder / "mapped.json").exists():
            mac_point(out)
        m = synth.read_mapped(folder / "mapped.json", "mac8", lib)
        rng = np.random.default_rng(0)
        drive = [{"a": ((v >> np.arange(8)) & 1).astype(bool)[:, None],
                  "b": ((w >> np.arange(8)) & 1).astype(bool)[:, None]}
                 for v, w in zip(rng.integers(-128, 128, n), rng.integers(-128, 128, n))]
        warm = 3
    else:
        net = optimize(_net(name))[0]
        bits = _activity(net, "test")[:n]
        folder = out / f"{name}-k{k}-test"
        if not (folder / "mapped.json").exists():
            run(net, folder, bits=bits, pipeline_every=k)
        m = synth.read_mapped(folder / "mapped.json", "lgn_core", lib)
        lat = Plan.build(net, k).latency
        drive = [{"i__payload": bits[c % n][:, None].astype(bool), "rst": False}
                 for c in range(lat + n + 1)]
        warm = lat
    order, _ = sta.levelise(m, lib)
    batches = sta.levels(m, order, lib)
    timing = sta.analyse(m, lib, batches)
    sim = Simulator(m, lib, batches, 1)
    states = []
    for c, d in enumerate(drive):
        sim.settle(d)
        if c >= warm:
            states.append(sim.vals[:, 0].copy())
        sim.clock()
    states = np.array(states)
    clk = m.inputs["clk"]
    cycle = (states[1:] != states[:-1]).sum(axis=0)
    cycle[clk] = 0
    event = _event_toggles(m, lib, timing, states)
    event[clk] = 0
    steps = len(states) - 1
    parts = ["x"] * m.num_cells
    e0 = energy.energy(m, lib, timing, cycle / steps, parts, timing.fmax_mhz)
    e1 = energy.energy(m, lib, timing, event / steps, parts, timing.fmax_mhz)
    return {"point": f"glitch-{name}" + (f"-k{k}" if name != "mac8" else ""),
            "toggles_cycle": int(cycle.sum()), "toggles_with_delays": int(event.sum()),
            "extra_toggles": round(float(event.sum() / max(cycle.sum(), 1) - 1), 4),
            "energy_pj_cycle": round(e0["total_pj"], 3), "energy_pj_with_delays": round(e1["total_pj"], 3),
            "extra_energy": round(e1["total_pj"] / e0["total_pj"] - 1, 4),
            "extra_dynamic_without_clock": round((e1["switching_pj"] + e1["internal_pj"])
                                                 / (e0["switching_pj"] + e0["internal_pj"]) - 1, 4),
            "clocks": steps}


def mlp_point():
    """A 64-32-10 MLP on the same digits split, int8 weights and activations."""
    from sklearn.neural_network import MLPClassifier
    d = load_digits_split()
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=2000, random_state=0)
    clf.fit(d.x_train / 16.0, d.y_train)
    float_acc = float((clf.predict(d.x_test / 16.0) == d.y_test).mean())
    w1, w2 = clf.coefs_
    b1, b2 = clf.intercepts_
    s1, s2 = np.abs(w1).max() / 127, np.abs(w2).max() / 127
    q1, q2 = np.round(w1 / s1).astype(np.int64), np.round(w2 / s2).astype(np.int64)
    x = d.x_test.astype(np.int64)                                 # pixels 0..16: already int8
    h = np.maximum(0, x @ q1 + np.round(b1 * 16 / s1).astype(np.int64))   # int32 accumulators
    hs = np.abs(np.maximum(0, d.x_train.astype(np.int64) @ q1
                           + np.round(b1 * 16 / s1).astype(np.int64))).max() / 127
    hq = np.minimum(127, np.round(h / hs)).astype(np.int64)       # requantised to int8
    logits = hq @ q2 + np.round(b2 / (s2 * hs * s1 / 16)).astype(np.int64)
    int8_acc = float((np.argmax(logits, axis=1) == d.y_test).mean())
    return {"point": "mlp-64-32-10", "macs": 64 * 32 + 32 * 10, "float_accuracy": round(float_acc, 4),
            "int8_accuracy": round(int8_acc, 4)}


POINTS = {
    **{f"{m}-k{k}": (lambda out, m=m, k=k: model_point(out, m, k, "random" if m == "random" else "test"))
       for m in ("digits", "digits4k", "random") for k in (1, 2)},
    "digits-k1-constant": lambda out: model_point(out, "digits", 1, "constant"),
    "digits-k1-random": lambda out: model_point(out, "digits", 1, "random"),
    "digits48k-k2": lambda out: model_point(out, "digits48k", 2, "test"),
    "mac8": mac_point,
    "glitch-digits-k1": lambda out: glitch_point(out, "digits", 1),
    "glitch-digits-k2": lambda out: glitch_point(out, "digits", 2),
    "glitch-digits4k-k2": lambda out: glitch_point(out, "digits4k", 2),
    "glitch-mac8": lambda out: glitch_point(out, "mac8", 0, 2000),
    "mlp": lambda out: mlp_point(),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=sorted(POINTS), help="these points only")
    ap.add_argument("--out", default="out/bench-asic", help="build folders (default: out/bench-asic)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    for name in args.only or POINTS:
        print(json.dumps(POINTS[name](out), sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
