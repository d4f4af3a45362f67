"""The cache of compiled regular expressions (``auditor.recache``) gives back what ``re.compile``
gives: the same code (``re.Pattern`` equality compares it), groups, group names and flags, and
the same matches; it reads its entry once per process, writes it only when a pattern was
missing, and stands aside when it is off or the pattern is not a plain ``str`` one."""

from __future__ import annotations

import gc
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import derived, lazyre, recache

pytestmark = pytest.mark.skipif(not recache.SUPPORTED, reason="an interpreter the cache skips")

SAMPLES = (
    "", "a", "Apache-2.0 licensed, fine-tuned from meta-llama/Llama-3.1-8B",
    "learning_rate: 2e-4\nbatch size 32, 3 epochs\n", "ÉTÉ straße ΣΑΣ ǅ İı", "x" * 40,
    "<b>LoRA</b> r=16 alpha=32 https://huggingface.co/org/model", "  \t\n(a)[b]{c}",
)  # fmt: skip


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache directory of the test's own, and a module that has read nothing yet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(derived.DISABLE, raising=False)
    (tmp_path / "xdg").mkdir()  # as a user's ~/.cache: the cache makes only its own folders
    recache.reset()
    yield tmp_path / "xdg" / "ailiance-audit" / "derived"
    recache.reset()


def next_process() -> None:
    """What a run's exit and the next run's start do."""
    recache.save()
    recache.reset()


def same(cached: re.Pattern[str], pattern: str, flags: int) -> None:
    expected = re.compile(pattern, flags)
    assert cached == expected  # flags, pattern and the compiled code itself
    assert (cached.groups, cached.groupindex, cached.flags, cached.pattern) == (
        expected.groups, expected.groupindex, expected.flags, expected.pattern,
    )  # fmt: skip
    for text in SAMPLES:
        assert [m.span(0) for m in cached.finditer(text)] == [
            m.span(0) for m in expected.finditer(text)
        ]
        assert cached.findall(text) == expected.findall(text)
        assert cached.split(text) == expected.split(text)
        found, want = cached.search(text), expected.search(text)
        assert (found and found.groupdict()) == (want and want.groupdict())
        assert (found and found.regs) == (want and want.regs)


def tool_patterns() -> list[tuple[str, int]]:
    """Every pattern the tool defers (``lazy``), its card parser's first among them."""
    for name in ("auditor.card", "auditor.facts", "auditor.compute_text", "auditor.formats.rules"):
        importlib.import_module(name)
    found = {
        (obj.pattern, int(obj._flags))
        for obj in gc.get_objects()
        if type(obj).__name__ == "_Deferred" and type(obj).__module__ == lazyre.__name__
    }
    return sorted(found)


def test_every_pattern_of_the_tool_comes_back_as_re_compiles_it(cache: Path) -> None:
    patterns = tool_patterns()
    assert len(patterns) > 100
    for pattern, flags in patterns:
        recache.compile(pattern, flags)
    next_process()
    stored = derived.read(recache.entry_key())
    assert isinstance(stored, list) and len(stored) == len(patterns)
    for pattern, flags in patterns:
        same(recache.compile(pattern, flags), pattern, flags)


def test_a_hit_does_not_parse(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recache.compile(r"(?P<n>\d+)\s*epochs?", re.I)
    next_process()

    parse = recache._parser.parse

    def refuse(pattern: Any, *args: Any) -> Any:
        assert pattern != r"(?P<n>\d+)\s*epochs?", "parsed again"
        return parse(pattern, *args)

    with monkeypatch.context() as patched:
        patched.setattr(recache._parser, "parse", refuse)
        cached = recache.compile(r"(?P<n>\d+)\s*epochs?", re.I)
    same(cached, r"(?P<n>\d+)\s*epochs?", re.I)


_ATOMS = st.sampled_from(
    ["a", "b", "ab", ".", r"\d", r"\w", r"\s", r"\b", "[a-c]", "[^x ]", r"[\w-]", "é", "Σ", "ß",
     "^", "$", r"\.", "(?:ab|c)", "(x)", "(?P<g>y)", "(?=a)", "(?<!b)", "(?i:k)", "[İı]"]
)  # fmt: skip
_FLAGS = st.sampled_from(
    [0, int(re.I), int(re.M), int(re.S), int(re.X), int(re.A), int(re.I | re.M)]
)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    repeats = st.sampled_from(["", "*", "+", "?", "{2,3}", "*?", "+?", "{1,}"])
    atoms = draw(st.lists(_ATOMS, min_size=1, max_size=6))
    text = "".join(atom + draw(repeats) for atom in atoms)
    if draw(st.booleans()):
        text = f"{text}|{draw(_ATOMS)}"
    if text.count("(?P<g>") > 1:
        text = text.replace("(?P<g>", "(", text.count("(?P<g>") - 1)
    return text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pattern=patterns(), flags=_FLAGS)
def test_a_cached_pattern_behaves_as_re_compiles_it(cache: Path, pattern: str, flags: int) -> None:
    try:
        re.compile(pattern, flags)
    except re.error:
        with pytest.raises(re.error):
            recache.compile(pattern, flags)
        return
    same(recache.compile(pattern, flags), pattern, flags)  # compiled here
    next_process()
    same(recache.compile(pattern, flags), pattern, flags)  # from the entry


def test_the_entry_is_read_once_and_written_only_when_a_pattern_was_missing(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    writes: list[str] = []
    read, write = derived.read, derived.write
    monkeypatch.setattr(derived, "read", lambda key: reads.append(key) or read(key))
    monkeypatch.setattr(derived, "write", lambda key, data: writes.append(key) or write(key, data))
    for n in range(20):
        recache.compile(f"a{{{n}}}b")
    next_process()
    assert (len(reads), len(writes)) == (1, 1)
    for n in range(20):
        recache.compile(f"a{{{n}}}b")
    next_process()
    assert (len(reads), len(writes)) == (2, 1)  # all hits: nothing to write
    recache.compile("new")
    next_process()
    assert (len(reads), len(writes)) == (3, 2)
    assert len(json.loads(next(cache.glob("*.json")).read_text())["data"]) == 21


def test_off_unsupported_or_invalid_goes_to_re_compile(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert recache.compile("x+", re.DEBUG | re.I) == re.compile("x+", re.DEBUG | re.I)
    assert "LITERAL" in capsys.readouterr().out  # DEBUG's listing: re.compile's own work
    assert recache.compile("x+", re.I) is not re.compile("x+", re.I)  # a str pattern: cached
    with pytest.raises(re.error):
        recache.compile("(unclosed")
    with pytest.raises(ValueError):
        recache.compile("a", re.A | re.U)
    monkeypatch.setenv(derived.DISABLE, "1")
    recache.reset()
    assert recache.compile("y+") is re.compile("y+")
    next_process()
    assert not cache.exists()


def test_no_cache_home_is_created_at_exit(cache: Path) -> None:
    recache.compile("z+")
    cache.parent.parent.rmdir()  # a test session's home, removed before the interpreter exits
    next_process()
    assert not cache.parent.parent.exists()


def test_the_entry_keeps_at_most_max_patterns(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recache, "MAX_PATTERNS", 5)
    for n in range(8):
        recache.compile(f"p{n}")
    next_process()
    stored = derived.read(recache.entry_key())
    assert [row[0] for row in stored] == ["p3", "p4", "p5", "p6", "p7"]  # the latest


def test_lazy_answers_as_a_pattern(cache: Path) -> None:
    deferred = lazyre.lazy(r"(?P<name>[a-z]+)-(\d+)", re.I)
    assert deferred.pattern == r"(?P<name>[a-z]+)-(\d+)"
    assert (deferred.groups, deferred.groupindex) == (2, {"name": 1})
    assert deferred.flags == re.compile(r"(?P<name>[a-z]+)-(\d+)", re.I).flags
    assert deferred.sub(r"\2", "Ab-12 x-3") == "12 3"
