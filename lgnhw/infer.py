"""``lgnhw infer``: classify vectors on a board running the lgnhw shell, over a serial port.

Speaks the host protocol of :mod:`lgnhw.boards.shell` (needs the optional
``pyserial`` package: ``pip install 'lgnhw[serial]'``). The board is first
asked for its model shape (info request) so a board running another model is
refused with a clear message instead of returning garbage. Frames are sent
in windows when replies are not longer than requests (the board keeps up),
otherwise one at a time.
"""

from __future__ import annotations

import time

import numpy as np

from .errors import LgnhwError, ToolError
from .netlist import Netlist

__all__ = ["infer", "open_port", "board_info"]

_WINDOW = 32


def open_port(port: str, baud: int = 115200, timeout: float = 2.0):
    """Open ``port`` (device path or pyserial URL) for the board protocol."""
    try:
        import serial
    except ImportError:
        raise LgnhwError("lgnhw infer needs pyserial: pip install 'lgnhw[serial]'") from None
    try:
        ser = serial.serial_for_url(port, baudrate=baud, timeout=timeout, write_timeout=timeout)
    except (serial.SerialException, ValueError, OSError) as err:
        raise ToolError(f"{port}: cannot open serial port ({err})") from None
    return ser


def _read_exact(ser, n: int, port: str, what: str) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + max(1.0, ser.timeout or 1.0) * (1 + n / 256)
    while len(data) < n and time.monotonic() < deadline:
        chunk = ser.read(n - len(data))
        if chunk:
            data += chunk
    if len(data) < n:
        raise ToolError(f"{port}: board did not answer {what} (got {len(data)} of {n} bytes); "
                        "is the lgnhw bitstream loaded and the baud rate right?")
    return bytes(data)


def board_info(ser, port: str = "board") -> dict:
    """Ask the board for its model shape: ``{"inputs", "classes", "count_width", "self_test_vectors"}``."""
    from .boards.shell import REQ_INFO
    ser.reset_input_buffer()
    ser.write(bytes([REQ_INFO]))
    raw = _read_exact(ser, 8, port, "the info request")
    if raw[0] != REQ_INFO:
        raise ToolError(f"{port}: unexpected reply 0x{raw[0]:02x} to the info request "
                        "(not an lgnhw board shell?)")
    return {"inputs": raw[1] | raw[2] << 8, "classes": raw[3], "count_width": raw[4],
            "self_test": bool(raw[5] & 1), "self_test_vectors": raw[6] | raw[7] << 8}


def infer(net: Netlist, port: str, bits: np.ndarray, *, baud: int = 115200,
          timeout: float = 2.0, ser=None) -> dict:
    """Classify ``bits`` (N, I) on the board at ``port``.

    Returns ``{"counts" (N, C), "pred" (N,), "seconds", "per_second", "board"}``.
    ``ser``: an already-open serial object (tests).
    """
    from .boards.shell import Protocol
    proto = Protocol(net)
    bits = np.asarray(bits, dtype=np.uint8)
    frames = proto.encode(bits)
    own = ser is None
    if own:
        ser = open_port(port, baud, timeout)
    try:
        info = board_info(ser, port)
        if (info["inputs"], info["classes"]) != (proto.inputs, proto.classes):
            raise LgnhwError(f"{port}: the board runs a different model ({info['inputs']} inputs, "
                             f"{info['classes']} classes; this model has {proto.inputs} inputs, "
                             f"{proto.classes} classes)")
        proto.set_count_width(info["count_width"])
        n = bits.shape[0]
        window = _WINDOW if proto.pipelined else 1
        replies = bytearray()
        t0 = time.perf_counter()
        for start in range(0, n, window):
            stop = min(n, start + window)
            ser.write(frames[start * proto.request_bytes:stop * proto.request_bytes])
            replies += _read_exact(ser, (stop - start) * proto.reply_bytes, port,
                                   f"vectors {start}..{stop - 1}")
        seconds = time.perf_counter() - t0
    finally:
        if own:
            ser.close()
    counts, pred = proto.decode(bytes(replies), n) if n else (np.zeros((0, proto.classes), np.int64),
                                                              np.zeros(0, np.int64))
    return {"counts": counts, "pred": pred, "seconds": seconds,
            "per_second": n / seconds if seconds > 0 else None, "board": info}
