"""The real-world cases R1-R10 and the seed card (../shared/realworld/README.md), end to end.

Each case lays the published card out as the README.md of a repo in a temporary mirror (upstream
cards too, as ``<org>/<name>/README.md`` or ``datasets/<org>/<name>/README.md``) and runs the real
CLI offline with ``--verify none``. The corpus is third-party data: it is read at run time and
copied only into pytest's temporary directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.errors import EXIT_FINDINGS, EXIT_OK

from .helpers import audit_json, of_rule, rule_ids

pytestmark = pytest.mark.realworld

APERTUS = "swiss-ai/Apertus-70B-Instruct-2509"
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "apertus-math-lora.card.txt"


def _put(mirror: Path, repo: str, text: str, dataset: bool = False) -> None:
    folder = mirror / ("datasets" if dataset else "") / repo
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(text, encoding="utf-8")


def _audit(tmp_path: Path, target: str) -> tuple[int, dict[str, Any]]:
    code, report = audit_json(tmp_path / "mirror", target, tmp_path / "report.json")
    assert report["targets"][0]["status"] == "audited", report["targets"][0].get("error")
    return code, report


def _claims(report: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for claim in report["targets"][0]["claims"]["hyperparameters"]:
        out.setdefault(claim["name"], []).append(claim["value"])
    return out


def _adapter_card(dataset: str) -> str:
    return (
        f"---\nlicense: apache-2.0\nlibrary_name: mlx\ndatasets:\n- {dataset}\n---\n\n"
        "# An apache-2.0 adapter trained on one dataset\n"
    )


def test_r1_apertus_math_lora_partial_card(tmp_path: Path, realworld: Path) -> None:
    mirror = tmp_path / "mirror"
    models = realworld / "models"
    _put(
        mirror,
        "Ailiance-fr/apertus-math-lora",
        (models / "Ailiance-fr__apertus-math-lora/README.partial.reconstructed.md").read_text(),
    )
    _put(
        mirror,
        APERTUS,
        (models / "swiss-ai__Apertus-70B-Instruct-2509/README.reconstructed.md").read_text(),
    )
    code, report = _audit(tmp_path, "Ailiance-fr/apertus-math-lora")
    assert code == EXIT_FINDINGS
    assert {
        "license.gated-terms-dropped",
        "license.lineage-undeclared",
        "adapter.library-mismatch",
        "adapter.files-missing",
        "license.upstream-unknown",
        "aiact.scope",
    } <= rule_ids(report)
    (gated,) = of_rule(report, "license.gated-terms-dropped")
    assert gated["node"] == APERTUS and "Acceptable Use Policy" in gated["message"]
    (unknown,) = of_rule(report, "license.upstream-unknown")
    assert unknown["node"] == "swiss-ai/Apertus-70B-2509"
    claims = _claims(report)
    assert claims["rank"][0] == 16 and claims["scale"][0] == 2.0 and claims["alpha"][0] == 32
    assert claims["max_seq_length"][0] == 1024 and claims["iterations"][0] == 500
    assert claims["optimizer"][0] == "adam" and claims["learning_rate"][0] == pytest.approx(1e-5)


def test_r2_pst_card_without_datasets(tmp_path: Path, realworld: Path) -> None:
    card = realworld / "models/Ailiance-fr__devstral-python-lora/README.rev-5438d85.excerpt.md"
    _put(tmp_path / "mirror", "Ailiance-fr/devstral-python-lora", card.read_text())
    _, report = _audit(tmp_path, "Ailiance-fr/devstral-python-lora")
    assert "license.lineage-undeclared" in rule_ids(report)
    assert _claims(report)["rank"][0] == 16


def test_r3_limited_risk_art_52(tmp_path: Path, realworld: Path) -> None:
    card = realworld / "models/Ailiance-fr__devstral-python-lora/README.rev-969e9f4.excerpt.md"
    _put(tmp_path / "mirror", "Ailiance-fr/devstral-python-lora", card.read_text())
    _, report = _audit(tmp_path, "Ailiance-fr/devstral-python-lora")
    found = of_rule(report, "aiact.article-reference-invalid")
    assert [f["location"]["line"] for f in found] == [43]
    assert "Limited risk (Art. 52)" in found[0]["message"] and "Art. 50" in found[0]["message"]


@pytest.mark.parametrize(
    ("case", "repo", "path", "expected"),
    [
        (
            "R4",
            "Ailiance-fr/devstral-python-lora",
            "models/Ailiance-fr__devstral-python-lora/README.rev-ff49f72.excerpt.txt",
            {"card.front-matter-invalid"},
        ),
        (
            "R5",
            "trl-lib/llama-7b-se-rl-peft",
            "models/trl-lib__llama-7b-se-rl-peft/README.rendered.txt",
            {"card.front-matter-invalid", "card.base-model-undeclared"},
        ),
        (
            "R6",
            "s-nlp/Knowledge-Packing-Llama-3.1-8B-Instruct-500Unknown-10Paraphrases",
            "models/s-nlp__Knowledge-Packing-Llama-3.1-8B-Instruct-500Unknown-10Paraphrases/"
            "README.pr1.raw.excerpt.txt",
            {"card.front-matter-invalid", "card.base-model-undeclared"},
        ),
        (
            "R7",
            "zcgf111/linguaforge-gemma4-204lang-lora",
            "models/zcgf111__linguaforge-gemma4-204lang-lora/README.rendered.txt",
            {"card.front-matter-invalid"},
        ),
    ],
)
def test_r4_to_r7_broken_cards(
    tmp_path: Path, realworld: Path, case: str, repo: str, path: str, expected: set[str]
) -> None:
    _put(tmp_path / "mirror", repo, (realworld / path).read_text())
    code, report = _audit(tmp_path, repo)
    assert code in (EXIT_OK, EXIT_FINDINGS), case  # a finding, never a crash
    assert expected <= rule_ids(report), (case, rule_ids(report))
    if case == "R6":
        (base,) = of_rule(report, "card.base-model-undeclared")
        assert "meta-llama/Meta-Llama-3.1-8B-Instruct" in base["message"]
    if case == "R7":
        claims = _claims(report)
        assert claims["rank"][0] == 16 and claims["alpha"][0] == 32
        assert len(claims["target_modules"][0]) == 7
        assert 42401792 in claims["trainable_params"]


def test_r8_stack_exchange_is_sharealike(tmp_path: Path, realworld: Path) -> None:
    mirror = tmp_path / "mirror"
    card = (
        realworld / "datasets/HuggingFaceH4__stack-exchange-preferences/"
        "README.blame-content.excerpt.md"
    )
    _put(mirror, "HuggingFaceH4/stack-exchange-preferences", card.read_text(), dataset=True)
    _, report = _audit(tmp_path, "datasets/HuggingFaceH4/stack-exchange-preferences")
    license_ = report["targets"][0]["graph"]["nodes"][0]["license"]
    assert license_["spdx"] == "CC-BY-SA-4.0" and license_["sharealike"] is True
    _put(mirror, "example/se-adapter", _adapter_card("HuggingFaceH4/stack-exchange-preferences"))
    _, report = _audit(tmp_path, "example/se-adapter")
    (leak,) = of_rule(report, "license.sharealike-leak")
    assert leak["node"] == "HuggingFaceH4/stack-exchange-preferences"
    assert leak["location"]["line"] == 4  # the datasets: line of the adapter card


def test_r9_alpaca_gpt4_is_noncommercial(tmp_path: Path, realworld: Path) -> None:
    mirror = tmp_path / "mirror"
    card = realworld / "datasets/flwrlabs__alpaca-gpt4/README.reconstructed.md"
    _put(mirror, "flwrlabs/alpaca-gpt4", card.read_text(), dataset=True)
    _put(mirror, "example/alpaca-adapter", _adapter_card("flwrlabs/alpaca-gpt4"))
    code, report = _audit(tmp_path, "example/alpaca-adapter")
    (leak,) = of_rule(report, "license.noncommercial-leak")
    assert leak["node"] == "flwrlabs/alpaca-gpt4" and leak["severity"] == "error"
    assert code == EXIT_FINDINGS


def test_r10_dataset_without_license(tmp_path: Path, realworld: Path) -> None:
    mirror = tmp_path / "mirror"
    card = realworld / "datasets/ericrisco__gsm8k-translated-spanish/README.reconstructed.md"
    _put(mirror, "ericrisco/gsm8k-translated-spanish", card.read_text(), dataset=True)
    _, report = _audit(tmp_path, "datasets/ericrisco/gsm8k-translated-spanish")
    assert "license.missing" in rule_ids(report)
    _put(mirror, "example/gsm8k-adapter", _adapter_card("ericrisco/gsm8k-translated-spanish"))
    _, report = _audit(tmp_path, "example/gsm8k-adapter")
    (unknown,) = of_rule(report, "license.upstream-unknown")
    assert unknown["node"] == "ericrisco/gsm8k-translated-spanish"


def _unwrap(text: str) -> str:
    """The seed card's lines are wrapped in "| ... |" by the document it came from."""
    lines = []
    for line in text.splitlines():
        if line.startswith("| ") and line.endswith(" |"):
            line = line[2:-2]
        elif line.strip() in ("|", "| |"):
            line = ""
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_seed_card_observations(tmp_path: Path, realworld: Path) -> None:
    if not SEED.is_file():
        pytest.skip(f"seed card not found at {SEED}")
    mirror = tmp_path / "mirror"
    _put(mirror, "Ailiance-fr/apertus-math-lora", _unwrap(SEED.read_text(encoding="utf-8")))
    base = realworld / "models/swiss-ai__Apertus-70B-Instruct-2509/README.reconstructed.md"
    _put(mirror, APERTUS, base.read_text())
    _, report = _audit(tmp_path, "Ailiance-fr/apertus-math-lora")
    (self_inconsistent,) = of_rule(report, "adapter.card-self-inconsistent")
    assert "AdamW" in self_inconsistent["message"] and "Adam" in self_inconsistent["message"]
    conflicts = of_rule(report, "license.conflict-in-card")
    assert any("CC-BY-SA-4.0" in f["message"] and "apache-2.0" in f["message"] for f in conflicts)
    (contradicted,) = of_rule(report, "aiact.statement-contradicted")
    assert "All upstream components are Apache 2.0 / MIT" in contradicted["message"]
    assert "CC-BY-SA-4.0" in contradicted["message"]
    assert contradicted["severity"] == "error"
    policy = of_rule(report, "aiact.copyright-policy-missing")
    assert policy and "is not a copyright policy" in policy[0]["message"]
