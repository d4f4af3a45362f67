"""A cache on disk of data derived from the files every run reads (the compiled rule packs, the
license table): plain JSON, keyed by everything the data was derived from.

Every run used to recompute the same things from the same files: rewriting and analysing the
shipped packs' expressions (about 90 ms of CPU, a git hook's budget), parsing the license
table's YAML. Their result is plain data, so it is kept in the user's cache directory
(``$XDG_CACHE_HOME/ailiance-audit/derived``, else ``~/.cache/ailiance-audit/derived``);
``AILIANCE_AUDIT_NO_CACHE=1`` turns it off.

An entry is only ever a stand-in for work that can be redone, so nothing here can fail a run:

- its key is a digest of the input file's bytes, the tool's version, the Python version, the
  source of the modules that derive the data (a development checkout changes code without
  changing version) and whatever else the caller names; a changed input is a different entry;
- the file is read as untrusted input (the directory is writable by anything running as the
  user): a regular file of the user's that no one else may write, at most
  :data:`MAX_ENTRY_BYTES`, JSON only (never pickle or code), and the digest it holds must be
  the one asked for. The caller checks the shape of the data and treats anything
  unexpected as a miss; an unreadable, truncated or foreign file is a miss, never an error;
- writes are atomic (temporary file and rename, in the directory) under a name made of hex
  digits only, so nothing is written outside the directory, and the directory is kept to
  :data:`MAX_ENTRIES` files (oldest first out; a killed writer's temporary file goes after an
  hour).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.files import write_atomic

DISABLE = "AILIANCE_AUDIT_NO_CACHE"
MAX_ENTRY_BYTES = 4 << 20
"""Largest entry read or written (the shipped packs' entries are about 100-200 KB each)."""
MAX_ENTRIES = 64
"""Entries kept in the directory; writing one more removes the oldest."""
_SUFFIX = ".json"


def directory() -> Path | None:
    """Where entries live, or None when the cache is off (``AILIANCE_AUDIT_NO_CACHE``, no home).

    ``XDG_CACHE_HOME`` counts only when absolute, as the XDG base directory specification says.
    """
    if os.environ.get(DISABLE, "") not in ("", "0"):
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        base = Path(xdg)
    else:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError, OSError):  # no home directory to speak of
            return None
    return base / "ailiance-audit" / "derived"


def digest(kind: str, data: bytes, *parts: str) -> str:
    """The key of the data derived as ``kind`` from ``data``: every ``part`` (the caller's own
    inputs: a file name, a flag, a code fingerprint) counts, as do the tool's and Python's
    versions."""
    h = hashlib.sha256()
    for part in (kind, __version__, sys.version, sys.implementation.cache_tag, *parts):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()


def code_fingerprint(files: Iterable[Path]) -> str:
    """A digest of the source of the modules that derive a kind of data (missing files count as
    empty: an installed copy without sources still has its version in every key)."""
    h = hashlib.sha256()
    for path in files:
        with contextlib.suppress(OSError):
            h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def read(key: str) -> Any | None:
    """The data stored under ``key``, or None (off, missing, unreadable, too large, not JSON,
    or written for another key). The caller must still check its shape."""
    root = directory()
    if root is None or not _is_key(key):
        return None
    try:
        # Not through a link, and never blocking: a FIFO put in an entry's place must not hang
        # the run (it is then refused as not a regular file).
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(root / (key + _SUFFIX), flags)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            if not _private(os.fstat(fh.fileno())):
                return None
            raw = fh.read(MAX_ENTRY_BYTES + 1)
        if len(raw) > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(raw)
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    return entry.get("data")


def write(key: str, data: Any) -> None:
    """Store ``data`` (JSON-able) under ``key``; any failure (read-only, full, racing writers)
    leaves the cache as it was, and the run goes on."""
    root = directory()
    if root is None or not _is_key(key):
        return
    try:
        text = json.dumps({"key": key, "data": data}, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return
    if len(text.encode("utf-8")) > MAX_ENTRY_BYTES:
        return
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        _prune(root)
        write_atomic(root / (key + _SUFFIX), text, mode=0o600, durable=False)
    except OSError:
        pass


def _prune(root: Path) -> None:
    """Remove the oldest entries so that one more keeps the directory within bounds, and the
    temporary files of writers killed mid-write (``files.write_atomic`` names them
    ``.<entry>.<hex>.tmp``) once they are an hour old."""
    entries = []
    stale = time.time() - 3600
    for path in root.iterdir():
        try:
            if path.suffix == _SUFFIX and _is_key(path.stem):
                entries.append((path.stat().st_mtime_ns, path))
            elif path.name[:1] == "." and path.suffix == ".tmp" and path.lstat().st_mtime < stale:
                path.unlink()
        except OSError:
            continue
    entries.sort()
    for _mtime, path in entries[: max(0, len(entries) - MAX_ENTRIES + 1)]:
        path.unlink(missing_ok=True)


def _private(st: os.stat_result) -> bool:
    """A regular file of ours that no one else may write: in a cache directory shared by
    mistake (``XDG_CACHE_HOME=/tmp``) another user's entry is not taken."""
    if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o022:
        return False
    getuid = getattr(os, "getuid", None)  # not on Windows, where the home is private anyway
    return getuid is None or st.st_uid == getuid()


def _is_key(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)
