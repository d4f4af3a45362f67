"""The parser's cheaper forms give what the patterns they stand for give (hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.card.document import split_cells
from auditor.card.text import _SENTENCE_END

_BITS = [".", "!", "?", " ", "  ", "\n", "\t", "A", "a", '"', "(", "<", "x.", "\\", "|"]
_TEXT = st.lists(st.sampled_from(_BITS), max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_sentence_ends_as_the_lookbehind_pattern(text: str) -> None:
    before = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[<])")
    assert [m.end() for m in _SENTENCE_END.finditer(text)] == [
        m.end() for m in before.finditer(text)
    ]


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_cells_as_the_escape_aware_split(text: str) -> None:
    cells, _ = split_cells(text)
    body = text.strip()
    closed = body.endswith("|") and len(body) > 1
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if closed else body
    assert cells == tuple(c.strip() for c in re.split(r"(?<!\\)\|", body))
