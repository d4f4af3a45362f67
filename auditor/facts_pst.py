"""The training-content summary's figures for the facts document (AI Office template, TPL 1.3).

``pst_size``: the size bucket ticked in the summary and the size stated in tokens;
``pst_links``: the URLs written in each summary field (model dependencies must link a summary);
"""

from __future__ import annotations

import re
from typing import Any

from auditor.lazyre import lazy
from auditor.models import CardClaims
from auditor.numbers import sci

_URL = lazy(r"https?://[^\s<>)\]|\"']+")
# Training-summary size (TPL 1.3): "≈ 0.05 M tokens", "15T tokens", "1.2 billion tokens".
_TOKENS = lazy(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)\s*(k|thousand|m|million|b|bn|billion|t|trillion)?"
    r"\s*tokens?\b",
    re.I,
)
_MULTIPLIER = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
}
# The template's text buckets (docs/legal-basis.md §3.2), matched on the ticked option of the size
# field.
_BUCKETS = (
    ("lt-1b", lazy(r"less than 1 billion|<\s*1\s*b", re.I)),
    ("gt-10t", lazy(r"more than 10 trillion|>\s*10\s*t", re.I)),
    ("1b-10t", lazy(r"1 billion\s*(?:-|–|to)\s*10 trillion|between 1 billion", re.I)),
)
_TICKED = lazy(r"[☒✅✔✓■]|\[[xX]\]")


def pst_size(card: CardClaims) -> dict[str, Any]:
    """The size bucket ticked in the summary and the size stated in tokens (TPL 1.3)."""
    fields = card.pst.fields if card.pst else ()
    bucket, tokens, line = None, None, None
    for field in fields:
        if field.key == "size-bucket" and bucket is None:
            bucket = _ticked_bucket(field.value)
            line = field.location.line
            if bucket is None:  # a size written where the bucket belongs
                tokens = tokens or _tokens(field.value)
        if field.key == "size-alternative" and tokens is None:
            tokens = _tokens(field.value)
    return {"bucket": bucket, "tokens": tokens, "tokens_text": sci(tokens), "line": line}


def _ticked_bucket(value: str) -> str | None:
    """The bucket of the ticked box ("☒ Less than 1 billion tokens ☐ …"), or of the text."""
    parts = _TICKED.split(value)
    candidates = parts[1:] if len(parts) > 1 else [value]
    for text in candidates:
        text = re.split(r"[☐□]|\[ \]", text)[0]
        for name, pattern in _BUCKETS:
            if pattern.search(text):
                return name
    return None


def _tokens(value: str) -> float | None:
    match = _TOKENS.search(value)
    if not match:
        return None
    raw = match.group(1)
    number = float(
        raw.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", raw) else raw.replace(",", ".")
    )
    unit = (match.group(2) or "").lower()
    return number * _MULTIPLIER.get(unit, 1.0)


def pst_links(card: CardClaims) -> dict[str, list[str]]:
    """URLs written in each training-summary field (model dependencies must link a summary)."""
    out: dict[str, list[str]] = {}
    for field in card.pst.fields if card.pst else ():
        for url in (u.rstrip(".,;:") for u in _URL.findall(field.value)):
            seen = out.setdefault(field.key, [])
            if url not in seen:
                seen.append(url)
    return out
