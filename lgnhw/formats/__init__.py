"""Model file formats. :func:`load_model` detects the format by content.

Every reader treats its file as untrusted: sizes are checked against the
limits of :mod:`.limits` before anything is allocated, and every problem is a
one-line :class:`~lgnhw.errors.FormatError` naming the file."""

from __future__ import annotations

import os

from ..errors import FormatError
from ..fileio import read_head
from ..netlist import Netlist
from .lgn import HEADER, read_lgn, write_lgn
from .limits import Archive, OutOfMemory, regular_file_size

__all__ = ["load_model", "detect_format", "read_lgn", "write_lgn"]


def detect_format(path) -> str:
    """Name of the format of the file at ``path``, judged by its bytes, not its name.

    Anything but a regular file (a FIFO, a device, a directory) is refused
    before it is opened."""
    path = os.fspath(path)
    regular_file_size(path)
    head = read_head(path, 4096)
    if head.startswith(b"PK"):
        with Archive(path) as zf:
            names = zf.names
        if HEADER in names:
            return "lgn"
        if any(n.endswith("data.pkl") for n in names):
            return "torch"
        raise FormatError(path, "zip archive is neither a .lgn file nor a torch checkpoint")
    if head[:1] == b"\x80":
        return "torch"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        from .torchlogix import is_torchlogix_json
        if is_torchlogix_json(path):
            return "torchlogix"
        raise FormatError(path, "JSON file is not a torchlogix circuit "
                                "(no 'gates' with 'n_inputs' or 'sum_nodes' keys)")
    from .aiger import is_aiger
    from .blif import is_blif
    if is_aiger(head):
        return "aiger"
    if is_blif(head):
        return "blif"
    raise FormatError(path, "unrecognised model format (expected .lgn, a torch.save checkpoint, "
                            "torchlogix JSON, AIGER or BLIF)")


def load_model(path, **options) -> Netlist:
    """Load any supported model file into a checked :class:`Netlist`.

    The readers check declared sizes before they allocate (:mod:`.limits`);
    memory still grows with the file's own size, so a file larger than the
    memory available (under ``ulimit -v``, say) ends in :class:`~.limits.OutOfMemory`,
    a one-line FormatError, rather than a MemoryError traceback."""
    fmt = detect_format(path)
    try:
        return _read(fmt, path, options)
    except MemoryError:
        raise OutOfMemory(path, f"not enough memory to load this {regular_file_size(path):,}-byte "
                                f"{fmt} file") from None


def _read(fmt, path, options) -> Netlist:
    if fmt == "lgn":
        if options.get("wiring") is not None:
            raise FormatError(path, "a wiring file only applies to difflogic state_dict checkpoints, not to .lgn models")
        net = read_lgn(path)
    elif fmt in ("aiger", "blif"):
        if options.pop("wiring", None) is not None:
            raise FormatError(path, f"a wiring file only applies to difflogic state_dict checkpoints, not to {fmt.upper()} files")
        from .aiger import read_aiger
        from .blif import read_blif
        net = (read_aiger if fmt == "aiger" else read_blif)(path, **options)
    elif fmt == "torchlogix":
        if options.pop("wiring", None) is not None:
            raise FormatError(path, "a wiring file only applies to difflogic state_dict checkpoints, not to torchlogix circuits")
        from .torchlogix import read_torchlogix
        net = read_torchlogix(path, **options)
    else:
        from .difflogic import read_checkpoint
        net = read_checkpoint(path, **options)
    return net
