"""Helpers for the policy tests: evaluate packs on example facts, run the CLI on a mirror."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.cli import main
from auditor.models import Finding
from auditor.policy import PolicySet, evaluate, load_policies
from auditor.policy.testing import case_facts

UPSTREAM_LLAMA: dict[str, Any] = {
    "id": "meta-llama/Llama-3.1-8B-Instruct",
    "kind": "model",
    "role": "base",
    "depth": 1,
    "resolved": True,
    "declared_at": {"file": "README.md", "line": 3},
    "license": {
        "declared": "llama3.1",
        "spdx": "LicenseRef-scancode-llama-3.1-license-2024",
        "name": "Llama 3.1 Community License Agreement",
        "known": True,
        "family": "llama",
        "use_restrictions": True,
        "mau_limit": True,
        "foss_under_ai_act": "no",
        "duties": [
            "license-copy",
            "notice-file",
            "built-with-llama",
            "llama-name-prefix",
            "aup-compliance",
            "use-restrictions-flowdown",
        ],
        "notice_text": "Llama 3.1 is licensed under the Llama 3.1 Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved.",
        "attribution_text": "Built with Llama",
        "name_prefix": "Llama",
    },
}


def findings(
    over: dict[str, Any],
    rule: str | None = None,
    *,
    profile: str = "default",
    texts: dict[str, str] | None = None,
) -> list[Finding]:
    """Findings of the shipped packs on ``over`` merged into the minimal facts document."""
    policy = _policy(profile)
    found = evaluate(case_facts(over, texts), policy)
    return [f for f in found if rule is None or f.rule_id == rule]


@lru_cache(maxsize=4)
def _policy(profile: str) -> PolicySet:
    return load_policies([profile])


def statement(kind: str, text: str, line: int, value: str | None = None) -> dict[str, Any]:
    """A card statement as the card parser records it."""
    return {
        "kind": kind,
        "text": text,
        "value": value,
        "location": {"file": "README.md", "line": line},
    }


def audit_json(
    mirror: Path, target: str, out: Path, *extra: str, verify: str = "none"
) -> tuple[int, dict[str, Any]]:
    """Run the real CLI offline on a mirror; the exit code and the JSON report.

    The mirrors of these tests hold only the repos a case is about: an upstream they leave out
    makes the audit incomplete, which ``--allow-incomplete`` turns into a warning so the exit
    code follows the findings the case checks.
    """
    code = main(
        [
            "--mirror",
            str(mirror),
            "--offline",
            "--allow-incomplete",
            "--verify",
            verify,
            "--format",
            "json",
            "--output",
            str(out),
            *extra,
            target,
        ]
    )
    return code, json.loads(out.read_text(encoding="utf-8"))


def rule_ids(report: dict[str, Any]) -> set[str]:
    """Rule ids reported for the first target."""
    return {f["rule_id"] for f in report["targets"][0]["findings"]}


def of_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    """The first target's findings of one rule."""
    return [f for f in report["targets"][0]["findings"] if f["rule_id"] == rule]
