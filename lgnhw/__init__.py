"""lgnhw: compile trained logic gate networks into verified FPGA hardware.

The library in one screen::

    net = lgnhw.load_model("model.pt")        # .lgn, difflogic, torchlogix JSON, AIGER, BLIF
    opt, stats = lgnhw.optimize(net)          # function-preserving passes
    counts, pred = lgnhw.predict(opt, bits)   # golden model
    lgnhw.emit(opt, "core.v")                 # pipelined Verilog core
    lgnhw.equivalent(net, opt)                # SAT / exhaustive proof

The Amaranth core is ``lgnhw.gateware.LgnCore``; cocotb verification is
``lgnhw.verify.simulate``; board builds are ``lgnhw.build``.
"""

from .conv import ConvLGNBuilder
from .equiv import equivalent
from .errors import BuildError, FormatError, LgnhwError, NetlistError, ToolError
from .formats import load_model, read_lgn, write_lgn
from .golden import class_counts, encode_inputs, predict
from .netlist import Netlist
from .passes import optimize

__all__ = [
    "LgnhwError", "FormatError", "NetlistError", "ToolError", "BuildError",
    "Netlist", "load_model", "read_lgn", "write_lgn",
    "optimize", "predict", "class_counts", "encode_inputs",
    "emit", "equivalent", "ConvLGNBuilder",
]
__version__ = "0.1.0"


def __getattr__(name):
    # emit pulls in Amaranth (~0.3 s); load it on first use, not on `import lgnhw`.
    if name == "emit":
        from .emit import emit
        return emit
    raise AttributeError(f"module 'lgnhw' has no attribute {name!r}")
