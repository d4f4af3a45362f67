"""Markdown: golden files, layout, the Mermaid graph, and hostile card text rendered inert.

Inertness is checked by parsing the output with markdown-it-py (CommonMark + GFM tables, HTML
enabled, so raw HTML would show up as tokens), plus checks for what GitHub adds on top of
CommonMark: @-mentions, issue references, extended autolinks and ``$`` math.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from format_cases import HOSTILE, HOSTILE_ID, adapter_report, hostile_report, unresolved_report
from markdown_it import MarkdownIt
from markdown_it.token import Token

from auditor.formats import base
from auditor.models import AuditReport

# What may appear inside the generated Mermaid block, line by line (labels are entity-encoded).
_LABEL = r'"[A-Za-z0-9 ._/+:,=()#;-]*<br/>[A-Za-z0-9 ._/+:,=()#;-]*"'
_MERMAID_LINES = [
    re.compile(r"graph LR"),
    re.compile(rf"  n\d+(\[\[{_LABEL}\]\]|\[\({_LABEL}\)\]|\[{_LABEL}\])"),
    re.compile(r"  n\d+ (-->|-\.->)\|[a-z_]+\| n\d+"),
    re.compile(r"  classDef (sev_error|sev_warning|sev_note|unresolved) [a-z0-9:#,. -]+"),
    re.compile(r"  class n\d+(,n\d+)* (sev_error|sev_warning|sev_note|unresolved)"),
    re.compile(r"  linkStyle \d+ stroke:#[0-9a-f]{6},stroke-width:3px"),
]
# Every line the formatter writes starts with one of these (card text can never start a line).
_LINE_STARTS = (
    "## ",
    "### ",
    "#### ",
    "| ",
    "> **",
    "<details><summary>",
    "</details>",
    "```",
    "**ailiance-audit ",
    "Baseline ",
    "Policies: ",
    "No target",
    "No findings.",
)


def parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def walk(tokens: list[Token]) -> Iterator[Token]:
    for tok in tokens:
        yield tok
        yield from walk(tok.children or [])


def inertness_problems(md: str) -> list[str]:
    """Everything in ``md`` that would render as more than text, a table or our diagram."""
    problems = []
    tokens = parser().parse(md)
    for tok in walk(tokens):
        ours = re.fullmatch(r"<details><summary>[^<>]*</summary>\n|</details>\n", tok.content)
        if tok.type in ("html_inline", "html_block") and not ours:
            problems.append(f"raw HTML: {tok.content!r}")
        if tok.type in ("link_open", "image", "s_open", "em_open", "strong_open") and (
            tok.type != "strong_open" or not _our_bold(tok)
        ):
            problems.append(f"{tok.type} formed")
        if tok.type == "fence":
            problems += _mermaid_problems(tok)
        if tok.type == "text":
            shown = tok.content
            if re.search(r"@\w", shown):
                problems.append(f"mention: {shown!r}")
            if re.search(r"#\d", shown) or re.search(r"(?i)://|www\.", shown):
                problems.append(f"reference or autolink: {shown!r}")
    fenced = False
    for line in md.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line and not fenced and not line.startswith(_LINE_STARTS):
            problems.append(f"line not written by the formatter: {line[:60]!r}")
    if re.search(r"(?<!\\)\$", md):
        problems.append("unescaped $ (GitHub math)")
    return problems


def _our_bold(tok: Token) -> bool:
    return tok.markup == "**"  # severities and status; card text escapes every "*"


def _mermaid_problems(tok: Token) -> list[str]:
    if tok.info != "mermaid":
        return [f"unexpected code block {tok.info!r}"]
    return [
        f"mermaid line {line!r}"
        for line in tok.content.splitlines()
        if not any(p.fullmatch(line) for p in _MERMAID_LINES)
    ]


def render(report: AuditReport) -> str:
    return base.get("markdown").render(report)


def test_every_case_renders_inert(case: tuple[str, AuditReport]):
    assert inertness_problems(render(case[1])) == []


def test_the_checker_catches_injection():
    """The inertness check itself must fail on raw card text."""
    raw = f"| a | b |\n| --- | --- |\n| {HOSTILE.replace(chr(10), ' ')} | x |\n"
    problems = " ".join(inertness_problems(raw))
    for what in ("raw HTML", "link_open", "image", "mention", "autolink", "$"):
        assert what in problems


def test_hostile_card_text_is_shown_not_interpreted():
    md = render(hostile_report())
    assert inertness_problems(md) == []
    tokens = list(walk(parser().parse(md)))
    shown = "".join(t.content for t in tokens if t.type in ("text", "code_inline"))
    visible = shown.replace("\u200b", "")
    # The text is all there, literally (HTML as text, brackets, pipes, mention, URL).
    for piece in (
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "@octocat",
        "| cell |",
        "https://evil.example",
        "$x^2$",
        "&amp;",
    ):
        assert piece in visible
    assert "break new line" in visible  # the newline became a space: no table break
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 2 + 3  # findings header + 1 row, claims header + 2 rows


def test_hostile_ids_in_mermaid_are_entities():
    md = render(hostile_report())
    fence = md[md.index("```mermaid") : md.index("```", md.index("```mermaid") + 3)]
    assert "evil/x#96;#93;#34;#60;b#62;#124;#64;octocat#60;/b#62;" in fence
    assert HOSTILE_ID not in fence


def test_layout_of_the_adapter_report(report: AuditReport):
    md = render(report)
    assert md.startswith(
        "## ailiance-audit report\n\n**ailiance-audit 0.1.0**: 1 target, "
        "2 errors, 2 warnings, 0 notes, 1 info, 1 waived\n"
    )
    table = [line for line in md.splitlines() if line.startswith("| **error** |")]
    assert table[0].startswith("| **error** | `adapter.rank-mismatch` | The card and adapter")
    assert table[0].endswith("| README.md:40 |")
    assert "<details><summary>1 waived finding</summary>" in md
    waived = md[md.index("<details>") : md.index("</details>")]
    assert "`adapter.local-path-leak`" in waived and "expires 2027-06-30" in waived
    assert "`adapter.local-path-leak`" not in md[: md.index("<details>")]


def test_mermaid_highlights_the_nodes_and_the_edges_findings_reach(report: AuditReport):
    md = render(report)
    fence = md[md.index("```mermaid") :]
    fence = fence[: fence.index("\n```\n")]
    assert (
        '  n1["meta-llama/Llama-3.1-8B-Instruct<br/>LicenseRef-scancode-llama-3.1-license-'
        '2024"]' in fence
    )
    assert '  n4[("HuggingFaceH4/stack-exchange-preferences<br/>CC-BY-SA-4.0")]' in fence
    assert "  class n0,n1 sev_error" in fence  # subject (rank) and base (terms dropped)
    assert "  class n2,n4 sev_warning" in fence
    assert "  class n2 unresolved" in fence
    # Edges: 0 subject->base (error), 1 base->root (warning: upstream unknown on root),
    # 2 subject->orca (no finding), 3 subject->stack (sharealike warning).
    assert "  linkStyle 0 stroke:#cf222e,stroke-width:3px" in fence
    assert "  linkStyle 1 stroke:#9a6700,stroke-width:3px" in fence
    assert "  linkStyle 3 stroke:#9a6700,stroke-width:3px" in fence
    assert "linkStyle 2 " not in fence
    assert "  n0 -.->|trained_on| n4" in fence  # inferred edge drawn dotted


def test_waived_findings_do_not_highlight(report: AuditReport):
    target = report.targets[0]
    only_waived = tuple(f for f in target.findings if f.suppressed_by is not None)
    t = replace(target, findings=only_waived)
    md = render(replace(report, targets=(t,)))
    assert "sev_" not in md and "linkStyle" not in md
    assert "No findings." in md


def test_claims_vs_evidence_table(report: AuditReport):
    md = render(report)
    section = md[md.index("#### Claims vs evidence") :]
    assert "| `rank` | 16 (README.md:40) | 16 (adapter\\_config.json:9); 8 (tensors) |" in section
    assert "| `optimizer` | adam (README.md:45); adamw (README.md:90) |" in section
    assert "| `batch_size` | — | 4 (adapter\\_config.json) |" in section


def test_no_evidence_no_claims_table(report: AuditReport):
    t = replace(report.targets[0], evidence=None)
    md = render(replace(report, targets=(t,)))
    assert "Claims vs evidence" not in md


def test_unresolved_target_is_reported():
    md = render(unresolved_report())
    assert "### `Ailiance-fr/missing-lora`\n\n> **unresolved**: not found in the mirrors" in md
    assert "1 unresolved" in md.splitlines()[2]


def test_long_reports_are_capped(report: AuditReport):
    from auditor.formats.markdown import MAX_ROWS

    target = report.targets[0]
    many = tuple(replace(target.findings[0], message=f"m{i}") for i in range(MAX_ROWS + 5))
    t = replace(target, findings=many)
    md = render(replace(report, targets=(t,)))
    assert "… and 5 more" in md
    assert md.count("`adapter.rank-mismatch`") == MAX_ROWS


def test_baseline_states_and_fixed_findings():
    from format_cases import baseline_report

    md = render(baseline_report())
    assert "Baseline git ref main (0123456789ab): 1 new, 5 unchanged, 1 fixed" in md
    assert "| **error** · new | `adapter.rank-mismatch` |" in md
    assert "| **error** · unchanged | `license.base-terms-dropped` |" in md
    fixed = md[md.index("<summary>1 finding fixed since the baseline</summary>") :]
    assert "| warning · fixed | `license.lineage-undeclared` |" in fixed
    assert "· new" not in render(adapter_report())  # no baseline, no states
