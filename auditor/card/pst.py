"""The AI Office training-content summary template (C(2025) 5235, 24 July 2025) in a card.

A heading is a template section when its number *and* its title match :data:`SECTIONS` ("1.1.
Provider identification", "2.1 Publicly available datasets", "3.1 Respect of reservations of
rights…"); the older Ailiance dialects ("## Section 1 — General information about the model",
"## 1. Model identity") count too. Field labels become stable keys through :data:`FIELD_KEYS`
(first match wins, else a slug of the label), so policies can ask for ``placement-date`` or
``model-dependencies`` whatever the exact wording. Legal background: docs/legal-basis.md §3.
"""

from __future__ import annotations

import re

from auditor.card.document import Document, Heading
from auditor.card.lazyre import lazy
from auditor.card.text import Unit, clean_title
from auditor.card.values import label_key
from auditor.models import Location, PstField, PstSummary

SECTIONS: tuple[tuple[str, str], ...] = (
    ("1", r"general information|model identity"),
    ("1.1", r"provider identification"),
    ("1.2", r"model identification"),
    ("1.3", r"modalit|training data size"),
    ("2", r"(?:list of )?data sources"),
    ("2.1", r"publicly available data"),
    ("2.2", r"private|non-public|third[- ]part"),
    ("2.2.1", r"commercially licen"),
    ("2.2.2", r"other private"),
    ("2.3", r"crawl|scrap"),
    ("2.4", r"user data"),
    ("2.5", r"synthetic"),
    ("2.6", r"other sources"),
    ("3", r"data[- ]processing|processing aspects"),
    ("3.1", r"reservations? of rights|\btdm\b|text and data mining"),
    ("3.2", r"illegal content"),
    ("3.3", r"other information"),
)
"""Template section number → title pattern (docs/legal-basis.md §3.2–3.4)."""

FIELD_KEYS: tuple[tuple[str, str], ...] = (
    (r"authori[sz]ed representative", "authorised-representative"),
    (r"provider contact|contact point", "provider-contact"),
    (r"provider", "provider"),
    (r"model dependenc|base model", "model-dependencies"),
    (r"versioned model|model name", "versioned-model-names"),
    (r"placement|first public release|release date", "placement-date"),
    (r"latest date of data|data acquisition|data collection|collection period", "latest-data-date"),
    (r"training data size|size bucket|text bucket|overall size", "size-bucket"),
    (r"alternative unit", "size-alternative"),
    (r"types? of content|content types?", "content-types"),
    (r"modalit", "modality"),
    (r"linguistic|languages", "linguistic-characteristics"),
    (r"other characteristics", "other-characteristics"),
    (r"systemic", "systemic-risk"),
    (r"risk classification|risk class\b", "risk-classification"),
    (r"publicly available data", "public-datasets"),
    (r"commercially licen", "licensed-datasets"),
    (r"crawler", "crawlers"),
    (r"user data", "user-data"),
    (r"synthetic", "synthetic-data"),
    (r"signatory|code of practice", "cop-signatory"),
    (r"reservations? of rights|opt-?out|\btdm\b", "tdm-measures"),
    (r"illegal content", "illegal-content-measures"),
)
"""Field label pattern → stable key; tried in order."""

_SECTION_RES = tuple((num, lazy(pat, re.I)) for num, pat in SECTIONS)
_FIELD_RES = tuple((lazy(pat, re.I), key) for pat, key in FIELD_KEYS)
_NUMBERED = lazy(r"^(section\s+)?(\d(?:\.\d){0,2})\.?\s*(?:[—–:-]\s*)?(.+)$", re.I)
_URL = lazy(r"https?://[^\s<>)\]|\"']+")


def section_number(heading: Heading) -> tuple[str, bool] | None:
    """The template number of a heading and whether it is unambiguous, or ``None``."""
    m = _NUMBERED.match(clean_title(heading.title))
    if not m:
        return None
    number, title = m.group(2), m.group(3)
    for num, pattern in _SECTION_RES:
        if num == number and pattern.search(title):
            strong = "." in number or bool(m.group(1)) or "model identity" in title.lower()
            return number, strong
    return None


def find_sections(doc: Document) -> dict[Heading, str]:
    """Template number of every template heading; empty unless the card really is a PST."""
    found: dict[Heading, str] = {}
    strong = False
    for heading in doc.headings:
        hit = section_number(heading)
        if hit:
            found[heading] = hit[0]
            strong = strong or hit[1]
    return found if strong or len(found) >= 2 else {}


def field_key(label: str) -> str:
    """Stable key of a template field label ("Date of placement …" → ``placement-date``)."""
    for pattern, key in _FIELD_RES:
        if pattern.search(label):
            return key
    return label_key(label).replace(" ", "-")[:60] or "field"


def in_pst(path: tuple[Heading, ...], sections: dict[Heading, str]) -> bool:
    """True when a block sits under a template heading."""
    return bool(sections) and not sections.keys().isdisjoint(path)


def summarise(sections: dict[Heading, str], units: list[Unit], file: str) -> PstSummary:
    """The template sections found, the labelled fields under them, and their links."""
    numbers: list[str] = []
    for number in sections.values():
        if number not in numbers:
            numbers.append(number)
    fields: list[PstField] = []
    links: list[str] = []
    for unit in units:
        if not in_pst(unit.path, sections):
            continue
        if unit.label and unit.value:
            fields.append(
                PstField(
                    key=field_key(unit.label),
                    label=unit.label,
                    value=unit.value[:2000],
                    location=Location(file=file, line=unit.line),
                )
            )
        for url in _URL.findall(unit.text):
            url = url.rstrip(".,;:")
            if url not in links:
                links.append(url)
    return PstSummary(sections=tuple(numbers), fields=tuple(fields), links=tuple(links))
