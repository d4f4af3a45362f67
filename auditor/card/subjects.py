"""Whom a license sentence is about: these weights, the code, the docs, a dataset, results, an
upstream model.

"Code: MIT", "Project code and documentation are distributed under MIT", "The evaluation results
are CC BY-NC-SA", "Dataset: CC BY 4.0", "Modelo base → Llama 3.1 Community License" and "Llama 2
is licensed under the Llama 2 Community License" (in a card whose base is Llama 2) do not state
the license of the weights, and must not be compared with the front matter's ``license:``. Each
mention gets the subject named nearest before it, in this order:

1. the label right before the license on its line ("Model Weights:", "Code:", "Dataset →", a
   repo id);
2. in the license's own clause ("The code is MIT, while the weights follow …" has two): the
   license said to apply to this repo ("propagates to this adapter"), then the clause's subject
   before a licensing verb ("X is licensed/released under", "X are CC BY"), then a mention of
   this repo ("this model", "LoRA weights", "we release");
3. the section title ("Code license", "Training data");
4. otherwise whether the clause reads like a license line for this repo.

A name that is one of the card's bases (``base_model`` or a base named in the body) is upstream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

from auditor.card.lazyre import lazy
from auditor.card.text import Unit, section_title
from auditor.models import LicenseMention, Location, Statement

Subject = Literal["weights", "code", "docs", "dataset", "results", "upstream", "unknown"]

_I = re.I
# Order matters: "base model license" is upstream, "training code" is code, "model weights" weights.
_KINDS: tuple[tuple[Subject, re.Pattern[str]], ...] = (
    ("upstream", lazy(
        r"\b(?:base|upstream|original|parent|underlying|foundation|pre-?trained model|modelo base"
        r"|mod[eè]le de base|basismodell)\b", _I)),
    ("dataset", lazy(r"\b(?:data(?:sets?)?|corpus|corpora|datos|donn[ée]es)\b", _I)),
    ("results", lazy(
        r"\b(?:results?|outputs?|generations?|generated text|evaluations?|evals?|predictions"
        r"|benchmarks?|scores?|leaderboard)\b", _I)),
    ("code", lazy(
        r"\b(?:code|codes|source|software|scripts?|codebase|implementation|library|tooling"
        r"|notebooks?|c[oó]digo)\b", _I)),
    ("docs", lazy(r"\b(?:documentation|docs|model card|this card|readme|paper)\b", _I)),
    ("weights", lazy(
        r"\b(?:weights|model|models|adapters?|lora|checkpoints?|repo|repository|modelo|pesos)\b",
        _I)),
)  # fmt: skip
_STRONG = lazy(
    r"\bthis (?:adapter|repo|repository|model|lora|checkpoint)\b|\b(?:lora|adapter|model) weights\b"
    r"|\bwe (?:release|license|distribute)\b",
    _I,
)
# The license is said to apply to this repo whatever it first belonged to.
_APPLIES = lazy(
    r"\b(?:propagates?|applies|flows? down|carries over|is inherited) to (?:this|the) "
    r"(?:adapter|repo|repository|model|lora|checkpoint|weights)\b",
    _I,
)
_REACH = 300  # a clause is read at most this far on each side of its license
_CLAUSE = lazy(r";|,\s+(?=(?:while|whereas|but|and|the|our|its|their)\b)|\s(?:while|whereas)\s", _I)
# "Label: " / "Label → " / "Label = " right before the license, after a start, "|", ";" or "•".
_LABEL = lazy(
    r"(?:^|[|;•(]\s*|\s[—–-]\s)([^\s|;:•(→][^|;:•(→]{0,48}?)\s*(?:[:：=]|→|->|=>)\s*"
    r"((?:[\w.'’-]+\s+){0,4})$"
)
_VERB = lazy(
    r"^(.{1,80}?)\s+(?:is|are|was|were)\s+(?:also\s+|both\s+|all\s+)?(?:licen[cs]ed|released"
    r"|distributed|available|provided|made available|published|covered|shared|offered|under)\b",
    _I,
)
# "The evaluation results are CC BY-NC-SA 4.0": the license follows the verb directly.
_IS = lazy(r"^(.{1,80}?)\s+(?:is|are)\s+(?:the\s+)?$", _I)
_URL = lazy(r"<[^>\s]*>")
_REPO = lazy(r"^[\w.-]+/[\w.-]+(?:\s*<[^>]*>)?$")


@lru_cache(maxsize=4096)
def _alnum(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def kind_of(phrase: str, bases: Iterable[str] = ()) -> Subject:
    """The subject a short phrase names ("Model Weights", "Code", "Llama 2", ...)."""
    phrase = phrase.strip()
    if not phrase:
        return "unknown"
    key = _alnum(re.sub(r"<[^>]*>", " ", phrase))
    for base in bases:
        tail = _alnum(base.rsplit("/", 1)[-1])
        if key and tail and (key in (tail, _alnum(base)) or (len(key) >= 4 and key in tail)):
            return "upstream"
    if _REPO.match(phrase):
        return "unknown"  # another repo's id, not one of the bases: not these weights either
    for subject, pattern in _KINDS:
        if pattern.search(phrase):
            return subject
    return "unknown"


def _clause(text: str, start: int) -> tuple[int, int]:
    """Bounds of the clause around ``start``: "The code is MIT, while the model weights follow
    the Llama license" has two subjects, one per clause."""
    low, high = max(0, start - _REACH), min(len(text), start + _REACH)  # bounded per mention
    begin = max((m.end() for m in _CLAUSE.finditer(text, low, start)), default=low)
    after = _CLAUSE.search(text, start, high)
    return begin, after.start() if after else high


def subject_of(
    text: str, start: int, line_start: int, section: str, bases: Iterable[str] = ()
) -> tuple[Subject, bool]:
    """The subject of the license named at ``text[start:]`` and whether a cue decided it.

    ``text`` is the sentence or field, ``line_start`` the offset of the line the license is on,
    ``section`` the title of the section it is in. Cues are read in the license's own clause.
    """
    bases = tuple(bases)
    window = _URL.sub(" ", text[line_start:start])[-120:]  # "org/name <https://…>: MIT"
    if m := _LABEL.search(window):
        kind = kind_of(m.group(1), bases)
        if kind != "unknown" or _REPO.match(m.group(1).strip()):
            return kind, True
    begin, end = _clause(text, start)
    clause = text[begin:end]
    if _APPLIES.search(clause):
        return "weights", True
    if m := _VERB.match(text[begin:start]) or _IS.match(text[begin:start]):
        kind = kind_of(m.group(1), bases)
        if kind != "unknown":
            return kind, True
    if _STRONG.search(clause):
        return "weights", True
    if section and not re.search(r"licen[cs]", section, _I):
        kind = kind_of(section, bases)
        return kind, kind != "unknown"
    return "unknown", False


_SUBJECT_STRONG = lazy(
    r"\bthis (?:adapter|repo|repository|model|lora|checkpoint)\b|\b(?:lora|adapter) weights\b|"
    r"\bpropagates? to\b|\bwe (?:release|license|distribute)\b",
    _I,
)
_SUBJECT_LABEL = lazy(r"^(?:licen[cs]e|licensing|licence)\b[^:]{0,20}:", _I)
_SUBJECT_WEAK = lazy(
    r"\b(?:released|licen[cs]ed|distributed|available|provided) under\b|"
    r"\bsubject to\b",
    _I,
)
_NOT_SUBJECT = lazy(
    r"\bbase\b|\bupstream\b|\bdata(?:sets?)?\b|\boriginal\b|\bparent\b|"
    r"\bcontent\b|\bcomponents?\b",
    _I,
)
_PARENS = lazy(r"\([^)]*\)")
_LICENSE_SECTION = lazy(
    r"^(?:licen[cs](?:e|es|ing)|licencias?|lizenz)(?: information| terms| details)?$", _I
)


def about_subject(text: str, in_license_section: bool) -> bool:
    """Does this sentence declare the subject's own license (not a base's or a dataset's)?"""
    if _SUBJECT_STRONG.search(text):
        return True
    outside = _PARENS.sub(" ", text)
    if _NOT_SUBJECT.search(outside):
        return False
    return bool(_SUBJECT_LABEL.search(text) or _SUBJECT_WEAK.search(text) or in_license_section)


_TERMS_LINK = lazy(
    r"<https?://[^>\s]*(?:terms|polic|aup|prohibited|acceptable|use-?restrictions)[^>\s]*>", _I
)


@lru_cache(maxsize=1024)
def _license_section(title: str) -> bool:
    """Is a section (its cleaned, lower-case title) about the license? Asked once per unit."""
    return bool(_LICENSE_SECTION.search(title))


def license_section_terms(unit: Unit, file: str) -> list[Statement]:
    """A ``## License`` section that links terms of use or a use policy ("see the [Gemma terms]
    (https://ai.google.dev/gemma/terms)") passes those terms on: a ``gated-terms`` statement."""
    if not _license_section(section_title(unit.path)):
        return []
    m = _TERMS_LINK.search(unit.text[:20_000])
    if m is None:
        return []
    where = Location(file=file, line=unit.line_at(m.start()))
    return [Statement(kind="gated-terms", text=unit.text[:400], location=where)]


def license_mentions(
    unit: Unit, file: str, found: list[tuple[int, int, str]], bases: tuple[str, ...] = ()
) -> list[LicenseMention]:
    """License names ``found`` in a unit (see ``lic.mentions``), each with whom it is about
    (:mod:`auditor.card.subjects`); ``bases`` are the base models the card names."""
    if not found:
        return []
    text = unit.text[:20_000]
    title = section_title(unit.path)
    in_section = _license_section(title)
    context: Literal["prose", "license-section"] = "license-section" if in_section else "prose"
    out = []
    for start, _, spdx in found:
        line_start = max((o for o, _ in unit.marks if o <= start), default=0)
        subject, decided = subject_of(text, start, line_start, title, bases)
        if not decided:
            begin, end = _clause(text, start)
            subject = "weights" if about_subject(text[begin:end], in_section) else "unknown"
        out.append(
            LicenseMention(
                license=spdx,
                text=text[:400],
                context=context,
                about_subject=subject == "weights",
                subject=subject,
                location=Location(file=file, line=unit.line_at(start)),
            )
        )
    return out
