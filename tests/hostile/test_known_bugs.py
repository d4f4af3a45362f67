"""Regression tests for the bugs this suite found, one per bug.

While a bug is open its test asserts the correct behaviour and is marked ``xfail(strict=True)``
with the owning area in its reason, so it fails loudly (XPASS) the day the bug is fixed; then the
marker goes and the test stays as a plain regression test. Every audit runs in a measured,
time-bounded subprocess with an address-space limit, so a memory bug fails here as a MemoryError
rather than taking the CI machine down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .harness import (
    EXAMPLE_HUB,
    Result,
    card_problem_kinds,
    evidence_problem_kinds,
    rule_ids,
    run_cli,
    target_report,
)


def audited(
    args: list[str], *, timeout: float = 60.0, mirrors: tuple[Path, ...] | None = None
) -> tuple[Result, dict[str, Any]]:
    """Audit in JSON; assert the contract (documented exit, no traceback, status audited)."""
    result = run_cli(["--format", "json", *args], timeout=timeout, mirrors=mirrors)
    result.assert_clean()
    entry = target_report(result.json())
    assert entry["status"] == "audited", entry.get("error")
    return result, entry


def test_deeply_nested_waiver_file_is_a_finding() -> None:
    _, entry = audited(["--verify", "none", "hostile/waivers-deep"])
    assert "waiver.invalid" in rule_ids(entry)


def test_impossible_waiver_date_is_a_finding() -> None:
    _, entry = audited(["--verify", "none", "hostile/waivers-bad-date"])
    assert "waiver.invalid" in rule_ids(entry)


def test_deeply_nested_base_config_is_not_a_crash() -> None:
    audited(["--verify", "none", "hostile/adapter-on-deep-base"])


def test_bom_card_metadata_is_read() -> None:
    _, entry = audited(["--verify", "none", "hostile/card-bom"])
    assert "front-matter-missing" not in card_problem_kinds(entry)
    assert entry["claims"]["metadata"]["license"] == ["apache-2.0"]


def test_symlink_loop_is_skipped(built: dict[str, str], generated_hub: Path) -> None:
    _, entry = audited(
        ["--verify", "none", built["symlink_loop"]], mirrors=(generated_hub, EXAMPLE_HUB)
    )
    assert "README.md" in entry["snapshot"]["files"]


def test_billion_layer_base_is_refused_in_bounded_memory(
    built: dict[str, str], generated_hub: Path
) -> None:
    result, entry = audited(
        ["--verify", "load", built["huge_layer_base"]], mirrors=(generated_hub, EXAMPLE_HUB)
    )
    assert "base-config-invalid" in evidence_problem_kinds(entry)
    assert result.peak_mb < 600


def test_card_restating_claims_is_audited_quickly(
    built: dict[str, str], generated_hub: Path
) -> None:
    result, _ = audited(
        ["--verify", "none", built["dense_claims"]],
        timeout=10,
        mirrors=(generated_hub, EXAMPLE_HUB),
    )
    assert result.seconds < 10


def test_paragraph_of_thousands_of_statements_is_audited_quickly(
    built: dict[str, str], generated_hub: Path
) -> None:
    """Was over five minutes: sentence line marks were found by scanning the whole paragraph,
    and rules compared thousands of uncapped statements pairwise."""
    result, entry = audited(
        ["--verify", "none", built["statement_paragraph"]],
        timeout=30,
        mirrors=(generated_hub, EXAMPLE_HUB),
    )
    assert result.seconds < 30
    assert "truncated" in card_problem_kinds(entry)
    assert "aiact.statement-contradicted" in rule_ids(entry)


def test_peft_config_with_fewer_layers_in_the_weights_is_a_finding() -> None:
    _, entry = audited(["--verify", "header", "hostile/peft-layers-mismatch"])
    assert "adapter.layers-mismatch" in rule_ids(entry)


def test_infinite_rank_in_config_is_a_problem_record() -> None:
    _, entry = audited(["--verify", "header", "hostile/config-infinite-rank"])
    assert "config-invalid" in evidence_problem_kinds(entry)


def test_comprehension_bomb_in_a_policy_pack_is_bounded() -> None:
    pack = Path(__file__).parent / "corpus" / "policies" / "cel-comprehension-bomb.yaml"
    result = run_cli(["--verify", "none", "--policy", str(pack), "hostile/card-crlf"], timeout=10)
    result.assert_clean()
    assert result.peak_mb < 600


# A hostile input must end in "a finding, never a crash" (docs/architecture.md, "Errors and exit
# codes"). These were recorded as problems that no rule reported (found by this suite; rules
# added since).
REPORTED = (
    ("hostile/cycle-a", "license.lineage-incomplete", "cycle: hostile/cycle-a"),
    ("hostile/safetensors-terabytes", "adapter.files-invalid", "header-too-large"),
    ("hostile/remote-code", "adapter.files-invalid", "custom code"),
    ("hostile/card-binary", "card.unreadable", "not valid UTF-8"),
)


@pytest.mark.parametrize(("target", "rule", "words"), REPORTED, ids=[t for t, _, _ in REPORTED])
def test_recorded_problems_become_findings(target: str, rule: str, words: str) -> None:
    _, entry = audited(["--verify", "load", target])
    messages = [f["message"] for f in entry["findings"] if f["rule_id"] == rule]
    assert any(words in m for m in messages), sorted(rule_ids(entry))
