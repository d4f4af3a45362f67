"""Every hostile input: a report with its expected problem or finding, a documented exit code,
no traceback, within a time bound and a peak-RSS cap (measured on the audit process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import CORPUS, GENERATED, Case
from .harness import CORPUS_HUB, EXAMPLE_HUB, Result, run_cli, target_report


def audit(case: Case, target: str, mirrors: tuple[Path, ...], env: dict[str, str]) -> Result:
    result = run_cli(
        ["--format", "json", "--verify", case.verify, target],
        timeout=case.seconds,
        mirrors=mirrors,
        extra_env=env,
    )
    result.assert_clean()
    assert result.rc in case.exit_codes, (result.rc, result.stderr[-500:])
    assert result.seconds < case.seconds
    assert result.peak_mb < case.peak_mb, f"peak RSS {result.peak_mb:.0f} MB"
    return result


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_committed_corpus(case: Case, tmp_path: Path) -> None:
    marker = tmp_path / "remote-code-ran"
    result = audit(
        case, case.target, (CORPUS_HUB, EXAMPLE_HUB), {"AILIANCE_HOSTILE_MARKER": str(marker)}
    )
    entry = target_report(result.json())
    assert entry["status"] == "audited", entry.get("error")
    case.check(entry)
    assert not marker.exists(), "code from an audited repo was executed"


@pytest.mark.parametrize(("builder", "case"), GENERATED, ids=[c.name for _, c in GENERATED])
def test_generated_inputs(
    builder: str, case: Case, built: dict[str, str], generated_hub: Path
) -> None:
    result = audit(case, built[builder], (generated_hub, EXAMPLE_HUB), {})
    entry = target_report(result.json())
    assert entry["status"] == "audited", entry.get("error")
    case.check(entry)
    for secret in ("SECRET-OUTSIDE-CARD", "root:x:0:0"):
        assert secret not in result.stdout


def test_every_committed_case_is_exercised() -> None:
    """A corpus folder nobody tests is dead weight: each one is a target or an upstream."""
    tested = {c.target for c in CORPUS} | {
        "hostile/cycle-b",
        "hostile/remote-code-base",
        "hostile/injection",
        "hostile/waivers-deep",
        "hostile/waivers-bad-date",
        "hostile/base-config-deep",
        "hostile/adapter-on-deep-base",
        "hostile/peft-layers-mismatch",
        "hostile/config-infinite-rank",
    }
    present = {f"hostile/{p.name}" for p in (CORPUS_HUB / "hostile").iterdir()}
    assert present == tested


POLICY_DIR = CORPUS_HUB.parent / "policies"
MALFORMED_PACKS = sorted(p.name for p in POLICY_DIR.glob("*.yaml") if "comprehension" not in p.stem)


@pytest.mark.parametrize("pack", MALFORMED_PACKS)
def test_untrusted_policy_pack_is_a_usage_error(pack: str) -> None:
    """A rule pack from an untrusted pull request: exit 2 naming the file, bounded, no trace."""
    result = run_cli(
        ["--verify", "none", "--policy", str(POLICY_DIR / pack), "hostile/card-crlf"],
        timeout=30,
    )
    result.assert_clean()
    assert result.rc == 2
    assert result.stderr.startswith("ailiance-audit: ") and pack in result.stderr
    assert result.peak_mb < 300
