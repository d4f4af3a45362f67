"""Helpers of the card-sync tests: where the example lives, a fresh audit, rule ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.models import Finding
from auditor.pipeline import AuditOptions, run_iter
from auditor.sources.base import parse_target

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_HUB = ROOT / "examples" / "hub"
EXAMPLE = EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-lora"

Sync = Callable[..., tuple[int, str, str]]
"""``sync(target, *args)`` -> (exit code, stdout, stderr) of ``card sync``."""


def audit(target: Path, verify: str = "load") -> list[Finding]:
    """A fresh audit of a local directory against the example hub."""
    options = AuditOptions(mirrors=[EXAMPLE_HUB], offline=True, verify=verify)  # type: ignore[arg-type]
    (report,) = run_iter([parse_target(str(target))], options)
    assert report.status == "audited", report.error
    return list(report.findings)


def rule_ids(findings: list[Finding]) -> set[str]:
    """The ids of the rules that fired."""
    return {f.rule_id for f in findings}
