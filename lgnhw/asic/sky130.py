"""The bundled SKY130 library subset: which cells, and how it is made.

``lgnhw/asic/sky130_fd_sc_hd__tt_025C_1v80.subset.lib.gz`` is the SkyWater
SKY130 high-density library (``sky130_fd_sc_hd``, corner ``tt_025C_1v80``:
typical process, 25 C, 1.8 V; Apache 2.0, see ``SKY130_LICENSE``) cut down to
the header (units, operating conditions, table templates) and :data:`CELLS`,
each cell copied verbatim. The cells are those ``abc -liberty`` and
``dfflibmap`` chose from the whole library (with :data:`lgnhw.asic.synth.DONT_USE`
excluded) for the bundled digits model and digits4k at K = 1 and 2, plus
``buf_1``, ``buf_2``, ``inv_2``, the tie cell ``conb_1`` and the ``_1`` size of
``and2``, ``or2``, ``o21ai`` and ``a21boi`` (ABC picked their ``_0`` size); a
random layered network mapped with the whole library uses none outside
it. ``benchmarks/make_sky130_subset.py`` rebuilds the file from the full
library with :func:`make_subset`.
"""

from __future__ import annotations

import gzip

from .liberty import load_library, read_text, trim

__all__ = ["CELLS", "make_subset", "HEADER"]

_SHORT = """
a211o_1 a211oi_1 a21bo_1 a21boi_0 a21boi_1 a21o_1 a21oi_1 a221oi_1 a222oi_1 a22o_1 a22oi_1
a2bb2oi_1 a31o_1 a31oi_1 and2_0 and2_1 and3_1 and3b_1 and4_1 buf_1 buf_2 conb_1 dfxtp_1
inv_1 inv_2 maj3_1 mux2_1 mux2i_1 nand2_1 nand2b_1 nand3_1 nand3b_1 nand4_1 nand4b_1
nor2_1 nor2b_1 nor3_1 nor3b_1 nor4_1 nor4b_1 nor4bb_1 o211a_1 o211ai_1 o21a_1 o21ai_0
o21ai_1 o21bai_1 o221ai_1 o22a_1 o22ai_1 o2bb2ai_1 o31ai_1 o32ai_1 or2_0 or2_1 or3_1
or3b_1 or4_1 or4b_1 xnor2_1 xnor3_1 xor2_1 xor3_1
"""

#: The cells of the bundled subset.
CELLS = tuple(f"sky130_fd_sc_hd__{c}" for c in _SHORT.split())

HEADER = """/*
 * Subset of sky130_fd_sc_hd__tt_025C_1v80.lib for lgnhw (lgnhw/asic/sky130.py lists the
 * cells and says how they were chosen): the library header and {n} cells, copied verbatim.
 * Copyright 2020 The SkyWater PDK Authors. Licensed under the Apache License, Version 2.0
 * (lgnhw/asic/SKY130_LICENSE, https://www.apache.org/licenses/LICENSE-2.0).
 * The original file's notice follows.
 */
"""


def make_subset(full_path, out_path) -> dict:
    """Write the subset of the full library at ``full_path`` to ``out_path`` (gzip, no
    timestamp: the same input gives the same bytes)."""
    lib = load_library(full_path, read_text(full_path))
    missing = [c for c in CELLS if not lib.has(c)]
    if missing:
        raise ValueError(f"{full_path} lacks {', '.join(missing)}")
    text = trim(lib, CELLS, HEADER.format(n=len(CELLS)))
    raw = gzip.compress(text.encode(), compresslevel=9, mtime=0)
    with open(out_path, "wb") as f:
        f.write(raw)
    return {"cells": len(CELLS), "bytes": len(text), "gzip_bytes": len(raw)}
