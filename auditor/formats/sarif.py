"""Formats stage: SARIF 2.1.0, one run per report, for code scanning and other SARIF viewers.

Rules come from the findings (the policy stage decides them); results carry the rule id and
index, the level, the message, the file and line in the audited repo, the node as a logical
location and a partial fingerprint. Waived findings stay in the log with a ``suppressions`` entry
of kind ``external``: the waiver lives in ``.ailiance-audit.yaml``, outside the artifact that
holds the result (SARIF 2.1.0 §3.35.2).

Locations are relative to the audited target. A local target given by a relative path is
prefixed with that path (so GitHub resolves it against the checkout); any other target gets a
``uriBaseId`` (``TARGET<n>``) defined in ``originalUriBaseIds`` as its Hub ``blob`` URL or its
absolute ``file:`` URL.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from auditor.formats import common, rules
from auditor.formats.base import register
from auditor.models import AuditReport, Finding, Location, RepoKind, Severity, TargetReport
from auditor.models.codec import dump

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = rules.PROJECT_URI
DOCS_BASE = rules.DOCS_BASE
FINGERPRINT_KEY = "ailianceAuditFinding/v1"


@register("sarif")
class SarifFormatter:
    """SARIF 2.1.0 JSON (``*.sarif``)."""

    name = "sarif"
    extension = ".sarif"

    def render(self, report: AuditReport) -> str:
        """Render the report as a SARIF log with one run."""
        log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [build_run(report)]}
        # ASCII-only (\uXXXX escapes): card text must never reach a terminal as raw C1 or bidi
        # controls (`cat report` in xterm); JSON readers decode the escapes back.
        return json.dumps(log, indent=2) + "\n"


def build_run(report: AuditReport) -> dict[str, Any]:
    """The SARIF ``run`` object of a report."""
    rules = _rules([f for t in report.targets for f in t.findings])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    bases: dict[str, dict[str, str]] = {}
    results: list[dict[str, Any]] = []
    for n, target in enumerate(report.targets):
        fallback = _fallback_file(target)
        located = fallback or any(
            f.location or (f.suppressed_by and f.suppressed_by.location) for f in target.findings
        )
        artifact = _artifact(target, n, bases) if target.findings and located else ("", None)
        states = common.baseline_states(report, target)
        for f, state in zip(common.sorted_findings(target), states, strict=True):
            results.append(_result(f, index[f.rule_id], artifact, fallback))
            if state:  # SARIF §3.27.24: how the result compares with the baseline run
                results[-1]["baselineState"] = state
    driver = {
        "name": report.tool.name,
        "version": report.tool.version,
        "semanticVersion": report.tool.version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run: dict[str, Any] = {"tool": {"driver": driver}, "invocations": [_invocation(report)]}
    if bases:
        run["originalUriBaseIds"] = {k: bases[k] for k in sorted(bases)}
    run["results"] = results
    run["columnKind"] = "unicodeCodePoints"
    run["properties"] = {
        "policy": list(report.policy),
        "summary": dump(report.summary),
    }
    if report.baseline is not None:
        run["properties"]["baseline"] = report.baseline
    return run


def _invocation(report: AuditReport) -> dict[str, Any]:
    """Targets that were not audited, and audits that could not look at something (incomplete:
    not clean), become error notifications of an unsuccessful run."""
    notes = [_notification(t) for t in report.targets if t.status != "audited"]
    notes += [_gap(t, gap) for t in report.targets for gap in t.incomplete]
    invocation: dict[str, Any] = {"executionSuccessful": not notes}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def message_text(text: str) -> str:
    """Plain text for a SARIF ``message``: brackets escaped so no embedded link forms (§3.11.6)."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def rule_name(rule_id: str) -> str:
    """``license.sharealike-leak`` -> ``LicenseSharealikeLeak`` (SARIF ``name``, §3.49.7)."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", rule_id) if p)


def level(f: Finding) -> str:
    """SARIF's level (§3.27.10): ``info`` findings are ``none`` (informational, no problem)."""
    return "none" if f.severity is Severity.INFO else f.severity.value


def help_uri(uri: str | None) -> str | None:
    """An absolute help URI (``rules.doc_url``)."""
    return rules.doc_url(uri)


def _rules(findings: list[Finding]) -> list[dict[str, Any]]:
    first: dict[str, Finding] = {}
    tags: dict[str, set[str]] = {}
    for f in sorted(findings, key=lambda f: (f.rule_id, -f.severity.rank)):
        first.setdefault(f.rule_id, f)  # the most severe finding of a rule speaks for it
        tags.setdefault(f.rule_id, set()).update(f.tags)
    return [_rule(first[rid], sorted(tags[rid])) for rid in sorted(first)]


def _rule(f: Finding, tags: list[str]) -> dict[str, Any]:
    uri = help_uri(f.help_uri)
    lines = [f.title + ("" if f.title.endswith(".") else ".")]
    if f.basis:
        lines.append(f"Basis: {f.basis}")
    if f.fix:
        lines.append(f"Fix: {f.fix}")
    if uri:
        lines.append(f"Documentation: {uri}")
    rule: dict[str, Any] = {
        "id": f.rule_id,
        "name": rule_name(f.rule_id),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": " ".join(lines[:2])},
        "help": {"text": "\n".join(lines)},
        "defaultConfiguration": {"level": level(f)},
        "properties": {"tags": tags},
    }
    if uri:
        rule["helpUri"] = uri
    return rule


def _fallback_file(target: TargetReport) -> str | None:
    """Where a finding without a location is shown: the card, else the adapter config.

    GitHub code scanning displays only results with a physical location, so a finding about
    the repo as a whole (or about an upstream node) is anchored to the file it concerns most.
    """
    if target.claims is not None and target.claims.present:
        return target.claims.file
    if target.evidence is not None and target.evidence.config_file:
        return target.evidence.config_file
    return None


def _result(
    f: Finding, rule_index: int, artifact: tuple[str, str | None], fallback: str | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": level(f),
        "message": {"text": message_text(f.message)},
    }
    location: dict[str, Any] = {}
    if f.location is not None:
        location["physicalLocation"] = _physical(f.location, artifact)
    elif fallback is not None:
        location["physicalLocation"] = _physical(Location(file=fallback), artifact)
    location["logicalLocations"] = [
        {"name": f.node, "fullyQualifiedName": f.node, "kind": "resource"}
    ]
    result["locations"] = [location]
    result["partialFingerprints"] = {FINGERPRINT_KEY: common.fingerprint(f)}
    if f.suppressed_by is not None:
        waiver = f.suppressed_by
        sup: dict[str, Any] = {
            "kind": "external",
            "status": "accepted",
            "justification": waiver.reason,
        }
        if waiver.location is not None:
            sup["location"] = {"physicalLocation": _physical(waiver.location, artifact)}
        sup["properties"] = {
            "owner": waiver.owner,
            "expires": waiver.expires,
            "rule": waiver.rule,
            "node": waiver.node,
        }
        result["suppressions"] = [sup]
    properties: dict[str, Any] = {"node": f.node}
    if f.evidence:
        properties["evidence"] = dict(sorted(f.evidence.items()))
    result["properties"] = properties
    return result


def _artifact(
    target: TargetReport, n: int, bases: dict[str, dict[str, str]]
) -> tuple[str, str | None]:
    """``(prefix, uriBaseId)`` for the files of one target; registers the base it uses."""
    t = target.target
    origin = target.snapshot.origin if target.snapshot else ("local" if t.path else "hub")
    path = t.path or (target.snapshot.location if target.snapshot and origin == "local" else None)
    if origin == "local" and path and not PurePosixPath(path).is_absolute():
        prefix = posixpath.normpath(path.replace("\\", "/"))
        return ("" if prefix == "." else prefix + "/", None)
    base_id = f"TARGET{n}"
    if origin == "local" and path:
        bases[base_id] = {"uri": PurePosixPath(path).as_uri().rstrip("/") + "/"}
        return "", base_id
    rid = t.repo_id or (target.snapshot.repo_id if target.snapshot else None)
    url = common.hub_url(rid, t.kind) if rid else None
    if url is None:
        return "", None
    rev = (target.snapshot.revision if target.snapshot else None) or t.revision or "main"
    bases[base_id] = {"uri": f"{url}/blob/{quote(rev, safe='')}/"}
    return "", base_id


def _physical(loc: Location, artifact: tuple[str, str | None]) -> dict[str, Any]:
    prefix, base_id = artifact
    file = loc.file.replace("\\", "/")
    if PurePosixPath(file).is_absolute():
        art: dict[str, Any] = {"uri": PurePosixPath(file).as_uri()}
    else:
        art = {"uri": quote(posixpath.normpath(prefix + file), safe="/")}
        if base_id:
            art["uriBaseId"] = base_id
    physical: dict[str, Any] = {"artifactLocation": art}
    if loc.line and loc.line >= 1:
        region: dict[str, int] = {"startLine": loc.line}
        if loc.column and loc.column >= 1:
            region["startColumn"] = loc.column
        physical["region"] = region
    return physical


def _notification(target: TargetReport) -> dict[str, Any]:
    detail = f": {target.error}" if target.error else ""
    kind = RepoKind(target.target.kind).value
    return {
        "level": "error",
        "message": {
            "text": message_text(f"{kind} target {target.target.spec} {target.status}{detail}")
        },
        "descriptor": {"id": f"target.{target.status}"},
    }


def _gap(target: TargetReport, gap: str) -> dict[str, Any]:
    kind = RepoKind(target.target.kind).value
    text = f"{kind} target {target.target.spec} incomplete: could not look at {gap}"
    return {
        "level": "error",
        "message": {"text": message_text(text)},
        "descriptor": {"id": "target.incomplete"},
    }
