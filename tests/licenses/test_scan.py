"""scan_text(): license names in free text."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.licenses import normalise, scan_text

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "apertus-math-lora.card.txt"


def found(text: str) -> list[tuple[str, str]]:
    return [(text[s:e], key) for s, e, key in scan_text(text)]


def test_seed_card_sentences() -> None:
    assert found(
        "_All upstream components are Apache 2.0 / MIT β LoRA inherits permissive terms._"
    ) == [("Apache 2.0", "Apache-2.0"), ("MIT", "MIT")]
    assert found(
        "Upstream Stack Exchange content (where applicable) is CC-BY-SA-4.0 and "
        "propagates to this adapter."
    ) == [("CC-BY-SA-4.0", "CC-BY-SA-4.0")]


def test_word_boundaries_and_case() -> None:
    assert found("Please SUBMIT, it is permitted, admit it, Schmitt") == []
    assert found("Daten mit Lizenz") == []  # German "mit" is not MIT
    assert found("MIT-licensed code") == [("MIT-licensed", "MIT")]
    assert found("apache 2.0.1 is not a license") == []
    assert found("Released under apache-2.0.") == [("apache-2.0", "Apache-2.0")]


def test_longest_match_and_spellings() -> None:
    assert found("License: Creative Commons NonCommercial (CC BY-NC 4.0) here") == [
        ("Creative Commons NonCommercial (CC BY-NC 4.0)", "CC-BY-NC-4.0")
    ]
    assert found("GPL-3.0-or-later and GPL-3.0") == [
        ("GPL-3.0-or-later", "GPL-3.0-or-later"),
        ("GPL-3.0", "GPL-3.0-only"),
    ]
    assert found("under the Apache License, Version 2.0 terms")[0][1] == "Apache-2.0"
    assert found("CC BY\u2011SA 4.0")[0][1] == "CC-BY-SA-4.0"  # non-breaking hyphen
    assert found("the Llama 3.1 Community License applies")[0][1] == (
        "LicenseRef-scancode-llama-3.1-license-2024"
    )
    assert found("Gemma Terms of Use") == [
        ("Gemma Terms of Use", "LicenseRef-scancode-gemma-tou-2024-04-01")
    ]
    assert found("License: bigscience-openrail-m")[0][1] == (
        "LicenseRef-scancode-bigscience-open-rail-m"
    )


def test_model_names_are_not_licenses() -> None:
    assert found("| Llama3.1-70B | 67.3 | and gemma-4-E4B, Qwen2.5-72B") == []


def test_every_reported_id_normalises_to_a_known_license() -> None:
    text = (
        "Apache 2.0, MIT, CC BY-SA 3.0, GNU GPL, BSD license, ODC-By, ODbL, openrail++, "
        "Llama 2 Community License, FAIR Noncommercial Research License, ST-SLA0048"
    )
    hits = scan_text(text)
    assert len(hits) == 11
    for _, _, key in hits:
        assert normalise(key).known, key


@pytest.mark.realworld
def test_seed_card_mentions() -> None:
    if not SEED.is_file():
        pytest.skip("../shared/seed is absent (seed card not available)")
    keys = {key for _, _, key in scan_text(SEED.read_text("utf-8"))}
    assert keys == {"Apache-2.0", "MIT", "CC-BY-SA-4.0"}


@given(st.text())
def test_scan_never_raises_and_matches_do_not_overlap(text: str) -> None:
    hits = scan_text(text)
    for (s1, e1, _), (s2, _, _) in itertools.pairwise(hits):
        assert s1 < e1 <= s2
