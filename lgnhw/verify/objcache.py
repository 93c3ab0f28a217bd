"""Reuse Verilator's design-independent runtime objects across builds.

Every Verilator build compiles ``verilated.cpp``, ``verilated_vpi.cpp`` and
``verilated_threads.cpp`` from scratch: about 25 CPU-seconds, more than a small
design itself. They do not depend on the design, so after a build they are
saved under a key naming the Verilator install, the C++ compiler and the build
flags, and copied into later build folders (made newer than their makefile, so
``make`` keeps them). Run as ``python -m lgnhw.verify.objcache restore|save
BUILD_DIR CACHE_DIR`` between Verilator's C++ generation and ``make``.

The cache folder is ``$LGNHW_CACHE_DIR/verilator`` or
``$XDG_CACHE_HOME/lgnhw/verilator`` (``~/.cache/lgnhw/verilator``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_root", "cache_key", "restore", "save"]

OBJECTS = ("verilated", "verilated_vpi", "verilated_threads")


def cache_root() -> Path:
    base = os.environ.get("LGNHW_CACHE_DIR")
    if base:
        return Path(base) / "verilator"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "lgnhw" / "verilator"


def cache_key(verilator_root: Path | None, extra: str) -> str:
    """Hash of what the runtime objects depend on, including where Verilator lives: the
    objects' dependency files name absolute paths into that install."""
    h = hashlib.sha256(extra.encode())
    if verilator_root is not None:
        h.update(os.fsencode(os.path.realpath(verilator_root)))
        for name in ("include/verilated.mk", "include/verilated.h", "include/verilated.cpp",
                     "include/verilated_vpi.cpp", "include/verilated_threads.cpp"):
            p = verilator_root / name
            h.update(name.encode())
            h.update(p.read_bytes() if p.is_file() else b"-")
    cxx = os.environ.get("CXX", "c++")
    try:
        h.update(subprocess.run([cxx, "--version"], capture_output=True, timeout=30).stdout)
    except (OSError, subprocess.SubprocessError):
        h.update(b"no-cxx")
    for var in ("CXX", "CXXFLAGS", "CPPFLAGS", "OPT_GLOBAL"):
        h.update(f"{var}={os.environ.get(var, '')}".encode())
    return h.hexdigest()[:24]


def dependencies(d_file: Path) -> list[str]:
    """The prerequisites named in a make dependency file (``target: dep dep \\ ...``)."""
    text = d_file.read_text(errors="replace").replace("\\\n", " ")
    deps = []
    for line in text.splitlines():
        if ":" in line:
            deps += line.split(":", 1)[1].split()
    return deps


def is_stale(d_file: Path) -> bool:
    """True when a cached object's dependency file names a file that no longer exists
    (the install that built it is gone): make would fail on it."""
    try:
        return any(not os.path.exists(dep) for dep in dependencies(d_file))
    except OSError:
        return True


def restore(build_dir: Path, cache_dir: Path) -> int:
    """Copy cached objects into ``build_dir`` (touched to now); return how many.

    A stale entry (see :func:`is_stale`) is deleted instead, so this build
    compiles the object afresh and ``save`` stores the new one."""
    n = 0
    for name in OBJECTS:
        src_o, src_d = cache_dir / f"{name}.o", cache_dir / f"{name}.d"
        if src_d.is_file() and is_stale(src_d):
            for p in (src_o, src_d):
                with contextlib.suppress(OSError):
                    p.unlink()
            continue
        if src_o.is_file() and src_d.is_file() and not (build_dir / f"{name}.o").exists():
            shutil.copyfile(src_d, build_dir / f"{name}.d")
            shutil.copyfile(src_o, build_dir / f"{name}.o")
            n += 1
    for name in OBJECTS:
        for ext in (".d", ".o"):
            p = build_dir / f"{name}{ext}"
            if p.exists():
                os.utime(p)
    return n


def save(build_dir: Path, cache_dir: Path) -> int:
    """Copy freshly built objects from ``build_dir`` into the cache (atomic per file)."""
    n = 0
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return 0
    for name in OBJECTS:
        for ext in (".d", ".o"):
            src, dst = build_dir / f"{name}{ext}", cache_dir / f"{name}{ext}"
            if not src.is_file() or dst.is_file():
                continue
            try:
                fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
                os.close(fd)
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
                n += 1
            except OSError:
                pass
    return n


def main(argv=None) -> int:
    action, build_dir, cache_dir = (argv or sys.argv[1:])[:3]
    try:
        if action == "restore":
            restore(Path(build_dir), Path(cache_dir))
        elif action == "save":
            save(Path(build_dir), Path(cache_dir))
        else:
            return 2
    except OSError as err:  # the cache is an optimisation; never fail a build over it
        print(f"lgnhw objcache: {action} skipped: {err}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
