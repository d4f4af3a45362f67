"""Whom a license sentence is about, and the gated-terms wordings (sentences of our own)."""

from __future__ import annotations

import pytest

from auditor.card import parse_card

from .helpers import kinds


def subjects(body: str, front: str = "license: apache-2.0") -> list[tuple[str, str]]:
    card = parse_card(f"---\n{front}\n---\n# Card\n\n{body}\n")
    return [(m.license, m.subject) for m in card.license_mentions]


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        ("- Code: MIT", "code"),
        ("Project code and documentation are distributed under MIT.", "code"),
        ("The evaluation results are CC BY-NC-SA 4.0.", "results"),
        ("- Dataset: CC BY 4.0", "dataset"),
        ("- Base model license: Llama 3.1 Community License", "upstream"),
        ("Modelo base → Llama 3.1 Community License", "upstream"),
        ("- Model weights: Apache 2.0", "weights"),
        ("This model is released under CC BY-NC 4.0.", "weights"),
    ],
)
def test_the_subject_of_a_license_sentence(body: str, subject: str) -> None:
    found = subjects(body)
    assert found, body
    assert {s for _, s in found} == {subject}


def test_each_license_on_one_line_gets_its_own_label() -> None:
    found = subjects("**Model Weights:** Llama 3.2 Community License | **Code:** AGPL-3.0")
    assert [s for lic, s in found if lic.startswith("AGPL-3.0")] == ["code"]
    assert [s for lic, s in found if not lic.startswith("AGPL-3.0")] == ["weights"]


def test_lines_of_one_paragraph_are_read_separately() -> None:
    found = subjects("Adapter weights → MIT\nModelo base → Llama 3.1 Community License")
    assert ("MIT", "weights") in found
    assert all(s == "upstream" for lic, s in found if lic != "MIT")


def test_a_sentence_about_a_named_base_is_upstream() -> None:
    body = "## License\n\nOrbit is licensed under the Llama 2 Community License."
    found = subjects(body, "license: other\nbase_model: acme-ai/Orbit-13b")
    assert found and {s for _, s in found} == {"upstream"}


def test_a_repo_id_label_for_a_base_is_upstream() -> None:
    link = "[acme-ai/Orbit-10B](https://huggingface.co/acme-ai/Orbit-10B)"
    body = f"### License\n- {link}: apache-2.0"
    found = subjects(body, "license: cc-by-nc-4.0\nbase_model: acme-ai/Orbit-10B")
    assert found == [("Apache-2.0", "upstream")]


def test_strong_statements_about_this_repo_still_win() -> None:
    found = subjects("Upstream forum content is CC-BY-SA-4.0 and propagates to this adapter.")
    assert found == [("CC-BY-SA-4.0", "weights")]


@pytest.mark.parametrize(
    "sentence",
    [
        "Use of this model is governed by the Gemma Terms of Use.",
        "This adapter is subject to the Llama 3.2 Community License and Acceptable Use Policy.",
        "You must accept the terms at google/gemma-2b before downloading.",
        "**Terms of Use**: [Terms](https://example.org/gemma/terms)",
        "Access is governed by the Orbit License Agreement.",
    ],
)
def test_terms_passed_on_in_ordinary_words(sentence: str) -> None:
    card = parse_card(f"# Card\n\n{sentence}\n")
    assert "gated-terms" in kinds(card), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "This model is released under the Apache 2.0 license.",
        "The terms of the benchmark are described in the paper.",
        "We are subject to change without notice.",
    ],
)
def test_plain_license_lines_do_not_pass_gated_terms(sentence: str) -> None:
    card = parse_card(f"# Card\n\n{sentence}\n")
    assert "gated-terms" not in kinds(card), sentence


def test_a_license_section_linking_the_base_terms_passes_them_on() -> None:
    card = parse_card(
        "# Card\n\n## License\n\nThis adapter follows the "
        "[Gemma terms](https://ai.google.dev/gemma/terms) of its base.\n"
    )
    assert "gated-terms" in kinds(card)
    plain = parse_card("# Card\n\n## License\n\nMIT, see [LICENSE](LICENSE).\n")
    assert "gated-terms" not in kinds(plain)


def test_two_subjects_in_one_sentence_are_read_per_clause() -> None:
    found = subjects(
        "The code in this repository is released under the Apache 2.0 license, while the model "
        "weights follow the Llama 3.1 Community License.",
        "license: llama3.1",
    )
    assert found[0] == ("Apache-2.0", "code")
    assert [s for _, s in found[1:]] == ["weights"]
