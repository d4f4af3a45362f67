"""Escaping of untrusted text: any input renders as exactly that text, and as nothing more.

Property tests render escaped text inside a GFM table cell with markdown-it-py and check that
the cell holds only text whose visible characters are the input's (line breaks and control
characters flattened to spaces, zero-width spaces added).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from auditor.formats.escape import flatten, md_code, md_text, mermaid_label

# Text that leans on the characters that matter, mixed with anything at all.
_SPECIAL = st.sampled_from(list("@#|`*_[]()!<>&$~\\:/w.\n\r\t -aZ9"))
_NASTY = st.text(alphabet=_SPECIAL | st.characters(), max_size=60)


def cell(markdown: str) -> list[list[Token]]:
    """Inline tokens of each body cell of a one-column table holding ``markdown``."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    tokens = md.parse(f"| h |\n| --- |\n| {markdown} |\n")
    assert [t.type for t in tokens][:1] == ["table_open"], "the table itself broke"
    return [t.children or [] for t in tokens if t.type == "inline"][1:]


@settings(max_examples=400, deadline=None)
@given(_NASTY)
def test_md_text_is_plain_text_in_a_table_cell(text: str):
    [children] = cell(md_text(text))
    assert {c.type for c in children} <= {"text"}
    shown = "".join(c.content for c in children).replace("\u200b", "")
    assert shown == flatten(text).replace("\u200b", "")


@settings(max_examples=400, deadline=None)
@given(_NASTY)
def test_md_text_blocks_mentions_references_and_autolinks(text: str):
    shown = "".join(c.content for c in cell(md_text(text))[0])
    assert not re.search(r"@\w", shown)
    assert not re.search(r"#\d", shown)
    assert not re.search(r"(?i)://|www\.", shown)
    assert not re.search(r"(?<!\\)\$", md_text(text))


@settings(max_examples=400, deadline=None)
@given(_NASTY.filter(lambda t: flatten(t) != ""))
def test_md_code_is_one_code_span(text: str):
    [children] = cell(md_code(text))
    assert [c.type for c in children] == ["code_inline"]
    assert children[0].content == flatten(text)


@settings(max_examples=400, deadline=None)
@given(_NASTY)
def test_mermaid_label_cannot_leave_its_quotes(text: str):
    label = mermaid_label(text)
    assert re.fullmatch(r"[A-Za-z0-9 ._/+:,=()#;-]*", label)
    decoded = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)
    assert decoded == flatten(text, 80)


def test_examples():
    assert md_text("@octocat") == "@&#8203;octocat"
    assert md_text("a|b\nc") == "a\\|b c"
    assert md_text("<b>&") == "&lt;b&gt;&amp;"
    assert md_text("see https://x.org") == "see https:&#8203;//x.org"
    assert md_text("fixes #12 and GH-3") == "fixes \\#&#8203;12 and GH-&#8203;3"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("a|b", table=False) == "`a|b`"
    assert md_code("") == ""
    assert mermaid_label('a"b<c>') == "a#34;b#60;c#62;"
    assert flatten("x" * 10, limit=5) == "xxxx…"
    assert flatten("a\u202eb\u2028c") == "a b c"


def test_a_fix_is_shown_as_its_first_sentence() -> None:
    from auditor.formats.rules import short_fix

    fix = "Add a contact (e.g. an address) to the card. Then ask Art. 53 questions there."
    assert short_fix(fix) == "Add a contact (e.g. an address) to the card."
    assert short_fix("x " * 200, limit=20) == "x x x x x x x x x x…"
    assert short_fix(None) is None
