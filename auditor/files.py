"""Atomic file writes, for every stage that writes a file a reader may see half-written (report
outputs, census reports, synced cards); capped reads of small files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


def write_atomic(
    path: Path, data: str | bytes, *, mode: int | None = None, durable: bool = True
) -> None:
    """Write via a temporary file in the same directory and rename it into place.

    The temporary name is chosen before the file exists, so a Ctrl-C at any point (even between
    the file's creation and the assignment of its descriptor, where ``mkstemp`` would leave it
    behind) is cleaned up by name. ``mode`` None: an ordinary file, the umask applies as for
    ``open()``; otherwise exactly that mode (e.g. a card's own). ``durable`` False skips the
    fsync: for caches, which a crash may lose but never half-write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"  # secrets.token_hex(6)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_capped(fh: BinaryIO, limit: int) -> bytes:
    """``fh.read(limit)`` without its ``limit``-sized buffer: Python allocates the whole size
    asked for before reading (8 MB per card read, then shrunk), which costs more than reading a
    small file. The file's size sizes the read; a file grown since is read on up to ``limit``."""
    size = os.fstat(fh.fileno()).st_size
    if size >= limit:
        return fh.read(limit)
    data = fh.read(size + 1)
    return data if len(data) <= size else data + fh.read(limit - len(data))
