"""Running text: hyperparameters in sentences, statements, base models, license mentions."""

from __future__ import annotations

import pytest

from auditor.card import parse_card
from auditor.card.prose import STATEMENTS

from .helpers import claims, kinds, values

ROADMAP = """# Card

## Benchmark roadmap

This LoRA has **not yet been evaluated**. Training was completed with the
standard `mlx-lm` LoRA trainer (rank 16, alpha 32, scale 2.0, AdamW
LR 1e-5, 500 iters) — full hyperparameters are in the `Training` table above.
"""


def test_roadmap_sentence_across_lines() -> None:
    card = parse_card(ROADMAP)
    found = {c.name: (c.value, c.location.line, c.source) for c in card.hyperparameters}
    assert found["rank"] == (16, 6, "prose")
    assert found["alpha"] == (32, 6, "prose")
    assert found["scale"] == (2.0, 6, "prose")
    assert found["optimizer"] == ("adamw", 6, "prose")
    assert found["learning_rate"] == (1e-5, 7, "prose")
    assert found["iterations"] == (500, 7, "prose")
    assert found["library"] == ("mlx-lm", 6, "prose")


def test_words_without_training_context_are_not_claims() -> None:
    card = parse_card(
        "Our team ranked first. Rank 3 of 10 on the board. Adam Smith wrote this.\n"
        "Problems require between 2 and 8 steps to solve.\n"
    )
    assert card.hyperparameters == ()


def test_optimizer_name_needs_company() -> None:
    assert values(parse_card("We fine-tuned it with Adam.\n"), "optimizer") == []
    assert values(parse_card("We used the Adam optimizer to fine-tune.\n"), "optimizer") == ["adam"]
    lion = parse_card("Fine-tuned with paged_adamw_8bit, lr=2e-4, 3 epochs.\n")
    assert values(lion, "optimizer") == ["adamw"]
    assert values(lion, "epochs") == [3]


def test_rendered_slash_list_and_embedded_values() -> None:
    text = (
        "Training summary\n\nRank / alpha / dropout 16 / 32 / 0.05\n"
        "Optimizer steps 8,370 (1 epoch, batch 2 × grad-accum 2)\nDone\n"
    )
    card = parse_card(text)
    assert values(card, "rank") == [16]
    assert values(card, "dropout") == [0.05]
    assert values(card, "iterations") == [8370]
    assert values(card, "epochs") == [1]
    assert values(card, "batch_size") == [2]
    assert values(card, "grad_accumulation") == [2]
    assert values(card, "optimizer") == []  # "Optimizer steps" is a step count
    assert {c.source for c in card.hyperparameters} == {"rendered"}


def test_hub_bullets() -> None:
    card = parse_card(
        "- **Epochs**: 3\n- **Learning rate**: 3.2e-5, cosine decay\n"
        "- **LoRA _r_**: 8\n- **LoRA _alpha_**: 16\n- **LoRA _dropout_**: 0.0\n"
    )
    assert values(card, "rank") == [8]
    assert values(card, "alpha") == [16]
    assert values(card, "learning_rate") == [3.2e-5]
    assert values(card, "dropout") == [0.0]
    assert claims(card, "rank")[0].source == "list"


STATEMENT_EXAMPLES = {
    "no-web-scraping": "No web scraping by Ailiance.",
    "scraping-declared": "Web scraping: Yes — public GitHub repositories.",
    "no-licensed-data": "We used no licensed data.",
    "no-pii": "The corpus contains no PII.",
    "all-permissive": "All upstream components are Apache 2.0 / MIT.",
    "sharealike-propagates": "SE content is CC-BY-SA-4.0 and propagates to this adapter.",
    "copyright-policy": "Our copyright policy is at https://example.org/policy.",
    "art53-1c-claim": "Article 53(1)(c): training data licenses preserved.",
    "art53-1d-claim": "Art. 53(1)(d): see upstream dataset cards.",
    "training-summary": "The public summary of training content is at https://example.org/pst.pdf.",
    "article-citation": "Risk class: Limited risk (Art. 52).",
    "open-source-exemption": "We rely on the open-source exemption of Art. 53(2).",
    "contact": "Contact: ai-office@example.org",
    "copyright-contact": "Send copyright complaints to copyright@example.org.",
    "robots-txt": "Our crawler honours robots.txt (RFC 9309).",
    "tdm-optout": "We honour TDM reservations expressed under Art. 4(3) DSM.",
    "paywall": "We never circumvent paywalls.",
    "piracy-exclusion": "Sites known for piracy are excluded.",
    "infringing-use-prohibited": "Users must not use the model to produce infringing content.",
    "eu-established": "The provider is established within the European Union (France).",
    "authorised-representative": "Authorised representative: Example GmbH, Berlin.",
    "gated-terms": "Users of this adapter must accept the base model's acceptable use policy.",
    "built-with-llama": "Built with Llama.",
    "notice": "NOTICE: Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright …",
    "quantization": "These 4-bit weights were quantized with AutoAWQ from the released model.",
}  # fmt: skip


def test_every_statement_kind_has_an_example() -> None:
    assert {p.kind for p in STATEMENTS} == set(STATEMENT_EXAMPLES)


@pytest.mark.parametrize(("kind", "sentence"), sorted(STATEMENT_EXAMPLES.items()))
def test_statement_kinds(kind: str, sentence: str) -> None:
    card = parse_card(f"# Card\n\n{sentence}\n")
    found = [s for s in card.statements if s.kind == kind]
    assert found, f"{kind} not found in {sentence!r}: {kinds(card)}"
    assert found[0].location.line == 3


def test_statement_values() -> None:
    card = parse_card(
        "Risk: Limited risk (Art. 52). Art. 53(1)(c) applies.\n"
        "Contact: mail@example.org or https://github.com/org/repo/issues\n"
    )
    cited = [s.value for s in card.statements if s.kind == "article-citation"]
    assert cited == ["52", "53(1)(c)"]
    topic = next(s for s in card.statements if s.value == "52")
    assert "Limited risk" in topic.text
    contacts = [s.value for s in card.statements if s.kind == "contact"]
    assert contacts == ["mail@example.org", "https://github.com/org/repo/issues"]


def test_negations() -> None:
    card = parse_card(
        "This model does not qualify for the open-source exemption.\n\n"
        "There is no copyright policy yet.\n\n"
        "Authorised representative: Not applicable — provider is established "
        "within the European Union (France).\n"
    )
    assert kinds(card) == {"eu-established"}


def test_art53_1c_is_not_a_copyright_policy() -> None:
    card = parse_card("- **Article 53(1)(c)**: training data licenses preserved.\n")
    assert "art53-1c-claim" in kinds(card)
    assert "copyright-policy" not in kinds(card)


def test_copyright_policy_heading() -> None:
    card = parse_card("## Copyright policy\n\nWe follow the EU rules.\n")
    policy = [s for s in card.statements if s.kind == "copyright-policy"]
    assert [s.location.line for s in policy] == [1]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("* **Finetuned from model:** [meta-llama/Meta-Llama-3.1-8B-Instruct](https://x.org/m)",
         "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        ("Finetuned from: LLaMA", "LLaMA"),
        ("LoRA adapter fine-tuned on `swiss-ai/Apertus-70B-Instruct-2509` for math.",
         "swiss-ai/Apertus-70B-Instruct-2509"),
        ("This is a fine-tune (LoRA, rank 16) of the general-purpose AI model [`org/base`](https://h.co).",
         "org/base"),
        ("Adapter weights of a model based on the LLaMA model (see Meta's release).", "LLaMA"),
    ],
)  # fmt: skip
def test_base_models_in_prose(sentence: str, expected: str) -> None:
    card = parse_card(f"{sentence}\n")
    assert expected in [c.value for c in card.base_models_in_prose]


def test_fine_tuned_on_a_dataset_is_not_a_base() -> None:
    card = parse_card("The model was fine-tuned on Stack Exchange data.\n")
    assert card.base_models_in_prose == ()


@pytest.mark.parametrize(
    ("sentence", "license", "about_subject"),
    [
        ("License: CC-BY-NC-4.0", "CC-BY-NC-4.0", True),
        ("The adapter is released under CC BY-NC 4.0.", "CC-BY-NC-4.0", True),
        ("LoRA weights: **apache-2.0**", "Apache-2.0", True),
        ("Upstream content is CC-BY-SA-4.0 and propagates to this adapter.", "CC-BY-SA-4.0", True),
        ("The base model is subject to the Apache 2.0 license.", "Apache-2.0", False),
        ("Base `org/x` released under apache-2.0.", "Apache-2.0", False),
        ("All upstream components are Apache 2.0.", "Apache-2.0", False),
    ],
)
def test_license_mentions(sentence: str, license: str, about_subject: bool) -> None:
    card = parse_card(f"# Card\n\n{sentence}\n")
    mention = next(m for m in card.license_mentions if m.license == license)
    assert mention.about_subject is about_subject
    assert mention.location.line == 3
    assert mention.context == "prose"


def test_license_section_context() -> None:
    card = parse_card("## License\n\nApache 2.0 for the weights.\n")
    assert [(m.context, m.about_subject) for m in card.license_mentions] == [
        ("license-section", True)
    ]


def test_short_name_of_a_declared_base_is_not_another_base() -> None:
    card = parse_card(
        "---\nbase_model: meta-llama/Meta-Llama-3.1-8B-Instruct\n---\n"
        "These adapters were fine-tuned from Llama-3.1-8B-Instruct.\n"
    )
    assert card.base_models_in_prose == ()
    other = parse_card("---\nbase_model: org/x\n---\nThis model was fine-tuned from Mistral-7B.\n")
    assert [c.value for c in other.base_models_in_prose] == ["Mistral-7B"]


def test_follow_up_statements() -> None:
    """Statement patterns added after the rules landed."""
    from auditor.card import parse_card

    text = (
        "---\nlicense: apache-2.0\n---\n# X\n\n"
        "- Upstream Stack Exchange content is CC-BY-SA-4.0 and propagates to this adapter.\n"
        "- We do not crawl or scrape the web ourselves.\n"
        "- The base model is gated by the Apertus acceptable use policy; its terms apply.\n"
        "- We have no acceptable use policy.\n"
    )
    kinds = {(s.kind, s.location.line) for s in parse_card(text).statements}
    assert ("sharealike-propagates", 6) in kinds
    assert ("no-web-scraping", 7) in kinds
    assert ("gated-terms", 8) in kinds
    assert ("gated-terms", 9) not in kinds


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        # one sentence per alternative of the patterns that have finer prefilters ("needs")
        ("gated-terms", "Read the acceptable use policy first."),
        ("gated-terms", "The base model is gated behind extra terms."),
        ("gated-terms", "The Terms of Use of the base model apply."),
        ("gated-terms", "Terms of use: see the base model."),
        ("gated-terms", "Access is bound by the base model's terms."),
        ("gated-terms", "Use of this model is governed by the Acme Terms of Use."),
        ("gated-terms", "Use is subject to the Acme Community License."),
        ("gated-terms", "You must accept the terms before downloading."),
        ("gated-terms", "Please agree to the terms first."),
        ("training-summary", "See the public summary of the training content."),
        ("training-summary", "A summary of the training content is published."),
        ("training-summary", "Our training-content summary is online."),
        ("training-summary", "Our public_summary: https://example.org/s.pdf"),
        ("scraping-declared", "Web scraping: yes, public GitHub."),
        ("scraping-declared", "The data was scraped in 2024."),
        ("scraping-declared", "Pages crawled from the open web."),
        ("scraping-declared", "We scraped public forums."),
    ],
)
def test_finer_prefilters_keep_every_alternative(kind: str, sentence: str) -> None:
    card = parse_card(f"# Card\n\n{sentence}\n")
    assert kind in kinds(card), f"{kind} not found in {sentence!r}: {kinds(card)}"
    pattern = next(p for p in STATEMENTS if p.kind == kind)
    assert pattern.needs and any(n in sentence.lower() for n in pattern.needs)
