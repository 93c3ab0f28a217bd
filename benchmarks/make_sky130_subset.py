"""Rebuild lgnhw/asic/sky130_fd_sc_hd__tt_025C_1v80.subset.lib.gz from the full library.

    python benchmarks/make_sky130_subset.py [FULL.lib[.gz]]

(default: ../shared/pdk/sky130_fd_sc_hd/sky130_fd_sc_hd__tt_025C_1v80.lib.gz).
"""

import sys
from pathlib import Path

from lgnhw.asic.flow import DEFAULT_LIBRARY
from lgnhw.asic.sky130 import make_subset

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT.parent / "shared" / "pdk" / "sky130_fd_sc_hd" / "sky130_fd_sc_hd__tt_025C_1v80.lib.gz"

if __name__ == "__main__":
    full = sys.argv[1] if len(sys.argv) > 1 else FULL
    print(make_subset(full, ROOT / "lgnhw" / "asic" / DEFAULT_LIBRARY))
