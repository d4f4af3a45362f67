"""Tables and labelled fields: hyperparameter rows, "License chain" rows.

A labelled field is anything of the shape *label → value*: a two-column table row ("| Rank | 16 |"),
a column of a horizontal table whose header names the parameter, a "**LoRA _r_**: 8" bullet, or a
rendered-page line "Rank / alpha / dropout 16 / 32 / 0.05". :func:`field_claims` reads the label's
own claim (``Optimizer | Adam, LR 1e-5`` → optimizer ``adam``) and then the parameters embedded in
the value (→ learning_rate ``1e-5``); each keeps the value cell as ``raw``.
"""

from __future__ import annotations

import re

from auditor.card.document import Table
from auditor.card.lazyre import lazy
from auditor.card.license_names import license_of
from auditor.card.params import scan
from auditor.card.text import Source, Unit, clean, field_unit, section_title
from auditor.card.values import canonical, label_key, parse_value
from auditor.models import ChainRow, Claim, Location

_CHAIN_TITLE = lazy(r"licen[cs]e (?:chain|lineage|inheritance|derivation)", re.I)
_SUBJECT = lazy(
    r"this (?:repo|repository|adapter|model|lora|checkpoint)|\blora (?:adapter|weights)\b"
    r"|\badapter weights\b|\bthis$",
    re.I,
)


def field_claims(unit: Unit, file: str) -> list[Claim]:
    """Claims of a labelled field unit: the label's parameter, then parameters in the value."""
    label, value = unit.label or "", unit.value or ""
    name = canonical(label)
    if name is None:
        # "Rank / alpha / dropout | 16 / 32 / 0.05" or "Model dependencies | fine-tune (LoRA,
        # rank 16) of …": read the whole row as text, vouched only for a slash list of names.
        return scan(unit, file, vouched="/" in label)
    claims: list[Claim] = []
    parsed = parse_value(name, value)
    if name == "num_layers" and parsed is None:
        name, parsed = "layers", parse_value("layers", value)
    if parsed is not None:
        loc = Location(file=file, line=unit.line)
        claims.append(
            Claim(name=name, value=parsed, raw=value[:400], source=unit.source, location=loc)
        )
    inner = Unit(value, ((0, unit.line),), unit.source, unit.path, raw=value)
    return claims + scan(inner, file, vouched=True, skip=frozenset({name}))


def table_units(table: Table, source: Source) -> list[Unit]:
    """Field units of a table: per row (vertical tables) or per cell (horizontal tables)."""
    units: list[Unit] = []
    header = [clean(c) for c in table.header] if table.header else []
    horizontal = sum(canonical(h) is not None for h in header) >= 2
    for row in table.rows:
        cells = [clean(c) for c in row.cells]
        if horizontal:
            for head, cell in zip(header, cells, strict=False):
                if cell and canonical(head):
                    units.append(field_unit(head, cell, row.line, source, table.path, cell))
            continue
        if len(cells) >= 2 and cells[0]:
            value = " | ".join(c for c in cells[1:] if c)
            raw = " | ".join(row.cells[1:]).strip()
            units.append(field_unit(cells[0], value, row.line, source, table.path, raw))
        elif any(cells):
            text = " | ".join(c for c in cells if c)
            units.append(Unit(text, ((0, row.line),), source, table.path, raw=text))
    return units


def is_chain_table(table: Table) -> bool:
    """A "License chain" table: under such a heading, or headed Component | License."""
    if _CHAIN_TITLE.search(section_title(table.path)):
        return True
    header = [label_key(c) for c in table.header or ()]
    return len(header) >= 2 and "component" in header[0] and header[1].startswith("licen")


def chain_rows(table: Table, file: str) -> list[ChainRow]:
    """The rows of a License-chain table, with the subject's own row marked."""
    out: list[ChainRow] = []
    for row in table.rows:
        if len(row.cells) < 2 or not clean(row.cells[0]):
            continue
        component, license_text = clean(row.cells[0]), clean(row.cells[1])
        bold = row.cells[0].strip().startswith("**") and row.cells[0].strip().endswith("**")
        out.append(
            ChainRow(
                component=component,
                license_text=license_text,
                license=license_of(license_text),
                is_subject=bold or bool(_SUBJECT.search(component)),
                location=Location(file=file, line=row.line),
            )
        )
    return out
