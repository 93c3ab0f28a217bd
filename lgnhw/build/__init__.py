"""Board builds and synthesis estimates: netlist -> bitstream or vendor project + report.

:mod:`.driver` runs every family the same way; one small flow per family
says what differs: :mod:`.ice40`, :mod:`.ecp5`, :mod:`.gowin` (open
toolchains, place and route here) and :mod:`.vendor` (Xilinx and Intel
projects, estimated here with yosys). :mod:`.run` runs one tool with its log
and progress; :mod:`.model` picks the model and the self-test vectors.
"""

from .driver import FLOWS, build_board, estimate, report_table
from .model import default_model_path, load_model_or_default, self_test_set

__all__ = ["FLOWS", "build_board", "estimate", "report_table", "default_model_path",
           "load_model_or_default", "self_test_set"]
