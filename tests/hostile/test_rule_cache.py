"""Hostile entries in the cache of compiled rules (``auditor.derived``): truncated, of the wrong
types, huge, deeply nested, written for another file, a symlink, someone else's. Each is
ignored (the pack is compiled from its text, as if there were no entry), then replaced by a
good entry; none is an error."""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor import derived
from auditor.policy import compiled as compiled_rules
from auditor.policy.loader import builtin_dir, is_builtin, load_file

PACK = builtin_dir() / "card-hygiene.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(derived.DISABLE, raising=False)
    return tmp_path / "xdg" / "ailiance-audit" / "derived"


def entry_path(cache: Path) -> Path:
    text = PACK.read_text(encoding="utf-8").encode("utf-8")
    return cache / f"{compiled_rules.key(text, str(PACK), is_builtin(str(PACK)))}.json"


def good(cache: Path) -> dict[str, Any]:
    load_file(PACK)
    entry: dict[str, Any] = json.loads(entry_path(cache).read_text(encoding="utf-8"))
    return entry


def reference() -> list[dict[str, Any]]:
    return compiled_rules.rules_data(load_file(PACK))


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(entry: dict[str, Any]) -> None:
        node: Any = entry
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def _del(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(entry: dict[str, Any]) -> None:
        node: Any = entry
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return change


WRONG: dict[str, Callable[[dict[str, Any]], None]] = {
    "data not a list": _set(["data"], {"rules": []}),
    "rule not a mapping": _set(["data", 0], "rule"),
    "severity unknown": _set(["data", 0, "severity"], "fatal"),
    "line a string": _set(["data", 0, "line"], "3"),
    "line a boolean": _set(["data", 0, "line"], True),
    "tags not strings": _set(["data", 0, "tags"], [1, 2]),
    "extra key": _set(["data", 0, "extra"], 1),
    "missing key": _del(["data", 0, "title"]),
    "plan not a mapping": _set(["data", 0, "plan"], []),
    "program not a string": _set(["data", 0, "plan", "rows"], 42),
    "lets of the wrong arity": _set(["data", 0, "plan", "lets"], [["a"]]),
    "reads not a pair": _set(["data", 0, "plan", "reads"], [[], "yes"]),
    "paths not lists": _set(["data", 0, "plan", "paths"], ["subject"]),
    "flags not booleans": _set(["data", 0, "plan", "parts"], 0),
    "another file's rules": _set(["data", 0, "file"], "/elsewhere/pack.yaml"),
    "another key": _set(["key"], "0" * 64),
    "entry not a mapping": lambda entry: entry.clear(),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_an_entry_of_the_wrong_shape_is_ignored(cache: Path, case: str) -> None:
    entry = good(cache)
    expected = copy.deepcopy(entry["data"])
    WRONG[case](entry)
    entry_path(cache).write_text(json.dumps(entry), encoding="utf-8")
    assert compiled_rules.rules_data(load_file(PACK)) == expected
    assert json.loads(entry_path(cache).read_text(encoding="utf-8"))["data"] == expected


RAW: dict[str, bytes] = {
    "empty": b"",
    "truncated": b'{"key": "',
    "not JSON": b"\x80\x81 rules",
    "nested deeply": b"[" * 200_000,
    "a huge number": b'{"key": ' + b"9" * 10_000 + b"}",
    "NaN": b'{"key": NaN, "data": []}',
}


@pytest.mark.parametrize("case", sorted(RAW))
def test_an_unreadable_entry_is_ignored(cache: Path, case: str) -> None:
    expected = good(cache)["data"]
    entry_path(cache).write_bytes(RAW[case])
    assert compiled_rules.rules_data(load_file(PACK)) == expected
    assert json.loads(entry_path(cache).read_text(encoding="utf-8"))["data"] == expected


def test_a_huge_entry_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = good(cache)
    entry["padding"] = "x" * derived.MAX_ENTRY_BYTES
    entry_path(cache).write_text(json.dumps(entry), encoding="utf-8")
    loads: list[int] = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda raw, **kw: loads.append(len(raw)) or real(raw, **kw))
    assert compiled_rules.rules_data(load_file(PACK)) == entry["data"]
    assert all(n <= derived.MAX_ENTRY_BYTES for n in loads)


def test_a_symlinked_entry_is_neither_read_nor_written_through(
    cache: Path, tmp_path: Path
) -> None:
    expected = good(cache)
    target = tmp_path / "target.json"
    forged = dict(expected, data=[])  # would load no rule at all
    target.write_text(json.dumps(forged), encoding="utf-8")
    entry_path(cache).unlink()
    entry_path(cache).symlink_to(target)
    assert compiled_rules.rules_data(load_file(PACK)) == expected["data"]
    assert json.loads(target.read_text(encoding="utf-8")) == forged  # untouched
    assert not entry_path(cache).is_symlink()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_entry_others_may_write_is_ignored(cache: Path) -> None:
    entry = good(cache)
    forged = dict(entry, data=[])
    entry_path(cache).write_text(json.dumps(forged), encoding="utf-8")
    entry_path(cache).chmod(0o666)
    assert compiled_rules.rules_data(load_file(PACK)) == entry["data"]
    assert entry_path(cache).stat().st_mode & 0o777 == 0o600


def test_a_directory_in_place_of_an_entry_is_no_error(cache: Path) -> None:
    expected = good(cache)["data"]
    entry_path(cache).unlink()
    entry_path(cache).mkdir()
    assert compiled_rules.rules_data(load_file(PACK)) == expected
    assert reference() == expected


def test_a_forged_license_table_entry_is_ignored(cache: Path) -> None:
    """The license table's entry (``licenses.table.raw_entries``) is taken only when made of
    the data the YAML gives; one the index refuses sends the table back to the file."""
    tables = importlib.import_module("auditor.licenses.table")  # the package exports table()
    expected = tables.raw_entries(use_cache=False)
    assert tables.raw_entries() == expected  # a miss, written
    (written,) = cache.glob("*.json")
    entry = json.loads(written.read_text(encoding="utf-8"))
    deep: list[Any] = []
    for _ in range(10):
        deep = [deep]
    for forged in ([{"id": 1}], [["not a mapping"]], {"licenses": []}, [{"id": deep}]):
        written.write_text(json.dumps(dict(entry, data=forged)), encoding="utf-8")
        assert tables.raw_entries() == expected
    written.write_text(json.dumps(dict(entry, data=[{"id": "x"}])), encoding="utf-8")
    assert tables.raw_entries() == [{"id": "x"}]  # the right shape: taken...
    tables.table.cache_clear()
    try:
        assert len(tables.table().entries) == len(expected)  # ...but the index refuses it
    finally:
        tables.table.cache_clear()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_in_place_of_an_entry_does_not_block(cache: Path) -> None:
    expected = good(cache)["data"]
    fifo = entry_path(cache)
    fifo.unlink()
    os.mkfifo(fifo)
    done, rescued = threading.Event(), threading.Event()

    def rescue() -> None:
        """After 10 s, open the FIFO's other end: a blocked reader fails the test, not hangs."""
        if done.wait(10):
            return
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            rescued.set()

    helper = threading.Thread(target=rescue, daemon=True)
    helper.start()
    try:
        assert compiled_rules.rules_data(load_file(PACK)) == expected
    finally:
        done.set()
        helper.join()
    assert not rescued.is_set(), "the read blocked on the FIFO"
    assert fifo.is_file()
