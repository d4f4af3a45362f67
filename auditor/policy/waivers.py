"""Policy stage: waivers declared by the audited repo in ``.ailiance-audit.yaml`` or pyproject.toml.

```yaml
waivers:
  - rule: license.sharealike-leak      # rule id (required)
    node: datasets/org/name            # optional: only findings on this node
    reason: "legal review 2026-11, see ticket 42"
    owner: compliance@example.org
    expires: 2027-03-31                # required: a waiver never lasts forever
```

The same entries may live in the audited repo's ``pyproject.toml``::

    [[tool.ailiance-audit.waivers]]
    rule = "license.sharealike-leak"
    reason = "legal review 2026-11, see ticket 42"
    owner = "compliance@example.org"
    expires = 2027-03-31

A waived finding stays in the report, marked with the waiver. The waiver file itself is untrusted
input of the audited repo: a malformed entry, an expired waiver and a waiver that matches no
finding are findings (``waiver.invalid``, ``waiver.expired``, ``waiver.unused``), never crashes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import yaml

from auditor import safeyaml
from auditor.lazyre import lazy
from auditor.models import Finding, Location, Severity, Waiver
from auditor.policy.cel import RULE_DOCS, fingerprint

MAX_WAIVER_BYTES = 256 << 10
PYPROJECT = "pyproject.toml"
# A problem is (message, line) for the file given to apply_waivers, or (message, line, file).
Problem = tuple[str, int | None] | tuple[str, int | None, str]
Loaded = tuple[list[Waiver], list[Problem]]
_TOML_TABLE = lazy(
    r"^[ \t]*\[\[\s*tool\.(?:ailiance-audit|\"ailiance-audit\")\.waivers\s*\]\]", re.M
)
_TOML_ERROR_LINE = lazy(r"\(at line (\d+)")

WAIVER_RULES: dict[str, tuple[str, str, str]] = {
    "waiver.invalid": (
        "error",
        "Waiver entry cannot be used",
        "A waiver entry is malformed: not a mapping, a missing rule, reason, owner or expiry, or "
        "an expiry that is not a date (YYYY-MM-DD).",
    ),
    "waiver.expired": (
        "error",
        "Waiver has expired",
        "A waiver's expiry date is in the past: the finding it suppressed is live again.",
    ),
    "waiver.unused": (
        "warning",
        "Waiver matches no finding",
        "A current waiver matches no finding of this audit (the problem was fixed, or the rule id "
        "or node is misspelled).",
    ),
}
"""The waiver meta-rules: id -> (severity, title, what fires it); used by the rule docs."""

WAIVER_FIXES = {
    "waiver.invalid": "Give the entry a rule, a reason, an owner and an expiry (YYYY-MM-DD).",
    "waiver.expired": "Fix the finding it waived, or renew the waiver with a new expiry.",
    "waiver.unused": "Remove the waiver, or correct its rule id or node.",
}


class WaiverProblem(Exception):
    """A waiver entry that cannot be used."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_waivers(text: str | None, file: str) -> Loaded:
    """Parse a waiver file: the valid waivers and the problems (message, line) of the others."""
    if text is None:
        return [], []
    if len(text) > MAX_WAIVER_BYTES:
        return [], [("waiver file larger than 256 KiB", None)]
    try:
        data, root = safeyaml.load(text)
    except safeyaml.YamlError as exc:
        return [], [(str(exc), exc.line)]
    entries = data.get("waivers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [("expected a mapping with a 'waivers' list", 1)]
    return _entries(entries, _entry_lines(root), file)


def load_pyproject_waivers(text: str | None, file: str = PYPROJECT) -> Loaded:
    """Waivers in ``[tool.ailiance-audit]`` of a pyproject.toml; no such table means none.

    Problems carry ``file`` so they can be reported next to those of ``.ailiance-audit.yaml``.
    TOML gives no positions, so an entry's line is that of its ``[[tool.ailiance-audit.waivers]]``
    header when the array-of-tables form is used.
    """
    if text is None:
        return [], []
    if len(text) > MAX_WAIVER_BYTES:
        return [], [("pyproject.toml larger than 256 KiB", None, file)]
    import tomllib  # only a repo with a pyproject.toml pays its import (docs/speed.md)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR_LINE.search(str(exc))
        return [], [(f"invalid TOML: {exc}", int(match.group(1)) if match else None, file)]
    tool = data.get("tool")
    section = tool.get("ailiance-audit") if isinstance(tool, dict) else None
    if section is None:
        return [], []
    entries = section.get("waivers") if isinstance(section, dict) else None
    if not isinstance(entries, list):
        return [], [("[tool.ailiance-audit] needs a 'waivers' array of tables", None, file)]
    lines = [text.count("\n", 0, m.start()) + 1 for m in _TOML_TABLE.finditer(text)]
    waivers, problems = _entries(entries, lines if len(lines) == len(entries) else [], file)
    return waivers, [(p[0], p[1], file) for p in problems]


def load_repo_waivers(yaml_text: str | None, pyproject_text: str | None) -> Loaded:
    """Both waiver sources of an audited repo, merged: ``.ailiance-audit.yaml`` first."""
    waivers, problems = load_waivers(yaml_text, ".ailiance-audit.yaml")
    more, more_problems = load_pyproject_waivers(pyproject_text)
    return [*waivers, *more], [*problems, *more_problems]


def _entries(entries: list[Any], lines: list[int], file: str) -> Loaded:
    waivers: list[Waiver] = []
    problems: list[Problem] = []
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
    if not all(isinstance(entry[k], str) for k in ("rule", "reason", "owner")):
        raise WaiverProblem("rule, reason and owner must be strings", line)
    node = entry.get("node")
    if node is not None and not isinstance(node, str):
        raise WaiverProblem("node must be a string (a repo id)", line)
    expires = entry["expires"]
    if isinstance(expires, dt.datetime):  # YAML/TOML timestamps: the day is what counts
        expires = expires.date()
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError as exc:
            raise WaiverProblem(f"expires {expires!r} is not a date (YYYY-MM-DD)", line) from exc
    if not isinstance(expires, dt.date):
        raise WaiverProblem("expires must be a date (YYYY-MM-DD)", line)
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
    loaded: Loaded,
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
        out.append(replace(finding, suppressed_by=match) if match else finding)
    for problem in problems:
        where = problem[2] if len(problem) > 2 else file
        out.append(
            _meta("waiver.invalid", problem[0], subject, Location(file=where, line=problem[1]))
        )
    for i, w in enumerate(waivers):
        if dt.date.fromisoformat(w.expires) < today:
            message = f"waiver for {w.rule} (owner {w.owner}) expired on {w.expires}"
            out.append(_meta("waiver.expired", message, subject, w.location))
        elif i not in used:
            on = f" on {w.node}" if w.node else ""
            message = f"waiver for {w.rule}{on} matches no finding: remove it"
            out.append(_meta("waiver.unused", message, subject, w.location))
    return out


def _meta(rule_id: str, message: str, node: str, location: Location | None) -> Finding:
    severity, title, _ = WAIVER_RULES[rule_id]
    return Finding(
        rule_id=rule_id,
        severity=Severity(severity),
        title=title,
        message=message,
        node=node,
        location=location,
        tags=("waivers",),
        basis="waivers must be valid, current and used",
        fix=WAIVER_FIXES[rule_id],
        pack="waivers",
        help_uri=RULE_DOCS.format(id=rule_id),
        fingerprint=fingerprint(rule_id, node, location, message),
    )
