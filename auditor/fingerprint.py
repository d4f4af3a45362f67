"""A finding's identity for baselines, below every stage that needs it (the policy stage stamps
it on findings; baselines, formats and the Hub gate match findings by it).
"""

from __future__ import annotations

import hashlib

from auditor.models import Finding, Location


def fingerprint(rule_id: str, node: str, location: Location | None, message: str) -> str:
    """Stable identity of a finding for baselines: rule, node, file and message, not the line.

    Lines move whenever a card is edited above the finding; the message carries the values that
    make two findings of one rule different.
    """
    key = "\x1f".join((rule_id, node, location.file if location else "", message))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def finding_key(f: Finding) -> str:
    """The baseline identity of a finding, recomputed so reports of any version compare."""
    return fingerprint(f.rule_id, f.node, f.location, f.message)
