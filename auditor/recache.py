"""Compiled regular expressions kept between runs, in the cache of derived data
(``auditor.derived``).

A card-only audit compiles about 110 of the tool's own patterns, mostly the card parser's
(deferred by ``auditor.lazyre``), and compiling is pure Python: ``re._parser.parse`` and
``re._compiler._code`` turn the pattern into a list of integers, which ``_sre.compile`` (C)
wraps as an ``re.Pattern``. Those two steps cost about 45 ms of CPU (docs/speed.md), with the
same result every run. A compiled pattern cannot be stored, but the list of integers can: it
is kept here (with the groups, group names and final flags ``_sre.compile`` also takes), and a
later run hands it straight to ``_sre.compile``, which is what ``re._compiler.compile`` itself
ends with in CPython 3.11 to 3.13 (the same call in each).

The cache is never trusted beyond what produced it:

- the entry's key holds the Python build (``sys.version``, byte order, ``_sre.MAGIC`` and
  ``CODESIZE``), the source of the ``re`` compiler and of this module, and the tool's version;
  each pattern is found by its exact text and flags. Another interpreter (not CPython, or a
  version whose ``re`` this module has not been checked against) always uses ``re.compile``;
- the file is untrusted input (``derived.read``: owner, mode, size, JSON only). A row of the
  wrong shape, out of bounds, whose seal (:func:`_seal`) does not match, or whose code
  ``_sre.compile`` refuses is a miss: the pattern is compiled as usual and the entry rewritten.
  The seal keeps damaged and foreign rows from ``_sre``, whose own check of the code misses
  some changes; it is no secret: someone who can run code as the user can forge a row, as
  they could rewrite a rule-pack entry or the user's shell start-up files;
- the entry is read once per process, when the first pattern is asked for, and written once,
  at exit, only when this process compiled a pattern the entry lacked (atomic write). The
  codes are stored as base64 of their native machine words: decoding one is a few
  microseconds of C, where JSON lists of integers cost a parse per number.

Only ``str`` patterns with the ordinary flags come here; anything else goes to ``re.compile``.
"""

from __future__ import annotations

import array
import atexit
import binascii
import hashlib
import importlib
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor import derived

KIND = "re-code"
MAX_PATTERNS = 2048
"""Patterns kept in the entry (the tool's own, a few hundred; the oldest go first)."""
MAX_PATTERN_CHARS = 1 << 16
MAX_CODE_WORDS = 1 << 16
"""Largest code kept or taken, in words (the tool's largest is about 2 100)."""
MAX_GROUPS = 1000

_FLAGS = int(re.I | re.L | re.M | re.S | re.U | re.X | re.A)
"""The flags a pattern may be compiled with here (not DEBUG, not the deprecated TEMPLATE)."""

try:  # the private parts of ``re`` this module reads (no stubs); their absence means "not here"
    _sre: Any = importlib.import_module("_sre")
    _compiler: Any = importlib.import_module("re._compiler")
    _constants: Any = importlib.import_module("re._constants")
    _parser: Any = importlib.import_module("re._parser")

    _TYPECODE = next(t for t in "IL" if array.array(t).itemsize == _sre.CODESIZE)
    SUPPORTED = sys.implementation.name == "cpython" and (3, 11) <= sys.version_info < (3, 14)
except (ImportError, AttributeError, StopIteration):  # pragma: no cover - other interpreters
    SUPPORTED = False

_table: dict[tuple[str, int], list[Any]] | None = None
"""The rows read from the entry, by pattern and flags; None until the first pattern."""
_rows: dict[tuple[str, int], list[Any]] = {}
"""The rows to write: the valid ones read, then the ones compiled here."""
_compiled: dict[tuple[str, int], re.Pattern[str]] = {}
"""The patterns built in this process (as ``re.compile``'s own cache)."""
_dirty = False


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the cache when it holds the pattern's code."""
    flags = int(flags)
    if not SUPPORTED or type(pattern) is not str or flags & ~_FLAGS:
        return re.compile(pattern, flags)
    table = _load()
    if table is None:  # the cache is off
        return re.compile(pattern, flags)
    key = (pattern, flags)
    compiled = _compiled.get(key)
    if compiled is not None:
        return compiled
    row = table.get(key)
    if row is not None:
        compiled = _build(pattern, flags, row)
    if compiled is None:
        try:
            compiled, row = _compile(pattern, flags)
        except Exception:
            return re.compile(pattern, flags)
        _remember(key, row)
    _compiled[key] = compiled
    return compiled


def _compile(pattern: str, flags: int) -> tuple[re.Pattern[str], list[Any]]:
    """``re._compiler.compile``'s steps, keeping what ``_sre.compile`` is handed as a row."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    state = parsed.state
    groupindex = {str(k): int(v) for k, v in state.groupdict.items()}
    names: list[list[Any]] = sorted([k, v] for k, v in groupindex.items())
    final, groups = flags | state.flags, state.groups - 1
    compiled = _make(pattern, final, code, groups, groupindex)
    words = array.array(_TYPECODE, code).tobytes()
    text = binascii.b2a_base64(words, newline=False).decode("ascii")
    seal = _seal(pattern, flags, final, groups, names, words)
    return compiled, [pattern, flags, final, groups, names, text, seal]


def _make(
    pattern: str, final: int, code: list[int], groups: int, groupindex: dict[str, int]
) -> re.Pattern[str]:
    """What ``re._compiler.compile`` returns for this code (the same call)."""
    indexgroup: list[str | None] = [None] * (groups + 1)
    for name, index in groupindex.items():
        indexgroup[index] = name
    compiled: re.Pattern[str] = _sre.compile(
        pattern, final, code, groups, groupindex, tuple(indexgroup)
    )
    return compiled


def _build(pattern: str, flags: int, row: Any) -> re.Pattern[str] | None:
    """The pattern from a stored row, or None when the row is not exactly the shape
    :func:`_compile` makes, its seal does not match, or ``_sre`` refuses its code."""
    if type(row) is not list or len(row) != 7:
        return None
    text, row_flags, final, groups, names, code, seal = row
    if text != pattern or row_flags != flags or type(final) is not int or type(groups) is not int:
        return None
    if final & ~_FLAGS or final & flags != flags or not 0 <= groups <= MAX_GROUPS:
        return None
    groupindex = _names(names, groups)
    if groupindex is None or type(code) is not str or type(seal) is not str:
        return None
    if len(code) > MAX_CODE_WORDS * 2 * _sre.CODESIZE:
        return None
    try:
        words = binascii.a2b_base64(code, strict_mode=True)
    except (ValueError, binascii.Error):
        return None
    if not words or len(words) % _sre.CODESIZE or len(words) > MAX_CODE_WORDS * _sre.CODESIZE:
        return None
    if seal != _seal(pattern, flags, final, groups, names, words):
        return None
    try:
        return _make(pattern, final, array.array(_TYPECODE, words).tolist(), groups, groupindex)
    except (RuntimeError, TypeError, ValueError, OverflowError, MemoryError):
        return None  # "invalid SRE code" is a RuntimeError


def _seal(pattern: str, flags: int, final: int, groups: int, names: Any, words: bytes) -> str:
    """A digest of a row, keyed by the entry's key. ``_sre``'s check of the code it is given
    does not catch everything (one word of a code changed can crash 3.11's validator), so a row
    that is not byte for byte what a run with this entry key wrote never reaches it: a damaged,
    truncated, spliced or hand-edited row, or one moved from another entry. Not a secret: it
    stops accidents and foreign files, not someone who can run code as the user."""
    h = hashlib.blake2b(key=entry_key().encode("ascii"), digest_size=20)
    h.update(b"%d %d %d " % (flags, final, groups) + repr(names).encode() + b"\0")
    h.update(pattern.encode("utf-8", "surrogatepass") + b"\0")
    h.update(words)
    return h.hexdigest()


def _names(names: Any, groups: int) -> dict[str, int] | None:
    """The group names of a row: [name, index] pairs, names distinct identifiers, indexes distinct
    and within the groups."""
    if type(names) is not list:
        return None
    out: dict[str, int] = {}
    for pair in names:
        if type(pair) is not list or len(pair) != 2:
            return None
        name, index = pair
        if type(name) is not str or not name.isidentifier() or type(index) is not int:
            return None
        if not 1 <= index <= groups or name in out or index in out.values():
            return None
        out[name] = index
    return out


def _load() -> dict[tuple[str, int], list[Any]] | None:
    """The entry's rows, read once per process (an empty table when there is no entry)."""
    global _table
    if _table is not None:
        return _table
    if derived.directory() is None:
        return None
    data = derived.read(entry_key())
    table: dict[tuple[str, int], list[Any]] = {}
    if isinstance(data, list) and len(data) <= MAX_PATTERNS:
        for row in data:
            if (
                type(row) is list and len(row) == 7 and type(row[0]) is str
                and type(row[1]) is int and len(row[0]) <= MAX_PATTERN_CHARS
            ):  # fmt: skip
                table[row[0], row[1]] = row
    _table = table
    return table


def _remember(key: tuple[str, int], row: list[Any]) -> None:
    """Keep a row compiled here for the entry, written at exit; not one a later read would
    refuse (too long, too many groups), which would be compiled and written again every run."""
    global _dirty
    if len(key[0]) > MAX_PATTERN_CHARS or _build(key[0], key[1], row) is None:
        return
    if not _dirty:
        assert _table is not None
        # the rows read that still stand (a row that failed is replaced or dropped)
        _rows.update((k, r) for k, r in _table.items() if _build(k[0], k[1], r) is not None)
        atexit.register(save)
        _dirty = True
    _rows.pop(key, None)
    _rows[key] = row


def save() -> None:
    """Write the entry if this process compiled patterns it lacked. Run at exit, so the cache's
    base directory (``$XDG_CACHE_HOME``) is not created here: one removed before the interpreter
    exits (a test session's temporary home) must not come back."""
    global _dirty
    root = derived.directory()
    if not _dirty or root is None or not root.parent.parent.is_dir():
        return
    _dirty = False
    rows = list(_rows.values())[-MAX_PATTERNS:]
    derived.write(entry_key(), rows)


@lru_cache(maxsize=1)
def entry_key() -> str:
    """The key of the entry for this interpreter, its ``re`` and this module."""
    build = f"{sys.byteorder} {_sre.MAGIC} {_sre.CODESIZE} {sys.maxunicode}"
    return derived.digest(KIND, b"", build, _fingerprint())


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    files = [Path(__file__)]
    files += [Path(m.__file__) for m in (_parser, _compiler, _constants) if m.__file__]
    return derived.code_fingerprint(files)


def reset() -> None:
    """Forget what was read and compiled (tests: another cache directory, a fresh process)."""
    global _table, _dirty
    _table = None
    _rows.clear()
    _compiled.clear()
    entry_key.cache_clear()
    _dirty = False
