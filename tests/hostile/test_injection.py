"""Card text built to inject into reports and terminals must come out inert in every format.

``hostile/injection`` carries one payload (make_corpus.PAYLOAD) in the front matter, headings,
tables, prose, adapter_config.json and the waiver file: terminal title and colour escapes (7-bit
and 8-bit C1), OSC 8 links, CR/BS overwrites, a bidi override, HTML, a javascript: link, an
@-mention, an issue reference and Markdown table/code-span breakers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .harness import Result, run_cli

TARGET = "hostile/injection"
# Raw bytes that act on a terminal or reorder displayed text. JSON formats may carry them only
# escaped (\u001b); a raw one in any report is an injection (`cat report.sarif` in xterm).
_ACTIVE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
JSON_FORMATS = ("json", "sarif", "spdx", "spdx3", "cyclonedx")
# Formats with an open bug of this kind: format -> xfail reason (strict; remove when fixed).
# sarif, spdx, spdx3 and cyclonedx wrote C1 controls and bidi overrides raw (json.dumps with
# ensure_ascii=False) until this test found it.
RAW_CONTROL_BUGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every format of one audit of the injection repo, written with --output."""
    out = tmp_path_factory.mktemp("injection")
    args = ["--verify", "header"]
    for name in ("text", "markdown", "html", *JSON_FORMATS):
        args += ["--format", name, "--output", str(out / name)]
    result = run_cli([*args, TARGET], timeout=60)
    result.assert_clean()
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}


def _params() -> list[object]:
    return [
        pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=RAW_CONTROL_BUGS[f]))
        if f in RAW_CONTROL_BUGS
        else f
        for f in ("text", "markdown", "html", *JSON_FORMATS)
    ]


@pytest.mark.parametrize("fmt", _params())
def test_no_raw_terminal_or_bidi_controls(reports: dict[str, str], fmt: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in _ACTIVE.findall(reports[fmt])})
    assert not found, f"{fmt} report carries raw control characters {found}"


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_json_formats_parse_and_keep_the_text_as_data(reports: dict[str, str], fmt: str) -> None:
    document = json.loads(reports[fmt])
    assert "PWNED-TITLE" in json.dumps(document)  # the text is reported, only made inert


def test_markdown_renders_nothing_active(reports: dict[str, str]) -> None:
    md = reports["markdown"]
    assert md.count("```") % 2 == 0, "a code fence was opened and never closed"
    prose = "".join(md.split("```")[::2])  # outside fenced blocks (Mermaid labels are entities)
    for active in ("<script", "<img", "<!--", "@ailiance-fr/admins", "#1 ", "https://evil"):
        assert active not in prose, active
    assert not re.search(r"(?<!\\)\]\(javascript:", prose), "a live javascript: link"
    assert "PWNED-TITLE" in md


def test_html_escapes_the_payload(reports: dict[str, str]) -> None:
    html = reports["html"]
    for active in ("<script>alert", "<img src=x", 'href="javascript:', "<!-- `"):
        assert active not in html, active
    assert "PWNED-TITLE" in html


def test_text_report_strips_escapes_even_with_colours_forced() -> None:
    result: Result = run_cli(
        ["--verify", "header", TARGET],
        timeout=60,
        extra_env={"FORCE_COLOR": "1", "TERM": "xterm-256color"},
    )
    result.assert_clean()
    assert "PWNED-TITLE" in result.stdout
    for escape in (
        "\x1b]",
        "\x07",
        "\x1b[2J",
        "\x1b[31mRED",
        "\x9b",
        "\x9d",
        "\r",
        "\x08",
        "\u202e",
    ):
        assert escape not in result.stdout, repr(escape)


def test_injection_repo_is_still_audited(reports: dict[str, str], tmp_path: Path) -> None:
    report = json.loads(reports["json"])
    entry = report["targets"][0]
    assert entry["status"] == "audited"
    rules = {f["rule_id"] for f in entry["findings"]}
    assert {"waiver.expired", "license.conflict-in-card"} <= rules, sorted(rules)
