"""Policy stage: waivers declared by the audited repo in ``.ailiance-audit.yaml``.

```yaml
waivers:
  - rule: license.sharealike-leak      # rule id (required)
    node: datasets/org/name            # optional: only findings on this node
    reason: "legal review 2026-11, see ticket 42"
    owner: compliance@example.org
    expires: 2027-03-31                # required: a waiver never lasts forever
```

A waived finding stays in the report, marked with the waiver. The waiver file itself is untrusted
input of the audited repo: a malformed entry, an expired waiver and a waiver that matches no
finding are findings (``waiver.invalid``, ``waiver.expired``, ``waiver.unused``), never crashes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import yaml

from auditor.models import Finding, Location, Severity, Waiver
from auditor.policy.cel import RULE_DOCS, fingerprint

MAX_WAIVER_BYTES = 256 << 10


class WaiverProblem(Exception):
    """A waiver entry that cannot be used."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_waivers(text: str | None, file: str) -> tuple[list[Waiver], list[tuple[str, int | None]]]:
    """Parse a waiver file: the valid waivers and the problems (message, line) of the others."""
    if text is None:
        return [], []
    if len(text) > MAX_WAIVER_BYTES:
        return [], [("waiver file larger than 256 KiB", None)]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [
            (f"invalid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None)
        ]
    entries = data.get("waivers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [("expected a mapping with a 'waivers' list", 1)]
    lines = _entry_lines(root)
    waivers, problems = [], []
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        try:
            waivers.append(_waiver(entry, file, line))
        except WaiverProblem as exc:
            problems.append((str(exc), exc.line))
    return waivers, problems


def _entry_lines(root: Any) -> list[int]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "waivers" and isinstance(value, yaml.SequenceNode):
            return [n.start_mark.line + 1 for n in value.value]
    return []


def _waiver(entry: Any, file: str, line: int | None) -> Waiver:
    if not isinstance(entry, dict):
        raise WaiverProblem("a waiver is a mapping", line)
    missing = [k for k in ("rule", "reason", "owner", "expires") if not entry.get(k)]
    if missing:
        raise WaiverProblem(f"waiver is missing {', '.join(missing)}", line)
    expires = entry["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError as exc:
            raise WaiverProblem(f"expires {expires!r} is not a date (YYYY-MM-DD)", line) from exc
    if not isinstance(expires, dt.date):
        raise WaiverProblem("expires must be a date (YYYY-MM-DD)", line)
    node = entry.get("node")
    return Waiver(
        rule=str(entry["rule"]),
        node=str(node) if node else None,
        reason=str(entry["reason"]),
        owner=str(entry["owner"]),
        expires=expires.isoformat(),
        location=Location(file=file, line=line),
    )


def apply_waivers(
    findings: Sequence[Finding],
    loaded: tuple[list[Waiver], list[tuple[str, int | None]]],
    *,
    today: dt.date,
    subject: str,
    file: str = ".ailiance-audit.yaml",
) -> list[Finding]:
    """Mark waived findings; add findings for invalid, expired and unused waivers."""
    waivers, problems = loaded
    out: list[Finding] = []
    used: set[int] = set()
    for finding in findings:
        match = None
        for i, w in enumerate(waivers):
            if w.rule == finding.rule_id and (w.node is None or w.node == finding.node):
                used.add(i)
                if dt.date.fromisoformat(w.expires) >= today:
                    match = w
                    break
        out.append(finding.model_copy(update={"suppressed_by": match}) if match else finding)
    for message, line in problems:
        out.append(
            _meta(
                "waiver.invalid",
                Severity.ERROR,
                "Waiver entry cannot be used",
                message,
                subject,
                Location(file=file, line=line),
            )
        )
    for i, w in enumerate(waivers):
        if dt.date.fromisoformat(w.expires) < today:
            out.append(
                _meta(
                    "waiver.expired",
                    Severity.ERROR,
                    "Waiver has expired",
                    f"waiver for {w.rule} (owner {w.owner}) expired on {w.expires}",
                    subject,
                    w.location,
                )
            )
        elif i not in used:
            out.append(
                _meta(
                    "waiver.unused",
                    Severity.WARNING,
                    "Waiver matches no finding",
                    f"waiver for {w.rule}"
                    + (f" on {w.node}" if w.node else "")
                    + " matches no finding: remove it",
                    subject,
                    w.location,
                )
            )
    return out


def _meta(
    rule_id: str, severity: Severity, title: str, message: str, node: str, location: Location | None
) -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=severity,
        title=title,
        message=message,
        node=node,
        location=location,
        tags=("waivers",),
        basis="waivers must be valid, current and used",
        help_uri=RULE_DOCS.format(id=rule_id),
        fingerprint=fingerprint(rule_id, node, location, message),
    )
