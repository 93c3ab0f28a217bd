"""Limits that keep a hostile model file from taking unbounded time or memory.

Every reader checks the sizes a file declares against these limits before it
allocates anything for them:

model size
    at most :func:`max_gates` gates, inputs and outputs each: 100,000,000 by
    default; the ``LGNHW_MAX_GATES`` environment variable sets another limit
    (at most 2**31 - 3, as signals are int32). A model at the limit needs
    memory in proportion: tens of bytes per gate.
file size
    a count that the file must back with bytes (an AIGER AND line, a .npy
    array, a zip member, a sum node's inputs) may not exceed what the file's
    size can hold, so memory stays in proportion to the file.
zip archives
    a central directory of at most ``MAX_ZIP_DIRECTORY`` bytes (parsing a
    million members takes seconds per open); members are inflated as streams,
    never beyond their declared size, and all members together by at most
    ``INFLATE_RATIO`` x the file's size + 1 MiB (``torch.save`` and ``.lgn``
    store members uncompressed: ratio 1).
pickles
    at most ``MAX_PICKLE_BYTES`` and ``MAX_PICKLE_OPS`` opcodes (see
    :mod:`.torch_pickle`).
JSON
    decoded with the interpreter's recursion limit as the depth limit;
    deeper nesting is a :class:`FormatError`, never a ``RecursionError``.
special files
    FIFOs, devices, sockets and directories are refused before they are
    opened (a FIFO would block forever).

Error messages never hold the repr of an untrusted object: :func:`describe`
and :func:`clip` give a short, one-line, bounded text.
"""

from __future__ import annotations

import io
import json
import lzma
import numbers
import os
import stat
import struct
import tokenize
import warnings
import zipfile
import zlib

import numpy as np

from ..errors import FormatError, LgnhwError

__all__ = ["DEFAULT_MAX_GATES", "INFLATE_RATIO", "MAX_PICKLE_BYTES", "MAX_PICKLE_OPS", "MAX_ZIP_DIRECTORY",
           "max_gates", "regular_file_size", "check_model_size", "clip",
           "describe", "one_line", "loads_json", "ZIP_ERRORS", "Archive", "OutOfMemory"]

DEFAULT_MAX_GATES = 100_000_000
_INT32_SIGNALS = (1 << 31) - 3          # signals 0, 1 are constants; a, b, outputs are int32
INFLATE_RATIO = 8
MAX_PICKLE_BYTES = 64 << 20
MAX_PICKLE_OPS = 1 << 21
MAX_ZIP_DIRECTORY = 4 << 20              # bytes: ~60,000 members (.lgn has 7, torch.save a few per tensor)
_NPY_MAX_HEADER = 10_000                 # numpy's own default max_header_size


class OutOfMemory(FormatError):
    """A file within every limit that still needs more memory than there is (a file
    of several GB, a sparse file): the last resort of :func:`~lgnhw.formats.load_model`.
    The fuzz tests count it as a failure; no limit above should let a small file get here."""


def max_gates() -> int:
    """The model-size limit: ``LGNHW_MAX_GATES`` or :data:`DEFAULT_MAX_GATES`."""
    text = os.environ.get("LGNHW_MAX_GATES", "").strip()
    if not text:
        return DEFAULT_MAX_GATES
    if not (text.isascii() and text.isdigit() and len(text) <= 12) or int(text) < 1:
        raise LgnhwError(f"LGNHW_MAX_GATES={clip(text)!r}: expected a positive integer")
    return min(int(text), _INT32_SIGNALS)


_SPECIAL = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
            (stat.S_ISSOCK, "a socket"))


def regular_file_size(path) -> int:
    """Size of the regular file at ``path``; FormatError for anything else, before opening it."""
    try:
        mode_size = os.stat(path)
    except (OSError, ValueError) as err:
        raise FormatError(path, f"cannot read: {getattr(err, 'strerror', None) or err}") from None
    for test, what in _SPECIAL:
        if test(mode_size.st_mode):
            raise FormatError(path, f"is {what}, not a model file")
    if not stat.S_ISREG(mode_size.st_mode):
        raise FormatError(path, "is not a regular file")
    return mode_size.st_size


def check_model_size(path, what: str, count: int) -> None:
    """Refuse a declared count of gates/inputs/outputs above :func:`max_gates`."""
    limit = max_gates()
    if count > limit:
        raise FormatError(path, f"declares {_count(count)} {what}, more than the limit of "
                                f"{limit:,} (set LGNHW_MAX_GATES to raise it)")


def _count(n: int) -> str:
    return f"{n:,}" if n.bit_length() <= 64 else f"about 2**{n.bit_length() - 1}"


# -- messages ------------------------------------------------------------------------

def clip(text, limit: int = 80) -> str:
    """``text`` (a str, or an object with a short str) on one line, printable, at most
    ``limit`` characters (``...`` marks a cut)."""
    text = str(text)[:4 * limit]
    text = "".join(c if c.isprintable() else " " for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe(obj) -> str:
    """A short text for an untrusted value; never its full repr (that may be huge or endless)."""
    if obj is None or isinstance(obj, bool):
        return repr(obj)
    if isinstance(obj, numbers.Integral):
        obj = int(obj)
        return str(obj) if obj.bit_length() <= 64 else f"an integer of {obj.bit_length()} bits"
    if isinstance(obj, numbers.Real):
        return clip(repr(float(obj)))
    if isinstance(obj, str):
        return repr(clip(obj, 40))
    if isinstance(obj, (bytes, bytearray, list, tuple, dict, set, frozenset)):
        return f"a {type(obj).__name__} of {len(obj)} items"
    return f"a {clip(type(obj).__name__, 40)}"


def one_line(err: BaseException) -> str:
    """``Type: message`` of an exception, clipped to one short line. An exception
    carrying other objects than short scalars (``KeyError(key)``) shows only its type."""
    plain = all(isinstance(a, (str, bytes, float)) or (isinstance(a, int) and a.bit_length() <= 64)
                for a in err.args)
    text = clip(err, 120) if plain else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def loads_json(path, data, what: str):
    """``json.loads(data)``; FormatError "malformed {what} (...)" for bad or too deeply nested JSON."""
    try:
        return json.loads(data)
    except RecursionError:
        raise FormatError(path, f"malformed {what} (JSON nested too deeply)") from None
    except ValueError as err:                      # JSONDecodeError, UnicodeDecodeError
        raise FormatError(path, f"malformed {what} ({one_line(err)})") from None


# -- zip archives --------------------------------------------------------------------

#: What a truncated, corrupt or unsupported zip archive can raise while being read.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
              UnicodeDecodeError, NotImplementedError, RuntimeError, struct.error, zlib.error,
              lzma.LZMAError, OverflowError)


def read_npy_header(f, path, what: str):
    """Read and check the header of a ``.npy`` stream ``f`` (at its start), before any data.

    Returns ``(shape, fortran_order, dtype, header_size)``; refuses, naming ``path`` and
    ``what`` (``"member x.npy"``, ``"the array"``), anything but a version 1.0/2.0 header
    of at most :data:`_NPY_MAX_HEADER` bytes with a sane shape."""
    head = f.read(8)
    if len(head) < 8 or head[:6] != b"\x93NUMPY" or head[6] not in (1, 2):
        raise FormatError(path, f"{what} is not a .npy array (version 1.0 or 2.0)")
    width = 2 if head[6] == 1 else 4
    raw_len = f.read(width)
    hlen = int.from_bytes(raw_len, "little")
    if len(raw_len) < width or hlen > _NPY_MAX_HEADER:
        raise FormatError(path, f"{what} has a malformed .npy header")
    header = raw_len + f.read(hlen)
    reader = (np.lib.format.read_array_header_1_0 if head[6] == 1
              else np.lib.format.read_array_header_2_0)
    try:
        with warnings.catch_warnings():     # numpy warns about Python 2 headers
            warnings.simplefilter("ignore")
            shape, fortran, dtype = reader(io.BytesIO(header))
    except (ValueError, SyntaxError, TypeError, KeyError, tokenize.TokenError,
            RecursionError, MemoryError) as err:
        raise FormatError(path, f"{what} has a malformed .npy header ({one_line(err)})") from None
    if len(shape) > 32 or any(not 0 <= n < 1 << 62 for n in shape):
        raise FormatError(path, f"{what} has a malformed .npy shape")
    return shape, fortran, dtype, 8 + len(header)


class Archive:
    """A zip archive read under a budget: ``INFLATE_RATIO`` x its size + 1 MiB in total.

    Every read first checks the member's declared size against the caller's
    limit and the remaining budget, then inflates it as a stream that stops
    at that size. Errors are FormatErrors naming the archive.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.budget = INFLATE_RATIO * regular_file_size(self.path) + (1 << 20)
        try:
            with open(self.path, "rb") as f:
                end = zipfile._EndRecData(f)         # the end record zipfile itself reads first
            if end is not None and end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY:
                raise FormatError(self.path, f"zip directory of {end[zipfile._ECD_SIZE]:,} bytes is larger "
                                             f"than {MAX_ZIP_DIRECTORY:,} (too many members)")
            self._zf = zipfile.ZipFile(self.path)
            self.names = [info.filename for info in self._zf.infolist()]
        except FormatError:
            raise
        except ZIP_ERRORS as err:
            raise self.corrupt(err) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._zf.close()

    def corrupt(self, err) -> FormatError:
        return FormatError(self.path, f"truncated or corrupt zip archive ({one_line(err)})")

    def size(self, name: str) -> int:
        """Declared (inflated) size of member ``name``; KeyError if there is none."""
        return self._zf.getinfo(name).file_size

    def read(self, name: str, limit: int, exact: int | None = None) -> bytearray:
        """Member ``name`` (at most ``limit`` bytes, or exactly ``exact``); KeyError if missing."""
        info = self._zf.getinfo(name)
        if exact is not None and info.file_size != exact:
            raise FormatError(self.path, f"member {clip(name)} holds {info.file_size} bytes, expected {exact}")
        if info.file_size > limit:
            raise FormatError(self.path, f"member {clip(name)} declares {info.file_size:,} bytes, "
                                         f"more than the {limit:,} it may hold")
        try:
            with self._zf.open(info) as f:
                return self._stream(f, info.file_size, name)
        except FormatError:
            raise
        except ZIP_ERRORS as err:
            raise self.corrupt(err) from None

    def _stream(self, f, size: int, name: str, chunk: int = 1 << 20) -> bytearray:
        if size > self.budget:
            raise FormatError(self.path, f"member {clip(name)} inflates to {size:,} bytes, beyond "
                                         f"{INFLATE_RATIO}x the archive's size (a zip bomb?)")
        self.budget -= size
        out = bytearray(size)
        view, pos = memoryview(out), 0
        while pos < size:
            block = f.read(min(chunk, size - pos))
            if not block:
                raise FormatError(self.path, f"member {clip(name)} is shorter than its declared "
                                             f"{size} bytes (truncated or corrupt)")
            view[pos:pos + len(block)] = block
            pos += len(block)
        return out

    def read_npy(self, name: str, accept) -> np.ndarray:
        """A ``.npy`` member as a read-only array. ``accept(dtype, shape)`` judges the
        header alone, before any data is read: it returns a problem (refused) or None.
        Object arrays are always refused; KeyError if there is no such member."""
        info = self._zf.getinfo(name)
        try:
            with self._zf.open(info) as f:
                shape, fortran, dtype, header_size = read_npy_header(f, self.path, f"member {clip(name)}")
                problem = accept(dtype, shape)
                if problem:
                    raise FormatError(self.path, problem)
                if dtype.hasobject:
                    raise FormatError(self.path, f"member {clip(name)} holds Python objects "
                                                 "(a pickle), which are never loaded")
                count = 1
                for n in shape:
                    count *= n
                nbytes = count * dtype.itemsize
                if header_size + nbytes != info.file_size:
                    raise FormatError(self.path, f"member {clip(name)} holds {info.file_size} bytes, "
                                                 f"its .npy header declares {header_size + nbytes}")
                data = self._stream(f, nbytes, name)
        except FormatError:
            raise
        except ZIP_ERRORS as err:
            raise self.corrupt(err) from None
        arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        arr.setflags(write=False)
        return arr

