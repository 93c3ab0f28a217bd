"""Atomic, deterministic file writes.

Every file lgnhw produces is written to a temporary file in the target's
folder and renamed into place, so a crash or an error never leaves half a file
(and never destroys the previous version).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

__all__ = ["atomic_open", "read_head", "check_writable", "clean_stale_temporaries"]


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


#: Temporary files are ``.tmp-lgnhw-<pid>-<random>-<name>``: the pid tells a
#: later run whether the writer is gone (killed mid-write), so it can clean up.
_TMP_PREFIX = ".tmp-lgnhw-"


def check_writable(path) -> None:
    """Refuse an output path that cannot be written, before any work is done.

    Raises :class:`FormatError` naming the path: missing folder, a folder in
    the way, no write permission on the folder (or on the file).
    """
    from .errors import FormatError
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise FormatError(path, "cannot write: is a directory")
    if not os.path.isdir(folder):
        raise FormatError(path, f"cannot write: folder {folder} does not exist")
    if os.path.exists(path) and not _is_regular(path):
        return                                # a device or FIFO: written directly
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FormatError(path, f"cannot write: folder {folder} is not writable")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise FormatError(path, "cannot write: the file is read-only")


def _is_regular(path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                           # someone else's live process
    return True


def clean_stale_temporaries(folder) -> int:
    """Delete our own temporary files in ``folder`` whose writer process is gone."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        if not name.startswith(_TMP_PREFIX):
            continue
        pid = name[len(_TMP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))
            removed += 1
    return removed


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb"):
    """Open a temporary file next to ``path``; rename it onto ``path`` on success.

    A ``path`` that exists and is not a regular file (``/dev/null``, a FIFO,
    ``/dev/stdout``) is written directly: renaming over it would replace the
    device node. Stale temporary files of killed runs in the folder are
    removed first.
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path) and not _is_regular(path):
        with open(path, mode) as f:
            yield f
        return
    folder = os.path.dirname(os.path.abspath(path))
    clean_stale_temporaries(folder)
    fd, tmp = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-", suffix="-" + os.path.basename(path),
                               dir=folder)
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
