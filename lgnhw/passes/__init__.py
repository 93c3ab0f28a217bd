"""Function-preserving optimisation passes over the Netlist IR.

Each pass is a pure function ``Netlist -> Netlist``; :func:`optimize` runs the
explicit :data:`PIPELINE` to a fixpoint and reports per-pass statistics.
"""

from .collapse import collapse
from .const_fold import const_fold
from .dead_gates import dead_gates
from .passthrough import passthrough
from .pipeline import PIPELINE, optimize
from .strash import strash

__all__ = ["PIPELINE", "optimize", "dead_gates", "const_fold", "passthrough", "strash", "collapse"]
