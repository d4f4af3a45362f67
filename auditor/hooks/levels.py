"""Which verification level the hook runs on each pushed directory, and what it says about it.

``--verify`` when the user gave it; otherwise ``header`` (the safetensors header only, no mlx
import: a card edit stays well under a second) unless the pushed commits change the directory's
adapter weights or ``adapter_config.json``, which get the mlx-lm load check (``load``): only a
load onto the base's architecture catches tensors of the wrong hidden size. A load check that
was due and could not run (mlx-lm not importable, no base config offline) leaves the audit
incomplete (exit 3): could-not-check is never a pass.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from auditor.errors import LOAD_GAP
from auditor.hooks import changes
from auditor.models import TargetReport, VerifyLevel

if TYPE_CHECKING:
    from auditor.pipeline import AuditOptions


def verify_level(unit: changes.Unit, explicit: VerifyLevel | None) -> VerifyLevel:
    """The user's ``--verify``, else ``load`` when the adapter's files changed, else ``header``."""
    if explicit is not None:
        return explicit
    return "load" if unit.adapter_changed else "header"


def load_gap(report: TargetReport, options: AuditOptions) -> TargetReport:
    """A load check that was due and did not run makes the audit incomplete (fail closed)."""
    evidence = report.evidence
    if options.verify != "load" or evidence is None:
        return report
    why = [p.message for p in evidence.problems if p.kind == "not-verified"]
    if not why:
        return report
    gap = f"{LOAD_GAP} of {evidence.weights_file} ({why[0]})"
    return replace(report, incomplete=(*report.incomplete, gap))


def adapter_check(
    unit: changes.Unit, target: TargetReport, verify: VerifyLevel | None
) -> list[str]:
    """Which verification ran on the adapter and why (the hook chooses it per directory)."""
    ev = target.evidence
    if ev is None or not ev.present:
        return []
    why = "as asked" if verify else "its weights or config changed"
    if not verify and not unit.adapter_changed:
        why = "only the card, waivers or policies changed"
    result = "header read" if ev.verified_with == "header" else "not read"
    if ev.load_ok is not None:
        result = f"{'loads' if ev.load_ok else 'does not load'} with {ev.verified_with}"
    return [f"ailiance-audit:   adapter check: {verify_level(unit, verify)} ({why}): {result}"]
