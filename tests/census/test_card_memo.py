"""Upstream cards are parsed once per process (the census audits hundreds of adapters of one base
per batch), and the memo is bounded: a large card is parsed each time rather than kept."""

from __future__ import annotations

from auditor.card import parse_card
from auditor.upstream import MEMO_CARD_CHARS, MEMO_CARDS, _parse_memo, parse_upstream_card

CARD = "---\nlicense: apache-2.0\ndatasets:\n- example/data\n---\n# A base model of my own\n"


def test_an_upstream_card_is_parsed_once_and_equals_a_fresh_parse() -> None:
    first = parse_upstream_card(CARD)
    assert parse_upstream_card(str(CARD)) is first  # same text: the same (frozen) claims
    assert first == parse_card(CARD)


def test_the_memo_keeps_no_large_card_and_a_bounded_number() -> None:
    big = CARD + "x" * MEMO_CARD_CHARS
    assert parse_upstream_card(big) is not parse_upstream_card(big)
    assert parse_upstream_card(big) == parse_card(big)
    assert _parse_memo.cache_info().maxsize == MEMO_CARDS
