"""Base models named in card text: "fine-tuned from X", "based on [X](hub link)", "a Llama 13B
model fine-tuned on", "continued pretraining of X", "quantized from X". The patterns are data.

A Hub id in the link URL wins over the link text; a name without an org is kept as named (no org
is ever guessed). Decoys stay decoys: a name followed by "dataset"/"data", closed API models
(GPT-4, Claude: teachers or data generators), comparisons ("outperforms X") which no pattern
reads, and lowercase words.
"""

from __future__ import annotations

import re

from auditor.card.lazyre import lazy
from auditor.card.text import Unit, fold
from auditor.card.values import REPO_ID, parse_base
from auditor.models import Claim, Location

_I = re.I


def _keys(keys: tuple[str, ...]) -> re.Pattern[str]:
    return lazy("|".join(re.escape(k) for k in keys))


_TARGET = rf"({REPO_ID}|[A-Z][\w.+-]{{1,80}}[\w+])"
_REPO = rf"({REPO_ID})"
# A link whose URL is the Hub id ("[Pythia-12b](https://huggingface.co/EleutherAI/pythia-12b)"
# is cleaned to "Pythia-12b <https://...>"), else a repo id, else a capitalised name of up to four
# words ("Llama V2 70B"): parse_base keeps the URL's id, the repo id or the name (never an org
# guessed for a bare name).
_NAMED = (
    r"((?:[^<>;:,]{1,80}?\s)?<https?://huggingface\.co/(?!datasets/|spaces/)[^>\s]+>"
    rf"|{REPO_ID}|(?-i:[A-Z])[\w.+-]{{0,80}}[\w+](?:\s(?-i:[A-Z0-9])[\w.+-]*){{0,3}})(?![\w'’])"
)
_HUB = (  # a Hub link or a repo id, never a bare name
    r"((?:[^<>;:,]{1,80}?\s)?<https?://huggingface\.co/(?!datasets/|spaces/)[^>\s]+>"
    rf"|{REPO_ID})"
)
_THE = r"(?:the\s+)?"
_WORDS = r"(?:[\w'’-]+\s+){0,4}?"  # "Meta's open-source", "base model", "model weights of"

_PHRASES: tuple[tuple[str, str], ...] = (
    (
        "fine",
        rf"\bfine[- ]?tuned (?:version )?(?:from|of)\s+{_THE}(?:model\s*)?[:：]?\s*{_NAMED}",
    ),
    (
        "fine",
        rf"\bfine[- ]?tuned on(?: top of)?\s+{_THE}{_REPO}",
    ),
    (
        "fine",
        rf"\bfine[- ]?tun(?:ed|ing) on (?:the )?(?:foundation|basis|top) of\s+{_WORDS}{_NAMED}",
    ),
    (
        "fine",
        rf"\bfine[- ]?tunes\s+{_THE}{_REPO}",
    ),
    (
        "fine",
        rf"\bfine[- ]?tune\b[^.]{{0,80}}?\bof\s+{_THE}(?:[\w-]+\s+){{0,5}}?{_REPO}",
    ),
    (
        "fine",
        rf"\bfine[- ]?tunes?\s+(?:\([^)]{{0,30}}\)\s+)?of\s+{_THE}{_NAMED}",
    ),
    (
        "fine",
        rf"\ban?\s+{_NAMED}\s+model\s+(?:that was\s+|which was\s+)?fine[- ]?tuned\b",
    ),
    (
        "fine",
        rf"\b(?:model|it|this) is\s+{_THE}{_NAMED}\s+fine[- ]?tuned\b",
    ),
    # "Qwen2 1.5B fine-tuned for Italian": a name with a size or version digit only
    (
        "fine",
        rf"(?:^|[:：]\s)(?=[^\s:]*\d|[^\s:]+\s[^\s:]*\d)(?-i:{_NAMED})"
        rf"\s+fine[- ]?tuned\s+(?:for|on)\b",
    ),
    (
        "adapter",
        rf"\badapters?\s+(?:for|of|on top of|on)\s+{_THE}{_REPO}",
    ),
    (
        "based on",
        rf"\bbased on {_THE}{_TARGET}\s+(?:base\s+)?model\b",
    ),
    (
        "based on",
        rf"\b(?:model|it|this|version|lora|adapter|checkpoint|iteration \d+|weights)\b"
        rf"[^.;]{{0,30}}?\bbased on {_THE}(?:model weights of\s+{_THE})?{_NAMED}",
    ),
    # "Based on [X](https://huggingface.co/org/x)." opening a sentence: a Hub id only
    (
        "based on",
        rf"^based on {_THE}{_HUB}",
    ),
    (
        "weights of",
        rf"\btrained (?:based )?on {_THE}(?:model )?weights of\s+{_THE}{_NAMED}",
    ),
    (
        "trained from|trained on top of",
        rf"\btrained (?:from|on top of)\s+{_THE}{_NAMED}",
    ),
    (
        "converted|quanti",
        rf"\b(?:converted|quanti[sz]ed)\s+(?:\w+\s+){{0,3}}?from\s+{_THE}{_NAMED}",
    ),
    (
        "derived",
        rf"\b(?:model|weights|checkpoint|it|version|adapter|lora)\b[^.;]{{0,40}}?\bderived from\s+"
        rf"{_THE}{_NAMED}",
    ),
    (
        "distilled",
        rf"\b(?:is|was|were|been)\s+distilled from\s+{_THE}{_NAMED}",
    ),
    (
        "continued pre|continuous pre|continual pre|continuing pre",
        rf"\bcontinu(?:ed|ous|al|ing) pre-?train(?:ing|ed)?\s+(?:of|from|on top of)\s+{_THE}"
        rf"{_NAMED}",
    ),
    (
        "quanti",
        rf"\bquanti[sz](?:ed|ations?)\s+(?:\w+\s+){{0,2}}?(?:models?\s+|versions?\s+"
        rf"|weights\s+)?of\s+{_THE}(?:[\w'’-]+\s+){{0,3}}?{_NAMED}",
    ),
)
"""Phrases naming the base model in running text, each after the lower-case fragments one of
which it cannot match without ("|"-separated); group 1 is the repo id, link or name."""
BASE_PHRASES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (tuple(keys.split("|")), lazy(pattern, _I)) for keys, pattern in _PHRASES
)
_FRAGMENTS = tuple(sorted({k for keys, _ in BASE_PHRASES for k in keys}))
# The sentence-level prefilter (it decides what is read at all, so it stays as it was); the
# fragments above then pick the phrases to run.
_BASE_KEYS = _keys(
    (
        "fine",
        "adapter",
        "based on",
        "trained",
        "derived",
        "distilled",
        "quanti",
        "converted",
        "pretrain",
        "pre-train",
    )
)
# "fine-tuned on the org/name dataset": what follows says the name is data, not a base.
_DATA_AFTER = lazy(r"\s*(?:<[^>]*>\s*)?(?:[\w-]+\s+){0,2}?(?:data(?:sets?)?|corpus)\b", _I)
# Closed models reached only through an API have no weights to build on: "distilled from GPT-4",
# "generated by ChatGPT" name a teacher or a data generator, never a base.
_NOT_A_BASE = lazy(
    r"^(?:gpt-?[34][\w.-]*|chatgpt|claude[\w .-]*|text-davinci[\w-]*|davinci|gemini[\w .-]*"
    r"|palm ?2?|bard|the model|model|base model|this model|hugging ?face[\w .-]*|transformers?"
    r"|pytorch)$",
    _I,
)


def base_models(unit: Unit, file: str) -> list[Claim]:
    """Base models named by phrases such as "fine-tuned from X" or "LoRA adapter for org/name"."""
    out: list[Claim] = []
    text = unit.text[:20_000]
    lower = text.lower()
    if not _BASE_KEYS.search(lower):
        return out
    folded = fold(text, lower)
    present = {k for k in _FRAGMENTS if k in folded}  # each fragment once, not once per phrase
    for keys, pattern in BASE_PHRASES:
        # A phrase runs only where its own fragment occurs: most sentences that pass the
        # prefilter name one of the ten, and most patterns are then never compiled.
        if present.isdisjoint(keys):
            continue
        for m in pattern.finditer(text):
            value = parse_base(m.group(1).rstrip(".,;:"))
            if not value or _NOT_A_BASE.match(value) or _DATA_AFTER.match(text, m.end()):
                continue
            out.append(
                Claim(
                    name="base_model",
                    value=value,
                    raw=m.group(0),
                    source=unit.source,
                    location=Location(file=file, line=unit.line_at(m.start())),
                )
            )
    return out
