"""The core in standard cells: synthesis, area, static timing and energy per inference.

:func:`lgnhw.asic.flow.run` is the whole ``lgnhw asic`` flow; the modules are
its steps: :mod:`.liberty` (Liberty reader), :mod:`.synth` (yosys
``dfflibmap`` + ``abc -liberty``, the mapped netlist, parts), :mod:`.sta`
(NLDM static timing), :mod:`.activity` (cycle-based gate-level simulation
against the golden model), :mod:`.energy` (energy per inference) and
:mod:`.sky130` (the bundled library subset).
"""
