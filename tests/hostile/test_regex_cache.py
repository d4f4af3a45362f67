"""Hostile entries in the cache of compiled regular expressions (``auditor.recache``): of the
wrong shape, with changed code, flags or groups, moved from another pattern or entry, huge, not
JSON. Each bad row is a miss: the pattern is compiled from its text, exactly as ``re.compile``
would, and the entry is rewritten with a good row. None is an error, and no changed code ever
reaches ``_sre`` (whose own check misses some changes: one word of a charset's skip set to 0
crashes CPython 3.11's validator)."""

from __future__ import annotations

import binascii
import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import derived, recache

pytestmark = pytest.mark.skipif(not recache.SUPPORTED, reason="an interpreter the cache skips")

PATTERN = r"\bLoraConfig\s*\(|(?P<kind>lora|peft)_config\s*=\s*(?:\{|dict\s*\()|[^\W\d]{2,}"
FLAGS = int(re.I)
OTHER = r"(?P<a>x)(?P<b>y)\d+"
TEXTS = ("LoraConfig( r=16", "peft_config = dict(", "ÉTÉ 123 xy42", "")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(derived.DISABLE, raising=False)
    (tmp_path / "xdg").mkdir()
    recache.reset()
    yield tmp_path / "xdg" / "ailiance-audit" / "derived"
    recache.reset()


def entry_path(cache: Path) -> Path:
    return cache / f"{recache.entry_key()}.json"


def good(cache: Path) -> dict[str, Any]:
    """The entry a run that compiled both patterns writes."""
    recache.compile(PATTERN, FLAGS)
    recache.compile(OTHER)
    recache.save()
    recache.reset()
    entry: dict[str, Any] = json.loads(entry_path(cache).read_text(encoding="utf-8"))
    return entry


def check(cache: Path, expected: list[Any]) -> None:
    """The pattern is what re.compile makes, and the entry is good again once saved."""
    compiled = recache.compile(PATTERN, FLAGS)
    reference = re.compile(PATTERN, FLAGS)
    assert compiled == reference and compiled.groupindex == reference.groupindex
    assert [compiled.findall(t) for t in TEXTS] == [reference.findall(t) for t in TEXTS]
    recache.compile(OTHER)
    recache.save()
    recache.reset()
    rows = json.loads(entry_path(cache).read_text(encoding="utf-8"))["data"]
    assert sorted(rows) == sorted(expected)


def _row(index: int, value: Any) -> Callable[[list[Any]], None]:
    def change(rows: list[Any]) -> None:
        rows[0][index] = value

    return change


def _code(change: Callable[[list[int]], None]) -> Callable[[list[Any]], None]:
    """Change the first row's code words, encoded as the cache encodes them (not sealed)."""

    def apply(rows: list[Any]) -> None:
        words = recache.array.array(recache._TYPECODE, binascii.a2b_base64(rows[0][5]))
        code = words.tolist()
        change(code)
        data = recache.array.array(recache._TYPECODE, code).tobytes()
        rows[0][5] = binascii.b2a_base64(data, newline=False).decode()

    return apply


def _set_word(index: int, value: int) -> Callable[[list[int]], None]:
    def change(code: list[int]) -> None:
        code[index] = value

    return change


def _other_seal(rows: list[Any]) -> None:
    """The code and seal of another pattern's row: sealed, but not for this pattern."""
    rows[0][3:] = copy.deepcopy(rows[1][3:])


WRONG: dict[str, Callable[[list[Any]], None]] = {
    "row not a list": lambda rows: rows.__setitem__(0, {"pattern": PATTERN}),
    "row too short": lambda rows: rows[0].pop(),
    "row too long": lambda rows: rows[0].append(0),
    "flags a string": _row(1, "2"),
    "flags a boolean": _row(1, True),
    "final flags with DEBUG": _row(2, 34 | re.DEBUG),
    "final flags dropped": _row(2, 0),
    "groups negative": _row(3, -1),
    "groups huge": _row(3, 10**9),
    "groups fewer": _row(3, 0),
    "names not a list": _row(4, {"kind": 1}),
    "name not an identifier": _row(4, [["1 x", 1]]),
    "name out of range": _row(4, [["kind", 7]]),
    "names twice": _row(4, [["kind", 1], ["kind", 1]]),
    "code not a string": _row(5, [14, 4, 0]),
    "code not base64": _row(5, "!!not base64!!"),
    "code not whole words": _row(5, "AAAA"),
    "code empty": _row(5, ""),
    "code huge": _row(5, "A" * (recache.MAX_CODE_WORDS * 8 + 4)),
    "seal not a string": _row(6, 0),
    "seal wrong": _row(6, "0" * 40),
    "a skip set to 0": _code(_set_word(39, 0)),  # IN skip 0: segfaults 3.11.7 _sre.compile
    "a word out of range": _code(_set_word(3, 0xFFFFFFFF)),
    "code truncated": _code(lambda code: code.__delitem__(slice(len(code) // 2, None))),
    "code of another pattern": _other_seal,
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_bad_row_is_a_miss(cache: Path, case: str) -> None:
    entry = good(cache)
    expected = copy.deepcopy(entry["data"])
    first = next(i for i, row in enumerate(entry["data"]) if row[0] == PATTERN)
    rows = entry["data"]
    rows.insert(0, rows.pop(first))
    WRONG[case](rows)
    entry_path(cache).write_text(json.dumps(entry), encoding="utf-8")
    check(cache, expected)


def test_a_row_moved_from_another_entry_is_a_miss(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row sealed under another entry key (another Python, another ``re``) is refused."""
    expected = good(cache)["data"]
    with monkeypatch.context() as patched:
        patched.setattr(recache, "_fingerprint", lambda: "another re")
        recache.reset()
        recache.compile(PATTERN, FLAGS)
        recache.compile(OTHER)
        recache.save()
        foreign = derived.read(recache.entry_key())
        recache.reset()
    assert isinstance(foreign, list) and len(foreign) == 2 and foreign != expected
    entry_path(cache).write_text(json.dumps({"key": recache.entry_key(), "data": foreign}))
    check(cache, expected)


def test_changed_code_never_reaches_sre(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded fuzzing: any byte of a row's code changed, the row is refused before ``_sre``."""
    entry = good(cache)
    handed: list[Any] = []
    monkeypatch.setattr(recache, "_make", lambda *args: handed.append(args))
    rnd = random.Random(20261202)
    for _ in range(300):
        rows = copy.deepcopy(entry["data"])
        row = rnd.choice(rows)
        data = bytearray(binascii.a2b_base64(row[5]))
        at = rnd.randrange(len(data))
        data[at] ^= rnd.randrange(1, 256)
        row[5] = binascii.b2a_base64(bytes(data), newline=False).decode()
        assert recache._build(row[0], row[1], row) is None
    assert handed == []


def test_code_sre_refuses_is_a_miss(cache: Path) -> None:
    """Code sealed as this entry would seal it (only a writer running this code could) but that
    ``_sre`` refuses: a miss, not an error."""
    expected = good(cache)["data"]
    words = recache.array.array(recache._TYPECODE, [0xDEAD, 1, 2]).tobytes()
    row = [PATTERN, FLAGS, 34, 1, [["kind", 1]]]
    row += [binascii.b2a_base64(words, newline=False).decode(), recache._seal(*row, words)]
    entry_path(cache).write_text(json.dumps({"key": recache.entry_key(), "data": [row]}))
    check(cache, expected)


RAW: dict[str, bytes] = {
    "empty": b"",
    "truncated": b'{"key": "',
    "not JSON": b"\x80\x81 code",
    "nested deeply": b"[" * 200_000,
    "data not a list": b'{"key": "KEY", "data": {"rows": []}}',
    "too many rows": b'{"key": "KEY", "data": [' + b",".join([b"[]"] * 5000) + b"]}",
}


@pytest.mark.parametrize("case", sorted(RAW))
def test_an_unreadable_entry_is_a_miss(cache: Path, case: str) -> None:
    expected = good(cache)["data"]
    entry_path(cache).write_bytes(RAW[case].replace(b"KEY", recache.entry_key().encode()))
    check(cache, expected)


def test_a_huge_entry_is_not_read(cache: Path) -> None:
    expected = good(cache)["data"]
    padding = "x" * derived.MAX_ENTRY_BYTES
    entry_path(cache).write_text(json.dumps({"key": recache.entry_key(), "data": [padding]}))
    check(cache, expected)


def test_a_writable_entry_is_not_read(cache: Path) -> None:
    """An entry others may write is refused as a whole (``derived.read``): only what this
    process compiles is kept, no error."""
    good(cache)
    entry_path(cache).chmod(0o666)
    assert recache.compile(PATTERN, FLAGS) == re.compile(PATTERN, FLAGS)
    assert recache._table == {}  # nothing read: a miss


def test_a_huge_pattern_is_not_kept(cache: Path) -> None:
    huge = "a|" * (recache.MAX_PATTERN_CHARS // 2) + "b"
    assert recache.compile(huge).fullmatch("b")
    recache.compile("small")
    recache.save()
    assert [row[0] for row in derived.read(recache.entry_key())] == ["small"]


def test_a_pattern_a_read_would_refuse_is_not_kept(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept, it would be refused and compiled again by every run: it is left to ``re``."""
    monkeypatch.setattr(recache, "MAX_GROUPS", 1)
    assert recache.compile("(a)(b)").groups == 2
    assert recache.compile("(a)b").groups == 1
    recache.save()
    assert [row[0] for row in derived.read(recache.entry_key())] == ["(a)b"]
