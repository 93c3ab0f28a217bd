"""Two-level collapse.

Any function of two signals is one of the 16 gates. A gate whose inputs, one
level down, read only two distinct signals (``g(f(p, q), q)``,
``g(f(p, q), h(q, p))``, ...) is rewritten as a single gate on those two
signals; the inner gates die when nothing else reads them. Trained LGNs are
full of such pairs (a gate combining a neighbour with one of its inputs).
"""

from ..netlist import Netlist
from .rewrite import rewrite_swept


def collapse(net: Netlist) -> Netlist:
    return rewrite_swept(net, collapse=True)
