"""Hyperparameters in running text: "(rank 16, alpha 32, scale 2.0, AdamW LR 1e-5, 500 iters)".

The patterns are data (:data:`PATTERNS`). Words such as "rank", "batch" or "steps" also occur in
text that is not about training ("ranked first", "8 steps to solve"), so most patterns only count
in a unit that talks about training (:data:`CONTEXT`) or in the value of a labelled hyperparameter
field. An optimizer name counts only next to another hyperparameter or the word "optimizer"
("Adam" is also a first name). Slash lists ("Rank / alpha / dropout 16 / 32 / 0.05") are read
pairwise first, and their span is not read again by the single patterns.
"""

from __future__ import annotations

import re

from auditor.card.keys import Keys
from auditor.card.lazyre import lazy
from auditor.card.text import Source, Unit
from auditor.card.values import (
    LABELS,
    LIBRARY_NAMES,
    OPTIMIZER_RE,
    OPTIMIZERS,
    label_key,
    parse_value,
)
from auditor.models import Claim, ClaimValue, Location
from auditor.records import record

_I = re.I


@record
class ParamPattern:
    """One way of stating a parameter in text; group 1 is the value.

    ``keys``: lower-case fragments one of which must occur for the pattern to be tried at all (a
    cheap prefilter: most sentences state no hyperparameter).
    """

    name: str
    regex: re.Pattern[str]
    keys: frozenset[str]
    needs_context: bool = True


def _p(name: str, pattern: str, keys: tuple[str, ...], needs_context: bool = True) -> ParamPattern:
    return ParamPattern(name, lazy(pattern, _I), frozenset(keys), needs_context)


_NUMBER = r"(\d*\.?\d+(?:e[-+]?\d+|\s*[x×*·]\s*10\s*(?:\^|\*\*)?\s*[-−⁻]?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})?)"
_COUNT = r"(\d[\d,]*)"
_SEP = r"\s*(?:=|:|of)?\s*"
_LIB_KEYS = ("mlx", "peft", "unsloth", "axolotl", "trl", "llama", "torchtune", "deepspeed", "lit")

PATTERNS: tuple[ParamPattern, ...] = (
    _p("rank", rf"\brank{_SEP}(\d+)\b", ("rank",)),
    _p("rank", r"\blora[_ -]?r\s*[=:]\s*(\d+)\b", ("lora",), needs_context=False),
    _p("rank", r"(?<![\w-])r\s*=\s*(\d+)\b", ("=",)),
    _p("alpha", rf"\b(?:lora[_ -]?)?alpha{_SEP}(\d+(?:\.\d+)?)\b", ("alpha",)),
    _p("alpha", r"α\s*=?\s*(\d+(?:\.\d+)?)\b", ("α",)),
    _p("scale", rf"\bscal(?:e|ing)(?:\s+factor)?{_SEP}(\d+(?:\.\d+)?)\b", ("scal",)),
    _p("dropout", rf"\b(?:lora[_ -]?)?dropout{_SEP}(\d*\.\d+|\d+)\b", ("dropout",)),
    _p("learning_rate", rf"\b(?:lr|learning[ _-]rate){_SEP}{_NUMBER}(?![\w.])", ("lr", "learning")),
    _p(
        "iterations",
        rf"\b{_COUNT}\s*(?:training\s+)?(?:iters|iterations|steps)\b",
        ("iter", "step"),
    ),
    _p(
        "iterations",
        rf"\b(?:iters|iterations|max[ _]steps|training steps){_SEP}{_COUNT}\b",
        ("iter", "step"),
    ),
    _p("epochs", r"\b(\d+)\s*epochs?\b", ("epoch",)),
    _p("epochs", r"\b(?:num[ _]train[ _])?epochs?\s*[=:]\s*(\d+)\b", ("epoch",)),
    _p("batch_size", rf"\bbatch(?:[ _-]?size)?{_SEP}(\d+)\b", ("batch",)),
    _p(
        "grad_accumulation",
        rf"\bgrad(?:ient)?[ _-]?acc(?:um(?:ulation)?)?(?:[ _-]steps)?{_SEP}(\d+)\b",
        ("grad",),
        needs_context=False,
    ),
    _p(
        "max_seq_length",
        rf"\b(?:max(?:imum)?[ _-]?seq(?:uence)?[ _-]?len(?:gth)?|cutoff[ _-]len(?:gth)?)"
        rf"{_SEP}{_COUNT}",
        ("seq", "cutoff"),
    ),
    _p(
        "trainable_params",
        r"\btrainable\s+(?:params|parameters)\s*[=:]?\s*(\d[\d,.]*\s*[kmb]?)\b",
        ("trainable",),
        needs_context=False,
    ),
    _p(
        "trainable_params",
        r"(\d[\d,.]*\s*[kmb]?)\s+trainable\s+(?:params|parameters)\b",
        ("trainable",),
        needs_context=False,
    ),
    _p(
        "num_layers",
        r"\b(?:num[ _]layers|lora[ _]layers)\s*[=:]?\s*(-?\d+)\b",
        ("layers",),
        needs_context=False,
    ),
    _p(
        "library",
        rf"\b(?:via|with|using|through)\s+(?:the\s+)?({LIBRARY_NAMES})(?![\w-])",
        _LIB_KEYS,
    ),
    _p(
        "library",
        rf"(?<![\w-])({LIBRARY_NAMES})\s+(?:lora\s+)?(?:trainer|fine-?tuning|framework)\b",
        _LIB_KEYS,
    ),
)
"""Single-parameter patterns, tried in order; the first match at a position wins."""

_KEYS = Keys(k for p in PATTERNS for k in p.keys)

CONTEXT = lazy(r"lora|adapter|fine-?tun|finetun|train|optimi[sz]|hyper-?param|peft")
"""A unit must match this (lower-cased) for ``needs_context`` patterns to count, unless vouched."""

_COMPOSITE = lazy(
    r"\b([a-z][a-z_ -]{0,30}?(?:\s*/\s*[a-z][a-z_ -]{0,30}?){1,5})\s*[:=]?\s*"
    r"(-?\d[\d.e+-]*(?:\s*/\s*-?\d[\d.e+-]*){1,5})",
    _I,
)
_OPTIMIZER_WORD = lazy(r"optimi[sz]er")
_DIGIT = lazy(r"\d")
_SLASHED_NUMBERS = lazy(r"\d\s*/\s*-?\.?\d")
_OPTIMIZER_HINT = lazy(
    r"adam|sgd|adafactor|muon|lion|rmsprop|adagrad|adadelta|lamb|sophia|"
    r"galore|lomo"
)

Hit = tuple[str, ClaimValue, str, int]  # name, value, raw text, offset in the unit


def _composite(text: str) -> tuple[list[Hit], list[tuple[int, int]]]:
    """Slash lists read pairwise: "rank/alpha 16/32" → rank 16, alpha 32."""
    hits: list[Hit] = []
    spans: list[tuple[int, int]] = []
    for m in _COMPOSITE.finditer(text):
        names = [LABELS.get(label_key(n)) for n in m.group(1).split("/")]
        values = [v.strip() for v in m.group(2).split("/")]
        if len(names) != len(values) or sum(n is not None for n in names) < 2:
            continue
        spans.append(m.span())
        for name, raw in zip(names, values, strict=True):
            value = parse_value(name, raw) if name else None
            if name and value is not None:
                hits.append((name, value, f"{m.group(1).strip()} {m.group(2).strip()}", m.start()))
    return hits, spans


def _single(text: str, lower: str, vouched: bool, spans: list[tuple[int, int]]) -> list[Hit]:
    hits: list[Hit] = []
    present = _KEYS.found(lower)
    if not present:  # most units name no parameter: no pattern can match (its keys are absent)
        return hits
    context = vouched or bool(CONTEXT.search(lower))
    taken = set()
    numbers = bool(_DIGIT.search(text))
    for pattern in PATTERNS:
        if (pattern.needs_context and not context) or pattern.keys.isdisjoint(present):
            continue
        if not numbers and pattern.name != "library":  # all other values are numbers
            continue
        for m in pattern.regex.finditer(text):
            if m.start() in taken or any(a <= m.start() < b for a, b in spans):
                continue
            value = parse_value(pattern.name, m.group(1))
            if value is not None:
                taken.add(m.start())
                hits.append((pattern.name, value, m.group(0).strip(), m.start()))
    return hits


def _optimizers(text: str, lower: str, others: int) -> list[Hit]:
    if not others and ("optimi" not in lower or not _OPTIMIZER_WORD.search(lower)):
        return []
    if not _OPTIMIZER_HINT.search(lower):
        return []
    return [
        ("optimizer", OPTIMIZERS[m.group(1).lower()], m.group(0), m.start())
        for m in OPTIMIZER_RE.finditer(text)
    ]


def scan(
    unit: Unit,
    file: str,
    *,
    source: Source | None = None,
    vouched: bool = False,
    skip: frozenset[str] = frozenset(),
) -> list[Claim]:
    """Claims stated in ``unit.text``; ``vouched`` means the caller knows it is about training."""
    text = unit.text
    if len(text) > 20_000:  # a pathological "sentence"; real ones are short
        text = text[:20_000]
    lower = text.lower()
    slashed = "/" in text and _SLASHED_NUMBERS.search(text)
    hits, spans = _composite(text) if slashed else ([], [])
    hits += _single(text, lower, vouched, spans)
    hits += _optimizers(text, lower, len(hits))
    claims: list[Claim] = []
    for name, value, raw, offset in sorted(hits, key=lambda h: h[3]):
        if name in skip:
            continue
        claims.append(
            Claim(
                name=name,
                value=value,
                raw=raw,
                source=source or unit.source,
                location=Location(file=file, line=unit.line_at(offset)),
            )
        )
    return claims
