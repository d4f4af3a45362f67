"""Turn a parsed :class:`Document` into units and run every extractor over them.

Units come in three shapes (see :mod:`auditor.card.text`): labelled fields (table rows, "Label:
value" lines, and in rendered pages "Label value" lines whose label is a known parameter),
sentences of the remaining text, and headings. Fields give hyperparameters through their label;
sentences through the prose patterns; all of them are searched for statements and license names.
License-chain tables give :class:`ChainRow` objects and are not searched again for license names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from typing import TypeVar

from auditor.card.bases import base_models
from auditor.card.document import Block, Document, Heading, Table
from auditor.card.lazyre import lazy
from auditor.card.license_names import mentions_many
from auditor.card.params import scan
from auditor.card.prose import active_statements, statements
from auditor.card.pst import in_pst
from auditor.card.subjects import license_mentions, license_section_terms
from auditor.card.tables import chain_rows, field_claims, is_chain_table, table_units
from auditor.card.text import (
    Source,
    Unit,
    clean,
    clean_title,
    field_unit,
    joined,
    sentences,
    split_field,
)
from auditor.card.values import LABELS, canonical, label_key
from auditor.models import ChainRow, Claim, LicenseMention, Statement
from auditor.records import mutable_record

_Item = TypeVar("_Item", Claim, LicenseMention, Statement)

_MAX_PREFIX_WORDS = 5
_SLASH_LIST = lazy(r"^([a-z][a-z_ -]{0,30}(?:/[a-z_ -]{1,30})+)(?:[:=]\s*|\s+)-?\.?\d", re.I)
_LICENSE_LABEL = lazy(r"^licen[cs](?:e|ing)\b", re.I)


@mutable_record
class Units:
    """All units of a card, by shape."""

    fields: list[Unit] = field(default_factory=list)
    prose: list[Unit] = field(default_factory=list)
    headings: list[Unit] = field(default_factory=list)
    chain_tables: list[Table] = field(default_factory=list)


def rendered_field(text: str) -> tuple[str, str] | None:
    """Split a rendered-page line "Rank / alpha 16 / 32" or "Optimizer Adam, LR 1e-5"."""
    if (m := _SLASH_LIST.match(text)) and sum(label_key(n) in LABELS for n in m[1].split("/")) > 1:
        return None  # "Rank / alpha / dropout 16 / 32 / 0.05": read pairwise by the prose pass
    words = text.split(" ")
    for n in range(min(_MAX_PREFIX_WORDS, len(words) - 1), 0, -1):
        label = " ".join(words[:n])
        key = label_key(label)
        value = " ".join(words[n:])
        if key in LABELS or (n == 1 and _LICENSE_LABEL.match(label)):
            return label, value
    return None


def _is_field(label: str, single: bool, rendered: bool) -> bool:
    known = canonical(label) is not None or bool(_LICENSE_LABEL.match(label))
    return known or single or rendered


def _block_units(block: Block, source: Source, rendered: bool, units: Units) -> None:
    """Field lines of a block become field units; the rest is joined into sentences."""
    rest: list[tuple[int, str]] = []
    single = len(block.lines) == 1
    for line, raw in block.lines:
        text = clean(raw)
        split = split_field(text)
        if split and _is_field(split[0], single, rendered):
            units.fields.append(field_unit(split[0], split[1], line, source, block.path, split[1]))
            continue
        if rendered and (split := rendered_field(text)) is not None:
            units.fields.append(field_unit(split[0], split[1], line, source, block.path, split[1]))
            continue
        rest.append((line, text))
    text, marks = joined(tuple(rest), cleaned=True)
    units.prose.extend(sentences(text, marks, source, block.path))


def build_units(
    doc: Document, rendered: bool, pst_sections: dict[Heading, str], flat: bool = False
) -> Units:
    """Every unit of the document; ``pst_sections`` are template headings (source "pst").

    In a flattened card a heading swallows the text up to the next block marker, so heading text
    is also read as prose there.
    """
    units = Units()
    for table in doc.tables:
        if is_chain_table(table):
            units.chain_tables.append(table)
        source: Source = "pst" if in_pst(table.path, pst_sections) else "table"
        units.fields.extend(table_units(table, source))
    for block in doc.blocks:
        if in_pst(block.path, pst_sections):
            source = "pst"
        elif block.kind == "bullet":
            source = "list"
        else:
            source = "rendered" if rendered else "prose"
        _block_units(block, source, rendered, units)
    for h in doc.headings:
        units.headings.append(Unit(clean(h.title), ((0, h.line),), "prose", (h,), raw=h.title))
        if flat:
            text, marks = joined(((h.line, h.title),))
            units.prose.extend(sentences(text, marks, "prose", (h,)))
    return units


@mutable_record
class Extracted:
    """What the extractors found, before deduplication."""

    hyperparameters: list[Claim] = field(default_factory=list)
    base_models: list[Claim] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    mentions: list[LicenseMention] = field(default_factory=list)
    chain: list[ChainRow] = field(default_factory=list)


def _chain_mentions(rows: list[ChainRow]) -> list[LicenseMention]:
    return [
        LicenseMention(
            license=spdx,
            text=f"{row.component}: {row.license_text}",
            context="chain-subject" if row.is_subject else "chain-upstream",
            about_subject=row.is_subject,
            location=row.location,
            subject="weights" if row.is_subject else "upstream",
        )
        for row in rows
        for spdx in (row.license or "").split(" AND ")
        if spdx
    ]


_QUOTED_CARD = lazy(r"^\W*original model card\b", re.I)


def _quoted_card(unit: Unit) -> bool:
    """Inside an "Original model card" section (quantisers copy the source card below theirs):
    the bases named there are the original's, not this repo's."""
    return any(_QUOTED_CARD.match(clean_title(h.title)) for h in unit.path)


def extract(units: Units, file: str, declared_bases: tuple[str, ...] = ()) -> Extracted:
    """Run the extractors over all units; ``declared_bases`` are the front matter's bases (a
    license sentence about one of them is about an upstream, not about these weights)."""
    out = Extracted()
    chain_lines = {row.line for t in units.chain_tables for row in t.rows}
    active = active_statements([u.text for u in units.fields + units.prose + units.headings])
    quoted: dict[int, bool] = {}  # by heading path: the units of a block share theirs

    def in_quoted_card(unit: Unit) -> bool:
        found = quoted.get(id(unit.path))
        if found is None:
            found = quoted[id(unit.path)] = _quoted_card(unit)
        return found

    for unit in units.fields:
        claims = field_claims(unit, file)
        out.hyperparameters.extend(claims)
        if not in_quoted_card(unit):
            out.base_models.extend(c for c in claims if c.name == "base_model")
            if canonical(unit.label or "") != "base_model":
                out.base_models.extend(base_models(unit, file))
        out.statements.extend(statements(unit, file, active=active))
    for unit in units.fields + units.prose:
        out.statements.extend(license_section_terms(unit, file))
    for unit in units.prose:
        out.hyperparameters.extend(scan(unit, file))
        if not in_quoted_card(unit):
            out.base_models.extend(base_models(unit, file))
        out.statements.extend(statements(unit, file, active=active))
    for unit in units.headings:
        out.statements.extend(statements(unit, file, heading=True, active=active))
    named = [u for u in units.fields if u.line not in chain_lines] + units.prose
    bases = (*declared_bases, *(str(c.value) for c in out.base_models))
    for unit, found in zip(named, mentions_many([u.text[:20_000] for u in named]), strict=True):
        out.mentions.extend(license_mentions(unit, file, found, bases))
    for table in units.chain_tables:
        out.chain.extend(chain_rows(table, file))
    out.mentions.extend(_chain_mentions(out.chain))
    return out


MAX_PER_VALUE = 8
"""Restatements of one (name, value) kept: rules compare claims pairwise (
adapter.card-self-inconsistent, license.conflict-in-card), so thousands of copies cost quadratic
time; the first few already carry the value and where the card states it."""
MAX_PER_NAME = 64
"""Claims kept per name (hyperparameter, base model, license) whatever their values."""


def cap_restatements(found: Extracted) -> int:
    """Keep the first ``MAX_PER_VALUE`` claims per value and ``MAX_PER_NAME`` per name, in place.

    Claims are hyperparameters, base models, license mentions and compliance statements.

    Returns how many claims were dropped (the caller records a ``truncated`` card problem).
    """

    def size() -> int:
        return (
            len(found.hyperparameters)
            + len(found.base_models)
            + len(found.mentions)
            + len(found.statements)
        )

    before = size()
    found.hyperparameters = _capped(found.hyperparameters, lambda c: (c.name, repr(c.value)))
    found.base_models = _capped(found.base_models, lambda c: (c.name, str(c.value).lower()))
    found.mentions = _capped(found.mentions, lambda m: ("license", m.license))
    # Statements too: per kind, and per kind and (case-folded) text.
    found.statements = _capped(found.statements, lambda s: (s.kind, s.text.lower()))
    return before - size()


def _capped(items: list[_Item], key: Callable[[_Item], tuple[str, str]]) -> list[_Item]:
    # Plain dicts: a Counter's missing key is a Python-level __missing__ call, once per claim.
    per_value: dict[tuple[str, str], int] = {}
    per_name: dict[str, int] = {}
    kept = []
    for item in items:
        name_value = key(item)
        seen = per_value.get(name_value, 0)
        named = per_name.get(name_value[0], 0)
        if seen < MAX_PER_VALUE and named < MAX_PER_NAME:
            per_value[name_value] = seen + 1
            per_name[name_value[0]] = named + 1
            kept.append(item)
    return kept
