"""Atomic, deterministic file writes.

Every file lgnhw produces is written to a temporary file in the target's
folder and renamed into place, so a crash or an error never leaves half a file
(and never destroys the previous version).
"""

from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_open", "read_head"]


def read_head(path, size: int) -> bytes:
    """The first ``size`` bytes of a model file, for format sniffing.

    Raises :class:`FormatError` naming the file when it cannot be read or is empty.
    """
    from .errors import FormatError
    try:
        with open(path, "rb") as f:
            head = f.read(size)
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    if not head:
        raise FormatError(path, "file is empty")
    return head


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb"):
    """Open a temporary file next to ``path``; rename it onto ``path`` on success."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
