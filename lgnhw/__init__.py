"""lgnhw: compile trained logic gate networks into verified FPGA hardware."""

from .errors import LgnhwError, FormatError, NetlistError, ToolError, BuildError
from .netlist import Netlist
from .formats import load_model, read_lgn, write_lgn
from .golden import predict, class_counts, encode_inputs

__all__ = [
    "LgnhwError", "FormatError", "NetlistError", "ToolError", "BuildError",
    "Netlist", "load_model", "read_lgn", "write_lgn",
    "predict", "class_counts", "encode_inputs",
]
__version__ = "0.1.0"
