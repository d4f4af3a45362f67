"""parse_card never raises, stays fast, and imports nothing heavy (hypothesis + timing)."""

from __future__ import annotations

import subprocess
import sys
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditor.card as card_module
from auditor.card import parse_card
from auditor.models import CardClaims

# The guard in parse_card turns any exception into an "unreadable" problem; the properties call
# the inner parser so that a crash is a test failure, not a silently absorbed problem.
_parse = card_module._parse

MARKDOWN_BITS = st.sampled_from([
    "---", "\n", "# ", "## ", "| ", " |", "|---|---|", "**", "`", "```", "<!--", "-->", "> ",
    "- ", "* **License:** ", "Rank", " 16", " / ", "alpha", "LR 1e-5", "Adam", "AdamW",
    "fine-tuned from ", "org/name", "[x](https://h.co/a/b)", "Art. 53(1)(c)", "no web scraping",
    "1.1. Provider identification", "License chain", "apache-2.0", "CC-BY-SA-4.0", ":", "&a", "*a",
    "\r\n", "\t", "\x00", "\ufffd", "é", "—",
])  # fmt: skip
YAML_BITS = [
    "license:", " apache-2.0", " [mit, x]", " {a: b}", "\n- ", "base_model:", " 7", " ~",
    " &x [*x]", " *x", " !!python/object:os.system", "tags:", "\n  - ", "extra_gated_prompt:",
    " >-\n  text", "'", '"', ":", "\n", "[", "{", "gated: true", "language: no",
]  # fmt: skip
YAMLISH = st.lists(st.sampled_from(YAML_BITS), max_size=30).map("".join)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(text: str) -> CardClaims:
    start = time.perf_counter()
    result = _parse(text, "README.md")
    assert time.perf_counter() - start < 5.0  # a hang guard, not a speed target
    assert isinstance(result, CardClaims)
    assert all(p.location.file == "README.md" for p in result.problems)
    for claim in result.hyperparameters:
        assert claim.location.line is None or claim.location.line >= 1
    return result


@FAST
@given(st.text(max_size=3000))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data: bytes) -> None:
    _check(data.decode("utf-8", errors="replace"))


@FAST
@given(st.lists(MARKDOWN_BITS, max_size=120).map("".join))
def test_markdown_soup(text: str) -> None:
    _check(text)


@FAST
@given(YAMLISH, st.lists(MARKDOWN_BITS, max_size=40).map("".join))
def test_random_front_matter(block: str, body: str) -> None:
    card = _check(f"---\n{block}\n---\n{body}")
    assert card.present


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=500))
def test_public_api_never_raises(text: str) -> None:
    assert isinstance(parse_card(text), CardClaims)


def test_pathological_inputs_are_fast() -> None:
    inputs = [
        "|" * 200_000,
        "a" * 500_000,
        "rank " * 50_000,
        "[" * 100_000,
        "---\n" + "k: [" * 20_000 + "\n---\n",
        "1/" * 50_000,
        "* **x**: " * 20_000,
    ]
    for text in inputs:
        start = time.perf_counter()
        _check(text)
        assert time.perf_counter() - start < 2.0, text[:20]


def test_heavy_libraries_are_not_imported() -> None:
    code = (
        "import sys, auditor.card as c; c.parse_card('# x\\n| Rank | 8 |');"
        "bad = [m for m in ('mlx', 'mlx_lm', 'transformers', 'torch') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_six_kilobyte_card_parses_well_inside_a_hang_guard(seed_text: str) -> None:
    """A hang guard, not a speed target (the parse takes a few ms; bench/ times it): a pattern
    that turned super-linear on a real card would blow through it."""
    assert 5_000 < len(seed_text.encode()) < 7_000
    parse_card(seed_text)  # warm caches (compiled license table)
    runs = []
    for _ in range(5):
        # CPU time of this process: other jobs on a shared machine do not count against it.
        start = time.process_time()
        parse_card(seed_text)
        runs.append(time.process_time() - start)
    assert min(runs) < 1.0
