"""Policy stage: evaluate compiled rules against one facts document.

This is the only place where pass/fail and severity are decided, and it decides them by running
the rules' CEL expressions; Python here only binds variables and builds :class:`Finding`s.
"""

from __future__ import annotations

import hashlib
from typing import Any

from auditor.errors import PolicyError
from auditor.facts import derive
from auditor.models import Facts, Finding, Location, Severity, finding_order
from auditor.policy.celimport import add_stdlib_to_context, cel
from auditor.policy.loader import PolicySet, Rule

RULE_DOCS = "docs/rules/{id}.md"
MAX_FINDINGS_PER_RULE = 200


def evaluate(facts: Facts, policy: PolicySet) -> list[Finding]:
    """Run every rule over ``facts``; findings come back sorted (deterministic output).

    Facts assembled by hand (tests, benchmarks, other tools) get their ``derived`` data computed
    here, so rules can always rely on it.
    """
    if not facts.derived:
        facts = facts.model_copy(update={"derived": derive(facts)})
    context = make_context(facts.model_dump(mode="json"))
    findings: list[Finding] = []
    for rule in policy.rules:
        findings.extend(_run_rule(rule, context))
    return sorted(findings, key=finding_order)


def make_context(document: dict[str, Any]) -> cel.Context:
    """A CEL context holding the facts document and the extended standard library."""
    context = cel.Context()
    add_stdlib_to_context(context)
    for key, value in document.items():
        context.add_variable(key, value)
    return context


def _run_rule(rule: Rule, context: cel.Context) -> list[Finding]:
    try:
        rows = rule.program.execute(context)
    except Exception as exc:  # a CEL runtime error means the rule does not fit the facts
        raise PolicyError(
            f"CEL evaluation failed: {exc}", file=rule.file, rule=rule.id, line=rule.line
        ) from exc
    if not isinstance(rows, list):
        raise PolicyError("'each' must give a list", file=rule.file, rule=rule.id, line=rule.line)
    return [_finding(rule, row) for row in rows[:MAX_FINDINGS_PER_RULE]]


def _finding(rule: Rule, row: dict[str, Any]) -> Finding:
    try:
        computed = row["severity"]
        severity = rule.override or (Severity(str(computed)) if computed else rule.severity)
    except ValueError as exc:
        raise PolicyError(
            f"severity_expr gave {row['severity']!r}", file=rule.file, rule=rule.id, line=rule.line
        ) from exc
    message, node = _text(row["message"]), _text(row["node"])
    location = _location(row["location"])
    raw_ev = row.get("evidence")
    evidence = (
        {str(k): _text(v) for k, v in sorted(raw_ev.items())} if isinstance(raw_ev, dict) else {}
    )
    return Finding(
        rule_id=rule.id,
        severity=severity,
        title=rule.title,
        message=message,
        node=node,
        location=location,
        tags=rule.tags,
        basis=rule.basis,
        help_uri=RULE_DOCS.format(id=rule.id),
        evidence=evidence,
        fingerprint=fingerprint(rule.id, node, location, message),
    )


def _location(raw: Any) -> Location | None:
    if not isinstance(raw, dict) or not raw.get("file"):
        return None
    line = raw.get("line")
    return Location(
        file=str(raw["file"]), line=int(line) if isinstance(line, int | float) else None
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def fingerprint(rule_id: str, node: str, location: Location | None, message: str) -> str:
    """Stable identity of a finding for baselines: rule, node, file and message, not the line.

    Lines move whenever a card is edited above the finding; the message carries the values that
    make two findings of one rule different.
    """
    key = "\x1f".join((rule_id, node, location.file if location else "", message))
    return hashlib.sha256(key.encode()).hexdigest()[:32]
