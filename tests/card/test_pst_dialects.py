"""The AI Office training-summary template, and dialect detection (hub template, rendered, flat)."""

from __future__ import annotations

import re
from pathlib import Path

import huggingface_hub
import pytest

from auditor.card import parse_card
from auditor.card.extract import rendered_field

from .helpers import kinds, problem_kinds, values

PST = """---
license: apache-2.0
---
# 1. General information
## 1.1. Provider identification
| Field | Value |
|---|---|
| **Provider name and contact details** | Acme — Issues: https://github.com/acme/x/issues |
| **Authorised representative name and contact details** | Not applicable |
## 1.2. Model identification
| Field | Value |
|---|---|
| **Versioned model name(s)** | `acme/x-lora` (v1) |
| **Model dependencies** | A fine-tune (LoRA, rank 8) of [`org/base`](https://hf.co/org/base). |
| **Date of placement of the model on the Union market** | 2026-05-06 |
## 1.3. Modalities, overall training data size and other characteristics
| **Modality** | ☒ Text ☐ Image |
| **Training data size (text bucket)** | ☒ Less than 1 billion tokens |
| **Latest date of data acquisition / collection for model training** | 10/2025 |
# 2. List of data sources
## 2.1 Publicly available datasets
- Dataset: [org/data](https://huggingface.co/datasets/org/data)
# 3. Data processing aspects
## 3.1 Respect of reservations of rights from text and data mining exception
We honour robots.txt.
"""


def test_pst_sections_fields_and_links() -> None:
    card = parse_card(PST)
    assert card.pst is not None
    assert card.pst.sections == ("1", "1.1", "1.2", "1.3", "2", "2.1", "3", "3.1")
    keys = [f.key for f in card.pst.fields]
    assert keys[:5] == [
        "provider", "authorised-representative", "versioned-model-names", "model-dependencies",
        "placement-date",
    ]  # fmt: skip
    assert {"modality", "size-bucket", "latest-data-date"} <= set(keys)
    placement = next(f for f in card.pst.fields if f.key == "placement-date")
    assert (placement.value, placement.location.line) == ("2026-05-06", 15)
    assert "https://github.com/acme/x/issues" in card.pst.links
    assert "https://huggingface.co/datasets/org/data" in card.pst.links
    assert "pst" in card.dialects
    summary = [s for s in card.statements if s.kind == "training-summary"]
    assert summary and summary[0].location.line == 4
    assert {"robots-txt", "contact"} <= kinds(card)
    assert "authorised-representative" not in kinds(card)  # "Not applicable"
    rank = next(c for c in card.hyperparameters if c.name == "rank")
    assert (rank.value, rank.source, rank.location.line) == (8, "pst", 14)
    assert "org/base" in [c.value for c in card.base_models_in_prose]


def test_older_ailiance_dialects_count_as_pst() -> None:
    old = (
        "## Section 1 — General information about the model\n| Field | Value |\n|---|---|\n"
        "| **Latest version date** | 2026-05-06 |\n"
    )
    card = parse_card(old)
    assert card.pst is not None and card.pst.sections == ("1",)
    assert card.pst.fields[0].key == "latest-version-date"
    identity = parse_card("## 1. Model identity\n| Adapter method | LoRA (rank 16, alpha 32) |\n")
    assert identity.pst is not None
    assert values(identity, "method") == ["lora"]
    assert values(identity, "rank") == [16] and values(identity, "alpha") == [32]


def test_numbered_headings_alone_are_not_a_pst() -> None:
    card = parse_card("# 1. Introduction\n## 1.1 Background\n# 2. Results\n")
    assert card.pst is None
    assert "pst" not in card.dialects


def test_hub_template_bullets() -> None:
    card = parse_card(
        "---\nlicense: cc-by-nc-4.0\n---\n## Model Details\n"
        "* **Developed by:** Someone\n* **Model type:** Causal LM, LoRA adapters\n"
        "* **License:** CC-BY-NC-4.0\n"
        "* **Finetuned from model:** [meta-llama/Llama-3.1-8B](https://x.org)\n"
    )
    assert "hub-template" in card.dialects
    assert [c.value for c in card.base_models_in_prose] == ["meta-llama/Llama-3.1-8B"]
    assert card.base_models_in_prose[0].source == "list"
    assert [(m.license, m.about_subject) for m in card.license_mentions] == [("CC-BY-NC-4.0", True)]


def test_rendered_page() -> None:
    card = parse_card(
        "My adapter\nBase model unsloth/gemma-4-e4b-it (4-bit)\n"
        "Trainable params 42,401,792 / 8,038,558,240 (0.53%)\n"
        "Target modules q_proj, v_proj\nLicense: apache-2.0\n"
    )
    assert card.dialects == ("rendered",)
    assert problem_kinds(card) == ["front-matter-missing"]
    assert values(card, "trainable_params") == [42401792]
    assert values(card, "target_modules") == [["q_proj", "v_proj"]]
    assert values(card, "base_model") == ["unsloth/gemma-4-e4b-it"]
    assert card.hyperparameters[0].source == "rendered"


def test_flattened_card_is_reported_and_still_read() -> None:
    flat = (
        "--- license: mit base_model: org/base tags: - lora --- # My LoRA A LoRA adapter for "
        "**org/base**. ## Training | Hyperparameter | Value | |---|---| | Rank | 16 | "
        "| Alpha | 32 | ## License MIT, see the LICENSE file for the adapter weights. " * 2
    )
    card = parse_card(flat)
    assert problem_kinds(card)[:2] == ["front-matter-invalid", "flattened"]
    assert card.metadata.license == ()  # flattened metadata is not metadata
    assert "flattened" in card.dialects
    assert values(card, "rank") == [16] and values(card, "alpha") == [32]
    assert {c.location.line for c in card.hyperparameters} == {1}
    assert "org/base" in [c.value for c in card.base_models_in_prose]


def test_truncation_markers() -> None:
    card = parse_card("---\nlicense: mit\n---\n# T\n<!-- TRUNCATED: rest lost -->\n```python\nx\n")
    assert problem_kinds(card) == ["truncated", "truncated"]
    assert [p.location.line for p in card.problems] == [5, 6]


def test_sections() -> None:
    card = parse_card("# Title\n\n## **Training**\n\n```\n# not a heading\n```\n### Data\n")
    assert [(s.title, s.level, s.line) for s in card.sections] == [
        ("Title", 1, 1), ("Training", 2, 3), ("Data", 3, 8),
    ]  # fmt: skip


def test_empty_hub_template_makes_no_claims() -> None:
    """The Hub's own model-card template, every field left at "[More Information Needed]"."""
    template = Path(huggingface_hub.__file__).parent / "templates" / "modelcard_template.md"
    text = re.sub(r"\{\{.*?\}\}", "[More Information Needed]", template.read_text(), flags=re.S)
    card = parse_card(re.sub(r"\{%.*?%\}", "", text, flags=re.S))
    assert "hub-template" in card.dialects
    assert card.hyperparameters == ()
    assert card.base_models_in_prose == ()
    assert card.license_mentions == ()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Rank / alpha / dropout 16 / 32 / 0.05", None),  # a slash list, read pairwise elsewhere
        ("Base model org/gemma-4-e4b-it (4-bit)", ("Base model", "org/gemma-4-e4b-it (4-bit)")),
        ("Optimizer steps 8,370 (1 epoch)", ("Optimizer steps", "8,370 (1 epoch)")),
        ("Hardware Apple M3 Ultra", None),
    ],
)  # fmt: skip
def test_rendered_field_split(line: str, expected: tuple[str, str] | None) -> None:
    assert rendered_field(line) == expected
