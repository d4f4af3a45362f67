"""The adapter-integrity pack through the policy engine, with facts from real fixtures."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.card import parse_card
from auditor.facts import derive
from auditor.models import (
    AdapterEvidence,
    CardClaims,
    CardMetadata,
    Claim,
    ClaimValue,
    Facts,
    Finding,
    Location,
)
from auditor.models.codec import dump, load
from auditor.policy import evaluate, load_policies
from auditor.policy.testing import base_facts, merge

from .helpers import EXAMPLE_HUB, REALWORLD, ROOT, evidence, fixture

PACK = ROOT / "auditor" / "policies" / "adapter-integrity.yaml"
POLICY = load_policies(["none", str(PACK)])


def claim(name: str, value: ClaimValue, line: int, raw: str | None = None) -> Claim:
    return Claim(
        name=name,
        value=value,
        raw=raw or str(value),
        source="table",
        location=Location(file="README.md", line=line),
    )


def card(
    *claims: Claim,
    library: str | None = "mlx",
    base: str | None = None,
    present: bool = True,
    tags: tuple[str, ...] = (),
) -> CardClaims:
    lines = {"library_name": 4} if library else {}
    meta = CardMetadata(
        library_name=library, base_model=(base,) if base else (), tags=tags, lines=lines
    )
    return CardClaims(present=present, metadata=meta, hyperparameters=claims)


def run(
    adapter: AdapterEvidence, claims: CardClaims | None = None, files: tuple[str, ...] | None = None
) -> list[Finding]:
    over: dict[str, Any] = {
        "adapter": dump(adapter),
        "card": dump(claims or card()),
    }
    if files is None:
        files = tuple(f for f in (adapter.config_file, adapter.weights_file) if f)
    over["files"] = list(files)
    facts = load(Facts, merge(base_facts(), over))
    # ``derived`` computed from these facts, as a real run does (base_facts' is the base card's).
    return evaluate(replace(facts, derived=derive(facts)), POLICY)


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.rule_id for f in findings)


# The adapter-integrity ids the project published first: rule ids are a public contract
# (docs/rules.md, "What is stable"), so every one of them must still exist.
CONTRACT_IDS = frozenset({
    "adapter.alpha-scale-inconsistent", "adapter.architecture-mismatch", "adapter.base-mismatch",
    "adapter.base-unresolvable", "adapter.card-self-inconsistent", "adapter.files-missing",
    "adapter.hyperparameter-mismatch", "adapter.layers-mismatch", "adapter.library-mismatch",
    "adapter.local-path-leak", "adapter.nonfinite", "adapter.rank-mismatch",
    "adapter.scale-mismatch", "adapter.targets-mismatch", "adapter.untrained",
})  # fmt: skip


def test_pack_keeps_every_published_adapter_rule_id() -> None:
    ids = {r.id for r in POLICY.rules}
    assert ids >= CONTRACT_IDS
    # added since, each documented in docs/rules/
    assert ids - CONTRACT_IDS == {"adapter.files-invalid", "adapter.not-verified"}


def test_clean_trained_adapter_with_a_matching_card() -> None:
    claims = card(
        claim("rank", 4, 10),
        claim("scale", 10.0, 11),
        claim("alpha", 40, 12),
        claim("target_modules", ["q_proj", "v_proj"], 13),
        claim("num_layers", -1, 14),
        claim("optimizer", "adam", 15, "Adam"),
        claim("learning_rate", 1e-5, 16),
        claim("iterations", 20, 17),
        claim("layers", ["0-3"], 18),
    )
    assert ids(run(fixture("mlx-llama-lora"), claims)) == []


def test_drifted_rank_fires_for_card_config_and_load() -> None:
    findings = run(fixture("drift-rank"), card(claim("rank", 4, 21)))
    assert ids(findings) == [
        "adapter.architecture-mismatch",
        "adapter.rank-mismatch",
        "adapter.rank-mismatch",
    ]
    rank = {str(f.location): f.message for f in findings if f.rule_id == "adapter.rank-mismatch"}
    assert rank["README.md:21"] == "the card says rank 4 but the adapter tensors have rank 2"
    assert "adapter_config.json:" in "".join(rank)


def test_scale_and_alpha_vs_effective_scale() -> None:
    ev = fixture("drift-scale")  # config scale 20.0, alpha 40, rank 4
    findings = run(ev, card(claim("scale", 10.0, 30), claim("alpha", 40, 31)))
    assert ids(findings) == [
        "adapter.alpha-scale-inconsistent",
        "adapter.scale-mismatch",
        "adapter.scale-mismatch",
    ]
    messages = sorted(f.message for f in findings if f.rule_id == "adapter.scale-mismatch")
    assert messages[0].startswith(
        "the card says alpha 40 (alpha/rank = 10) but adapter_config.json"
    )
    assert ids(run(ev, card(claim("scale", 20, 30)))) == ["adapter.alpha-scale-inconsistent"]


def test_alpha_scale_inconsistent_config_from_the_issue() -> None:
    ev = fixture("alpha-scale")  # alpha 256, rank 128, scale 10, no weights
    findings = run(ev)
    assert ids(findings) == ["adapter.alpha-scale-inconsistent", "adapter.files-missing"]
    alpha = next(f for f in findings if f.rule_id == "adapter.alpha-scale-inconsistent")
    assert "alpha/rank = 2" in alpha.message and "applies scale 10" in alpha.message
    assert alpha.location is not None and alpha.location.line is not None


def test_peft_rslora_scale() -> None:
    ev = fixture("peft-llama-rslora", "header")
    assert ids(run(ev, card(claim("alpha", 16, 5), claim("scale", 5.66, 6), library="peft"))) == []
    assert ids(run(ev, card(claim("scale", 2.0, 6), library="peft"))) == ["adapter.scale-mismatch"]


def test_targets_and_layers() -> None:
    ev = fixture("mlx-llama-lora", "header")
    assert ids(run(ev, card(claim("target_modules", ["all-linear"], 5)))) == []  # base unknown here
    loaded = fixture("mlx-llama-lora")
    assert ids(run(loaded, card(claim("target_modules", ["all-linear"], 5)))) == [
        "adapter.targets-mismatch"
    ]
    assert ids(run(loaded, card(claim("target_modules", ["q_proj", "k_proj"], 5)))) == [
        "adapter.targets-mismatch"
    ]
    apertus = fixture("mlx-apertus-lora")
    assert ids(run(apertus, card(claim("target_modules", ["all-linear"], 5)))) == []
    assert ids(run(loaded, card(claim("layers", ["2", "3"], 6)))) == ["adapter.layers-mismatch"]
    assert ids(run(loaded, card(claim("num_layers", 2, 6)))) == ["adapter.layers-mismatch"]
    wrong = run(fixture("wrong-module"))
    assert ids(wrong) == ["adapter.architecture-mismatch", "adapter.targets-mismatch"]


def test_missing_layers() -> None:
    findings = run(fixture("drift-layers"), card(claim("num_layers", -1, 9)))
    assert ids(findings) == ["adapter.layers-mismatch", "adapter.layers-mismatch"]
    assert any("hold 3 layer(s): 1, 2, 3" in f.message for f in findings)


def test_untrained_nonfinite() -> None:
    assert ids(run(fixture("untrained"))) == ["adapter.untrained"]
    assert ids(run(fixture("nan"))) == ["adapter.nonfinite"]


def test_library_mismatch_both_ways() -> None:
    assert ids(run(fixture("mlx-llama-lora", "header"), card(library="peft"))) == [
        "adapter.library-mismatch"
    ]
    assert ids(run(fixture("peft-llama-lora", "header"), card(library="mlx"))) == [
        "adapter.library-mismatch"
    ]
    assert ids(run(fixture("peft-llama-lora", "header"), card(library="peft"))) == []
    # R1: no adapter files, library_name peft, "LoRA via mlx-lm" on the card
    said = card(claim("library", "mlx-lm", 20, "LoRA via `mlx-lm`"), library="peft")
    assert ids(run(AdapterEvidence(), said, files=("README.md",))) == [
        "adapter.files-missing",
        "adapter.library-mismatch",
    ]


def test_hyperparameters_and_self_consistency() -> None:
    ev = fixture("mlx-llama-lora", "header")
    claims = card(
        claim("optimizer", "adam", 10, "Adam"),
        claim("iterations", 1000, 11),
        claim("optimizer", "adamw", 40, "AdamW LR 1e-5"),
        claim("learning_rate", 1e-5, 40),
    )
    findings = run(ev, claims)
    assert ids(findings) == [
        "adapter.card-self-inconsistent",
        "adapter.hyperparameter-mismatch",
        "adapter.hyperparameter-mismatch",
    ]
    self_inc = next(f for f in findings if f.rule_id == "adapter.card-self-inconsistent")
    assert str(self_inc.location) == "README.md:40" and "on line 10" in self_inc.message


def test_base_mismatch() -> None:
    ev = fixture("mlx-llama-lora", "header")
    assert ids(run(ev, card(base="tiny-random/llama-4l"))) == []
    assert ids(run(ev, card(base="meta-llama/Llama-3.1-8B"))) == ["adapter.base-mismatch"]


@pytest.mark.realworld
def test_r11_and_r12_config_alone(tmp_path: Path) -> None:
    configs = REALWORLD / "adapter_configs"
    if not configs.is_dir():
        pytest.skip(f"real-world corpus not found at {configs}")
    for name, expected in (
        (
            "Ailiance-fr__devstral-cpp-bf16-lora",
            ["adapter.base-unresolvable", "adapter.files-missing", "adapter.local-path-leak"],
        ),
        ("haytamdon__MLX-GRPO", ["adapter.base-unresolvable", "adapter.files-missing"]),
    ):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(configs / name / "adapter_config.json", folder)  # into tmp only, never the repo
        ev = evidence(folder, "load")
        findings = run(ev, card(present=False, library=None), files=("adapter_config.json",))
        assert ids(findings) == expected, name
    leak = next(f for f in findings if f.rule_id == "adapter.base-unresolvable")
    assert leak.message == "adapter_config.json does not name its base model"


def _example_findings(repo: str) -> tuple[AdapterEvidence, list[Finding]]:
    folder = EXAMPLE_HUB / "Ailiance-fr" / repo
    ev = evidence(folder, "load", hub=EXAMPLE_HUB)
    claims = parse_card((folder / "README.md").read_text())
    files = tuple(sorted(p.name for p in folder.iterdir()))
    return ev, run(ev, claims, files)


@pytest.mark.mlx
def test_example_card_rank_scale_alpha_are_confirmed() -> None:
    ev, findings = _example_findings("apertus-math-lora")
    assert ev.verified_with.startswith("mlx-lm")
    fired = set(ids(findings))
    assert not fired & {
        "adapter.rank-mismatch",
        "adapter.scale-mismatch",
        "adapter.alpha-scale-inconsistent",
        "adapter.architecture-mismatch",
    }
    assert {"adapter.library-mismatch", "adapter.card-self-inconsistent"} <= fired


@pytest.mark.mlx
def test_drifted_example_names_the_card_line() -> None:
    _, findings = _example_findings("apertus-math-drift-lora")
    rank = [
        f
        for f in findings
        if f.rule_id == "adapter.rank-mismatch" and f.location and f.location.file == "README.md"
    ]
    assert len(rank) == 1 and rank[0].location is not None and rank[0].location.line
    readme = (EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-drift-lora" / "README.md").read_text()
    assert "Rank" in readme.splitlines()[rank[0].location.line - 1]
    assert "adapter.architecture-mismatch" in ids(findings)


def test_pack_examples_pass_and_cover_every_adapter_rule() -> None:
    from auditor.policy.testing import run_tests

    results, missing = run_tests(ROOT / "auditor" / "policies")
    mine = [r for r in results if r.rule.startswith("adapter.")]
    assert mine and all(r.ok for r in mine), [r for r in mine if not r.ok]
    assert not [m for m in missing if m.startswith("adapter.")]


def test_problem_kinds_and_the_rules_that_report_them_agree() -> None:
    import re

    import yaml

    from auditor.verify.kinds import FILE_PROBLEMS, PROBLEM_KINDS

    rules = {r["id"]: r for r in yaml.safe_load(PACK.read_text())["rules"]}
    listed = set(re.findall(r"'([a-z-]+)'", rules["adapter.files-invalid"]["each"]))
    assert listed == set(FILE_PROBLEMS)
    not_verified = set(re.findall(r"'([a-z-]+)'", rules["adapter.not-verified"]["each"]))
    # the rest is reported through a field (files-missing, base-unresolvable) or through the
    # not-verified problem that names it as the reason the load did not run
    elsewhere = {"config-missing", "weights-missing", "base-unresolvable", "unsupported-model-type"}
    elsewhere |= {"unsupported-adapter-type"}
    assert set(PROBLEM_KINDS) == set(FILE_PROBLEMS) | not_verified | elsewhere
