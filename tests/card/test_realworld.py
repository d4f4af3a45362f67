"""Real cards (../shared/realworld, cases R1–R7 of its README) and the seed card."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.card import parse_card
from auditor.models import CardClaims

from .helpers import claims, kinds, problem_kinds, values

pytestmark = pytest.mark.realworld

MODELS = "models"


def read(realworld: Path, relative: str) -> CardClaims:
    path = realworld / MODELS / relative
    if not path.is_file():
        pytest.skip(f"real-world file missing: {path}")
    return parse_card(path.read_text(encoding="utf-8"), file="README.md")


def test_r1_apertus_math_push_v2(realworld: Path) -> None:
    card = read(realworld, "Ailiance-fr__apertus-math-lora/README.partial.reconstructed.md")
    table = {c.name: c.value for c in card.hyperparameters if c.source == "table"}
    assert table["rank"] == 16
    assert table["scale"] == 2.0
    assert table["alpha"] == 32
    assert table["max_seq_length"] == 1024
    assert table["iterations"] == 500
    assert table["optimizer"] == "adam"
    assert table["learning_rate"] == 1e-5
    assert table["library"] == "mlx-lm"
    assert card.metadata.library_name == "peft"
    assert card.metadata.base_model == ("swiss-ai/Apertus-70B-Instruct-2509",)
    assert card.metadata.datasets == ()
    # The roadmap restates the parameters, with AdamW instead of Adam, on another line.
    assert [(c.value, c.location.line) for c in claims(card, "optimizer")] == [
        ("adam", 48), ("adamw", 61),
    ]  # fmt: skip
    assert "truncated" in problem_kinds(card)
    assert card.chain_rows[0].license == "Apache-2.0"


def test_r2_pst_card_rank(realworld: Path) -> None:
    card = read(realworld, "Ailiance-fr__devstral-python-lora/README.rev-5438d85.excerpt.md")
    assert values(card, "rank") == [16]
    assert card.metadata.datasets == ()
    assert card.pst is not None
    assert {"1.1", "1.2"} <= set(card.pst.sections)
    assert "model-dependencies" in [f.key for f in card.pst.fields]
    assert "eu-established" in kinds(card)


def test_r3_article_52_citation(realworld: Path) -> None:
    card = read(realworld, "Ailiance-fr__devstral-python-lora/README.rev-969e9f4.excerpt.md")
    cited = [s for s in card.statements if s.kind == "article-citation" and s.value == "52"]
    assert cited, card.statements
    assert "Limited risk" in cited[0].text and cited[0].location.line == 43


def test_r4_flattened_pst(realworld: Path) -> None:
    card = read(realworld, "Ailiance-fr__devstral-python-lora/README.rev-ff49f72.excerpt.txt")
    assert {"front-matter-invalid", "flattened"} <= set(problem_kinds(card))
    assert "flattened" in card.dialects
    assert values(card, "rank") == [16]


def test_r5_rendered_hub_card(realworld: Path) -> None:
    card = read(realworld, "trl-lib__llama-7b-se-rl-peft/README.rendered.txt")
    assert "front-matter-missing" in problem_kinds(card)
    assert "LLaMA" in [c.value for c in card.base_models_in_prose]
    licenses = [(m.license, m.about_subject) for m in card.license_mentions]
    assert any(about for _, about in licenses)


def test_r6_flattened_hub_template(realworld: Path) -> None:
    name = "s-nlp__Knowledge-Packing-Llama-3.1-8B-Instruct-500Unknown-10Paraphrases"
    card = read(realworld, f"{name}/README.pr1.raw.excerpt.txt")
    assert {"front-matter-invalid", "flattened"} <= set(problem_kinds(card))
    assert "meta-llama/Meta-Llama-3.1-8B-Instruct" in [c.value for c in card.base_models_in_prose]
    assert ("CC-BY-NC-4.0", True) in [(m.license, m.about_subject) for m in card.license_mentions]


def test_r7_rendered_linguaforge(realworld: Path) -> None:
    card = read(realworld, "zcgf111__linguaforge-gemma4-204lang-lora/README.rendered.txt")
    assert "front-matter-missing" in problem_kinds(card)
    assert values(card, "rank") == [16]
    assert values(card, "alpha") == [32]
    modules = values(card, "target_modules")
    assert modules == [
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    ]
    assert values(card, "trainable_params") == [42401792]
    assert "rendered" in card.dialects


def test_every_realworld_text_parses(realworld: Path) -> None:
    files = sorted(p for p in realworld.rglob("*") if p.suffix in (".md", ".txt"))
    assert len(files) > 10
    for path in files:
        card = parse_card(path.read_text(encoding="utf-8"), file=path.name)
        assert "unreadable" not in problem_kinds(card), path


def test_seed_card(seed_text: str) -> None:
    card = parse_card(seed_text)
    optimizers = claims(card, "optimizer")
    assert [(c.value, c.source) for c in optimizers] == [("adam", "table"), ("adamw", "prose")]
    assert optimizers[0].location.line != optimizers[1].location.line
    assert {
        "all-permissive",
        "sharealike-propagates",
        "no-web-scraping",
        "art53-1c-claim",
    } <= kinds(card)
    assert "copyright-policy" not in kinds(card)
    c_claim = next(s for s in card.statements if s.kind == "art53-1c-claim")
    assert "licenses preserved" in c_claim.text
    assert [(r.license, r.is_subject) for r in card.chain_rows] == [
        ("Apache-2.0", False), ("Apache-2.0", False), ("Apache-2.0", True),
    ]  # fmt: skip
    subject = {(m.license, m.location.line) for m in card.license_mentions if m.about_subject}
    assert {lic for lic, _ in subject} == {"Apache-2.0", "CC-BY-SA-4.0"}
    assert "push-v2" in card.dialects
