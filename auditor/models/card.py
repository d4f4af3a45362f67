"""The data model: what a card claims (the card stage's types)."""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from auditor.models.base import (
    ClaimValue,
    Frozen,
    Location,
    model,
)


@model
class Claim(Frozen):
    """One fact a card states, e.g. ``rank = 16`` from a table row, with where it was said."""

    name: str
    value: ClaimValue
    raw: str
    source: Literal["table", "prose", "list", "pst", "front-matter", "rendered", "code"]
    location: Location


@model
class LicenseMention(Frozen):
    """A license named in the card body, normalised, with its sentence."""

    license: str
    text: str
    context: Literal["prose", "chain-subject", "chain-upstream", "license-section"]
    about_subject: bool  # about these weights: the only mentions license.conflict-in-card reads
    location: Location
    # Whom the sentence is about (auditor.card.subjects): these weights, the code, the docs, a
    # dataset, results/outputs, an upstream model, or "unknown" (no cue either way).
    subject: Literal["weights", "code", "docs", "dataset", "results", "upstream", "unknown"] = (
        "unknown"
    )


@model
class ChainRow(Frozen):
    """A row of a "License chain" table."""

    component: str
    license_text: str
    license: str | None
    is_subject: bool
    location: Location


@model
class Statement(Frozen):
    """A compliance statement recognised in the card (kinds are listed in docs/facts.md)."""

    kind: str
    text: str
    value: str | None = None
    location: Location


@model
class Section(Frozen):
    """A Markdown heading of the card body."""

    title: str
    level: int
    line: int


CardProblemKind = Literal[
    "missing",
    "front-matter-missing",
    "front-matter-invalid",
    "field-type",
    "truncated",
    "flattened",
    "unreadable",
]


@model
class CardProblem(Frozen):
    """Something wrong with the card as a document (becomes a ``card.*`` finding)."""

    kind: CardProblemKind
    message: str
    location: Location


@model
class CardMetadata(Frozen):
    """The YAML front matter, normalised once into strict types."""

    license: tuple[str, ...] = ()
    license_name: str | None = None
    license_link: str | None = None
    base_model: tuple[str, ...] = ()
    base_model_relation: str | None = None
    datasets: tuple[str, ...] = ()
    library_name: str | None = None
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    language: tuple[str, ...] = ()
    gated: bool = False
    extra_gated_prompt: str | None = None
    lines: dict[str, int] = field(default_factory=dict)


@model
class PstField(Frozen):
    """A field of the AI Office training-content summary template found in the card."""

    key: str
    label: str
    value: str
    location: Location


@model
class PstSummary(Frozen):
    """The training-content summary (template of 2025-07-24) as found in the card."""

    sections: tuple[str, ...] = ()
    fields: tuple[PstField, ...] = ()
    links: tuple[str, ...] = ()


@model
class CardClaims(Frozen):
    """Everything a card claims, each with its file and line."""

    file: str = "README.md"
    present: bool = True
    metadata: CardMetadata = CardMetadata()
    hyperparameters: tuple[Claim, ...] = ()
    base_models_in_prose: tuple[Claim, ...] = ()
    license_mentions: tuple[LicenseMention, ...] = ()
    chain_rows: tuple[ChainRow, ...] = ()
    statements: tuple[Statement, ...] = ()
    sections: tuple[Section, ...] = ()
    pst: PstSummary | None = None
    dialects: tuple[str, ...] = ()
    problems: tuple[CardProblem, ...] = ()
