"""Design-space sweeps: one board build per (board, K, seed) point, run as Dask tasks.

* :mod:`.points`: the points of a sweep and the folder that stores them (resume);
* :mod:`.task`: what a worker runs for one point (``.lgn`` bytes in, report and
  bitstream out);
* :mod:`.runner`: the Dask side (LocalCluster or an existing scheduler,
  results streamed as they finish);
* :mod:`.pareto`: Pareto fronts and the best design per board;
* :mod:`.plots`: the plots (matplotlib);
* :mod:`.table`: the human-readable table of the CLI.

Only :mod:`.runner` and :mod:`.plots` need the ``cluster`` extra
(dask.distributed, matplotlib), and they import it when called.
"""

from .pareto import best, front
from .points import DONE_STATUSES, REPORT_KEYS, STATUSES, VOLATILE_KEYS, Point, Store, grid
from .runner import CONNECT_TIMEOUT, require_cluster, run_sweep
from .table import sweep_table

__all__ = ["Point", "Store", "grid", "run_sweep", "require_cluster", "front", "best", "sweep_table",
           "REPORT_KEYS", "STATUSES", "DONE_STATUSES", "VOLATILE_KEYS", "CONNECT_TIMEOUT"]
