"""Progress of a long command on stderr: a live line on a terminal, plain lines elsewhere.

The library reports progress through a callable taking one message
(``progress("synthesis (yosys top.ys)")``); :class:`Progress` is the one the
CLI passes:

* stderr is a terminal: one live status line, redrawn four times a second
  with a spinner and the elapsed time, replaced by each new message and
  cleared at the end;
* stderr is not a terminal (CI, ``nohup``, notebooks): one line per step that
  is still running after ``min_seconds`` (1 s), ``lgnhw: [  12.3 s]
  synthesis (yosys top.ys)`` with the time the step started; quick steps stay
  silent, so a command that fails early prints only its one error line;
* ``quiet``: nothing.

Long tool runs add a message of their own every half minute (see
:func:`lgnhw.build.run.run_step`), so a 20-minute place and route is visibly
alive in both forms.
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["Progress"]

_SPINNER = "|/-\\"


class Progress:
    """Callable progress reporter; use as a context manager around the command."""

    def __init__(self, *, quiet: bool = False, stream=None, live: bool | None = None,
                 prefix: str = "lgnhw", refresh: float = 0.25, min_seconds: float = 1.0):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        if live is None:
            isatty = getattr(self.stream, "isatty", None)
            live = bool(isatty and isatty())
        self.live = live and not quiet
        self.prefix = prefix
        self.refresh = refresh
        self.min_seconds = min_seconds
        self.start = time.perf_counter()
        self._message = ""
        self._since = 0.0            # elapsed time when the current message arrived
        self._printed = True         # plain mode: the current message has been written
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        with self._lock:
            self._message, self._since, self._printed = message, self.elapsed(), False
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="lgnhw-progress", daemon=True)
            self._ticker.start()
        if self.live:
            self._draw()
        elif self.min_seconds <= 0:
            self._print_pending()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh if self.live else min(0.1, self.refresh)):
            if self.live:
                self._draw()
            elif self.elapsed() - self._since >= self.min_seconds:
                self._print_pending()

    def _print_pending(self) -> None:
        with self._lock:
            if self._printed:
                return
            self._printed = True
            line = f"{self.prefix}: [{self._since:7.1f} s] {self._message}\n"
        self._write(line)

    def _draw(self) -> None:
        with self._lock:
            spin = _SPINNER[int(self.elapsed() / self.refresh) % len(_SPINNER)]
            line = f"{self.prefix}: {spin} [{self.elapsed():6.0f} s] {self._message}"
            self._write("\r\x1b[K" + line[:max(20, _columns() - 1)])

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):      # a closed or broken stderr never fails a command
            pass

    def close(self) -> None:
        """Stop the live line and clear it (plain output needs nothing)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
            if self.live:
                self._write("\r\x1b[K")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _columns() -> int:
    import shutil
    return shutil.get_terminal_size((100, 24)).columns
