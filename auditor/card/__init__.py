"""Card stage: a README.md (model or dataset card) → :class:`CardClaims`, each claim with its line.

``parse_card(text, file)`` reads the YAML front matter (:mod:`.frontmatter`) and the body in every
dialect seen in the wild: the Ailiance "push v2" card (``## Training`` table, ``## License chain``),
the AI Office training-summary template and its older Ailiance variants (:mod:`.pst`), the Hub
model-card template's ``* **License:** …`` bullets, pages rendered to plain text (no front matter,
"Rank / alpha / dropout 16 / 32 / 0.05"), and cards whose newlines were flattened into spaces.
It never raises: malformed input becomes a :class:`CardProblem` (docs/architecture.md,
"Errors and exit codes": bad input is data, never an exception). It imports neither mlx nor
transformers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TypeVar

from auditor.card.code import lora_config_claims, recipe_lineage
from auditor.card.document import Document, parse_blocks, unflatten
from auditor.card.extract import Extracted, Units, build_units, cap_restatements, extract
from auditor.card.frontmatter import FrontMatter, parse_front_matter
from auditor.card.lazyre import lazy
from auditor.card.pst import find_sections, summarise
from auditor.card.values import label_key
from auditor.models import (
    CardClaims,
    CardProblem,
    CardProblemKind,
    Claim,
    LicenseMention,
    Location,
    PstSummary,
    Section,
    Statement,
)

__all__ = ["parse_card"]

MAX_CARD_CHARS = 2_000_000
"""Longer cards are read up to this many characters (and reported as truncated)."""

_NEWLINE = lazy(r"\r\n|\r|\n")
_TRUNCATED = lazy(r"truncat", re.I)
_PUSH_V2 = frozenset({
    "training", "training data lineage", "license chain", "eu ai act compliance",
    "benchmark roadmap",
})  # fmt: skip
_HUB_TEMPLATE = frozenset({
    "developed by", "funded by", "shared by", "model type", "language nlp", "languages", "license",
    "finetuned from model", "finetuned from", "repository", "paper", "demo",
})  # fmt: skip


def parse_card(text: str | None, file: str = "README.md") -> CardClaims:
    """Everything a card claims. ``None`` means the repo has no card (a "missing" problem)."""
    if text is None:
        problem = CardProblem(
            kind="missing",
            message="the repository has no README.md card",
            location=Location(file=file),
        )
        return CardClaims(file=file, present=False, problems=(problem,))
    # The Hub's front-matter regex runs in JavaScript, where \s matches a byte-order mark;
    # Python's does not, so a BOM would hide the metadata (it sits on line 1: lines are unchanged).
    text = text.removeprefix("\ufeff")
    try:
        return _parse(text, file)
    except Exception as exc:  # last resort: bad input is a finding, never a traceback
        problem = CardProblem(
            kind="unreadable",
            message=f"the card could not be read ({type(exc).__name__})",
            location=Location(file=file),
        )
        return CardClaims(file=file, problems=(problem,))


def _is_flattened(lines: list[str]) -> bool:
    """One very long line carrying Markdown block syntax: a store dropped the newlines."""
    filled = [ln for ln in lines if ln.strip()]
    if len(filled) > 2 or not filled:
        return False
    longest = max(filled, key=len)
    markers = (" # ", " ## ", "| |", " * **", " - **", "--- ")
    return len(longest) > 300 and sum(m in longest for m in markers) >= 2


def _body_lines(fm: FrontMatter, lines: list[str], flat: bool) -> list[tuple[int, str]]:
    if fm.flattened_body is not None:
        return unflatten(fm.flattened_body)
    if flat:
        return unflatten(" ".join(lines[fm.body_line - 1 :]), fm.body_line)
    return list(enumerate(lines, start=1))[fm.body_line - 1 :]


def _input_problems(text: str, file: str) -> tuple[str, list[CardProblem]]:
    """Cap the size and notice binary content, before any parsing."""
    problems: list[CardProblem] = []
    if not isinstance(text, str):  # defensive: a caller passed bytes
        text = bytes(text).decode("utf-8", errors="replace")
    if len(text) > MAX_CARD_CHARS:
        text = text[:MAX_CARD_CHARS]
        message = f"the card is longer than {MAX_CARD_CHARS} characters; only the start was read"
        problems.append(_problem("truncated", message, file, None))
    if "\x00" in text or text.count("\ufffd") > max(20, len(text) // 20):
        problems.append(_problem("unreadable", "the card is not valid UTF-8 text", file, None))
    return text, problems


def _parse(text: str, file: str) -> CardClaims:
    text, problems = _input_problems(text, file)
    lines = _NEWLINE.split(text) if "\r" in text else text.split("\n")  # the same lines
    fm = parse_front_matter("\n".join(lines), file)
    problems.extend(fm.problems)
    flat = fm.flattened_body is not None or _is_flattened(lines[fm.body_line - 1 :])
    if flat and not any(p.kind == "flattened" for p in problems):
        message = "the card's newlines are gone: Markdown structure is lost"
        problems.append(_problem("flattened", message, file, fm.body_line))
    doc = parse_blocks(_body_lines(fm, lines, flat))
    rendered = not fm.present and not flat and not doc.headings and _filled(lines) >= 3
    pst_sections = find_sections(doc)
    units = build_units(doc, rendered, pst_sections, flat)
    found = extract(units, file, fm.metadata.base_model)
    recipe_bases, merges = recipe_lineage(doc.code, file)
    found.base_models.extend(recipe_bases)
    found.statements.extend(merges)
    found.hyperparameters.extend(lora_config_claims(doc.code, file))
    dropped = cap_restatements(found)
    if dropped:
        message = (
            f"the card restates the same claims over and over: {dropped} restatement(s) beyond "
            "the first few per value were not read"
        )
        problems.append(_problem("truncated", message, file, None))
    pst = summarise(pst_sections, units.fields + units.prose, file) if pst_sections else None
    if pst is not None:
        found.statements.append(_pst_statement(pst, min(h.line for h in pst_sections), file))
    problems.extend(_truncation(doc, file))
    return CardClaims(
        file=file,
        present=True,
        metadata=fm.metadata,
        hyperparameters=_in_line_order(_unique_claims(_same_quantity(found.hyperparameters))),
        base_models_in_prose=_in_line_order(
            _without_short_names(_unique_claims(found.base_models), fm.metadata.base_model)
        ),
        license_mentions=_in_line_order(list(dict.fromkeys(found.mentions))),
        chain_rows=tuple(found.chain),
        statements=_in_line_order(list(dict.fromkeys(found.statements))),
        sections=tuple(
            Section(title=units.headings[i].text[:200], level=h.level, line=h.line)
            for i, h in enumerate(doc.headings)
        ),
        pst=pst,
        dialects=_dialects(units, found, flat, rendered, bool(pst_sections)),
        problems=tuple(dict.fromkeys(problems)),
    )


_T = TypeVar("_T", Claim, Statement, LicenseMention)


def _in_line_order(items: list[_T]) -> tuple[_T, ...]:
    """Sort by line (stable: on one line, the order the extractors found them)."""
    return tuple(sorted(items, key=lambda item: item.location.line or 0))


def _pst_statement(pst: PstSummary, line: int, file: str) -> Statement:
    """The card itself is a training-content summary (Art. 53(1)(d), template of 2025-07-24)."""
    text = "AI Office training-content summary template, sections " + ", ".join(pst.sections)
    return Statement(kind="training-summary", text=text, location=Location(file=file, line=line))


def _filled(lines: list[str]) -> int:
    return sum(1 for ln in lines if ln.strip())


def _problem(kind: CardProblemKind, message: str, file: str, line: int | None) -> CardProblem:
    return CardProblem(kind=kind, message=message, location=Location(file=file, line=line))


def _unique_claims(claims: list[Claim]) -> list[Claim]:
    """Drop exact repeats (same name, value and line); keep restatements on other lines."""
    seen: dict[tuple[str, str, int | None], Claim] = {}
    for claim in claims:
        seen.setdefault((claim.name, repr(claim.value), claim.location.line), claim)
    return list(seen.values())


_INPUT_ONLY = lazy(r"\b(?:input|prompt|source)s?\b(?![^()]*\+)", re.I)
_OUTPUT_ONLY = lazy(r"\b(?:output|completion|generation|target|new)s?\b(?![^()]*\+)", re.I)
_BREAKDOWN = lazy(r"\+|\btotal\b", re.I)


def _same_quantity(claims: list[Claim]) -> list[Claim]:
    """A length said to be of the input or of the output only ("input limited to 1024 tokens",
    "max_new_tokens 512") is not the training sequence length: it becomes ``max_input_length``
    or ``max_output_length``, so it is never compared with ``max_seq_length`` ("1536 tokens
    (1024 input + 512 output)" is a total with its breakdown, and stays)."""
    out = []
    for claim in claims:
        raw = claim.raw
        if claim.name == "max_seq_length" and not _BREAKDOWN.search(raw):
            if _INPUT_ONLY.search(raw) and not _OUTPUT_ONLY.search(raw):
                claim = replace(claim, name="max_input_length")
            elif _OUTPUT_ONLY.search(raw) and not _INPUT_ONLY.search(raw):
                claim = replace(claim, name="max_output_length")
        out.append(claim)
    return out


def _without_short_names(bases: list[Claim], declared: tuple[str, ...]) -> list[Claim]:
    """Drop a bare name ("Llama-3.1-8B-Instruct", "Llama") that is part of the name of a repo id
    the card gives elsewhere ("meta-llama/Meta-Llama-3.1-8B-Instruct"): it names that model or
    its family."""
    repos = [r.lower() for r in declared]
    repos += [str(c.value).lower() for c in bases if "/" in str(c.value)]
    tails = [_alnum(r.rsplit("/", 1)[-1]) for r in repos]
    return [
        c for c in bases if "/" in str(c.value) or not any(_alnum(str(c.value)) in t for t in tails)
    ]


def _alnum(text: str) -> str:
    """ "Llama-3.2 1B" and "llama-3.2-1b" compare equal: letters and digits only, lower case."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _truncation(doc: Document, file: str) -> list[CardProblem]:
    out: list[CardProblem] = []
    for table in doc.tables:
        # GFM allows rows without the closing pipe; only a last row that breaks the table's own
        # style and is short of cells, or ends the file, is visibly cut off.
        last = table.rows[-1] if table.rows else None
        width = len(table.header or table.rows[0].cells) if table.rows else 0
        if (
            last is not None
            and not last.closed
            and table.first_closed
            and (len(last.cells) < width or last.line == doc.last_line)
        ):
            out.append(_problem("truncated", "the last row of a table is cut off", file, last.line))
    for line, text in doc.comments:
        if _TRUNCATED.search(text):
            out.append(_problem("truncated", "a comment says the card is truncated", file, line))
    if doc.open_fence_line is not None:
        out.append(_problem("truncated", "a code block is never closed", file, doc.open_fence_line))
    return out


def _dialects(
    units: Units, found: Extracted, flat: bool, rendered: bool, pst: bool
) -> tuple[str, ...]:
    titles = {label_key(u.text) for u in units.headings}
    out: list[str] = []
    if len(titles & _PUSH_V2) >= 2 or found.chain:
        out.append("push-v2")
    if pst:
        out.append("pst")
    labels = {label_key(u.label or "") for u in units.fields if u.source in ("list", "rendered")}
    if len(labels & _HUB_TEMPLATE) >= 3:
        out.append("hub-template")
    if rendered:
        out.append("rendered")
    if flat:
        out.append("flattened")
    return tuple(out)
