"""Figures a card states in its own words: pre-training tokens and parameter counts.

Evidence of last resort for the compute estimate (``auditor.compute``): a base's ``config.json``
gives its parameter count exactly; when there is none, the card's "7.61B parameters" is used and
the estimate says so. Token counts are read only from sentences about training, never from
context-length, generation-length or input/output statements, and a pre-training corpus below a
billion tokens is not taken for one (those are fine-tuning or generation figures).
"""

from __future__ import annotations

import re

from auditor.lazyre import lazy

_MULTIPLIERS = {
    "t": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "m": 1e6,
    "million": 1e6,
    "k": 1e3,
    "thousand": 1e3,
}
_TOKEN_COUNT = lazy(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)\s*"
    r"(trillion|billion|million|thousand|tn|bn|[tbmk])\b\s*(?:[\w-]+\s+){0,2}?tokens\b",
    re.IGNORECASE,
)
_TRAINING_WORDS = lazy(r"train|corpus|\bdata|pre-?train", re.IGNORECASE)
_NOT_TRAINING = lazy(
    r"context|window|sequence length|max(?:imum)? length|generat|output|input|prompt",
    re.IGNORECASE,
)
MIN_PRETRAINING_TOKENS = 1e9


def _number(text: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def tokens_from_text(text: str) -> float | None:
    """Pre-training token count stated in a card body ("pretrained on 15T tokens", "4 trillion
    tokens"): the largest count whose sentence is about training and not about context length.
    """
    if not isinstance(text, str):
        return None
    best: float | None = None
    for match in _TOKEN_COUNT.finditer(text):
        start = max(text.rfind(".", 0, match.start() - 1), text.rfind("\n", 0, match.start()))
        stops = [i for i in (text.find(". ", match.end()), text.find("\n", match.end())) if i >= 0]
        end = min(stops) if stops else len(text)
        sentence = text[start + 1 : end]
        # "context of 128K tokens": the negative words must be close, and in the same sentence.
        near = text[max(start + 1, match.start() - 40) : min(end, match.end() + 40)]
        if not _TRAINING_WORDS.search(sentence) or _NOT_TRAINING.search(near):
            continue
        count = _number(match.group(1)) * _MULTIPLIERS[match.group(2).lower()]
        if count >= MIN_PRETRAINING_TOKENS:
            best = count if best is None else max(best, count)
    return best


_LABELLED = lazy(
    r"(?:number of param(?:e|a)ters|param(?:e|a)ters?(?: count)?|params|model size)"
    r"\s*(?:\(total\))?\s*[*_]*\s*[:：][*_\s]*"
    r"(\d+(?:\.\d+)?)\s*(trillion|billion|million|[tbm])\b",
    re.IGNORECASE,
)
_IN_PROSE = lazy(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(trillion|billion|million|[tbm])\b[- ]?param(?:e|a)ters?\b",
    re.IGNORECASE,
)
# "non-embedding", "active", "trainable" counts are not the model's size; "from 0.5 to 72 billion
# parameters", "1B-70B", "up to 70B" describe a family, not this model.
_NOT_TOTAL = lazy(r"non-?embedding|active|activated|trainable", re.IGNORECASE)
_RANGE = lazy(r"(?:\bto|\bup to|[-–~]|\band|\bor)\s*$", re.IGNORECASE)


def params_from_text(text: str) -> float | None:
    """The parameter count a card states: a labelled "Number of Parameters: 7.61B" first, else
    "a 1.3 billion parameter model" in prose; never a non-embedding, active or trainable count
    or the end of a family's range."""
    if not isinstance(text, str):
        return None
    text = text[:200_000]
    for pattern in (_LABELLED, _IN_PROSE):
        for match in pattern.finditer(text):
            near = text[max(0, match.start() - 30) : match.end()]
            before = text[max(0, match.start(1) - 8) : match.start(1)]
            if _NOT_TOTAL.search(near) or _RANGE.search(before):
                continue
            return float(match.group(1)) * _MULTIPLIERS[match.group(2).lower()]
    return None
