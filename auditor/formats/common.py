"""Formats stage: helpers the SARIF, Markdown, SPDX and CycloneDX formatters share.

Everything here reads an :class:`AuditReport` and returns plain data; nothing decides a finding.
Ordering is fixed so every format is deterministic (same report, same bytes).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from auditor.fingerprint import finding_key
from auditor.models import (
    AuditReport,
    Edge,
    Finding,
    Node,
    RepoKind,
    TargetReport,
    finding_order,
)

HUB = "https://huggingface.co"
# Where SPDX documents of this tool live; SPDX 2.3 §6.5 only asks for a unique absolute URI.
NAMESPACE_BASE = "https://spdx.org/spdxdocs/ailiance-audit/"
UNKNOWN_LICENSES = frozenset({"", "NOASSERTION", "UNKNOWN", "NONE"})
# Hub repo names: letters, digits, "-", "_", "." (Hub docs), optionally under one namespace.
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")
_DATASET_PREFIX = "datasets/"
_MAX_ID = 96  # ids stay readable; the hash keeps them unique


@dataclass(frozen=True)
class Subject:
    """One audited (or unresolvable) target as the SBOM formats see it."""

    id: str
    kind: RepoKind
    revision: str | None
    target: TargetReport


def hub_repo_id(node_id: str, origin: str | None = None) -> str | None:
    """The Hub repo id named by a node id (``datasets/`` prefix dropped), or None for paths.

    A node read from a local directory (``origin="local"``) is named by its path, which may
    look like ``org/name`` but is no Hub id.
    """
    rid = node_id.removeprefix(_DATASET_PREFIX)
    # fullmatch: the pattern's "$" also matches before a final "\n" ("org/x\n" is no id).
    if origin == "local" or ".." in rid or not _HUB_ID.fullmatch(rid):
        return None
    return rid


def hub_url(node_id: str, kind: RepoKind, origin: str | None = None) -> str | None:
    """The repo's page on the Hub, or None when the id is a local path or not a Hub id."""
    rid = hub_repo_id(node_id, origin)
    if rid is None:
        return None
    return f"{HUB}/datasets/{rid}" if kind == RepoKind.DATASET else f"{HUB}/{rid}"


def hub_purl(
    node_id: str, kind: RepoKind, revision: str | None, origin: str | None = None
) -> str | None:
    """``pkg:huggingface/<org>/<name>@<sha>`` for a pinned model (purl-spec ``huggingface`` type).

    The purl type covers models only and is meant to be pinned to a commit, so datasets and
    unpinned repos get none.
    """
    from packageurl import PackageURL

    rid = hub_repo_id(node_id, origin)
    if rid is None or kind != RepoKind.MODEL or not revision:
        return None
    namespace, _, name = rid.rpartition("/")
    purl: str = PackageURL(
        type="huggingface", namespace=namespace or None, name=name, version=revision
    ).to_string()
    return purl


def license_known(spdx: str) -> bool:
    """Whether an SPDX expression says something (not NOASSERTION, NONE or empty)."""
    return spdx.strip().upper() not in UNKNOWN_LICENSES and "NOASSERTION" not in spdx


def license_refs(spdx: str) -> list[str]:
    """The ``LicenseRef-…`` ids used in an expression, sorted and unique."""
    return sorted(set(_LICENSE_REF.findall(spdx)))


def declared_expression(spdx: str) -> tuple[str | None, bool]:
    """A node's license as an SPDX expression: ``(expression, synthesised)``.

    ``(None, False)`` means NOASSERTION and ``("NONE", False)`` SPDX NONE. A value that is not a
    valid SPDX expression (unknown bare ids, syntax errors) becomes one ``LicenseRef-<id>`` with
    ``synthesised`` set, so the caller attaches the original text as custom terms.
    """
    from license_expression import ExpressionError
    from spdx_tools.common.spdx_licensing import spdx_licensing

    if spdx.strip().upper() == "NONE":
        return "NONE", False
    if not license_known(spdx):
        return None, False
    try:
        parsed = spdx_licensing.parse(spdx)
        bad = [
            s
            for s in spdx_licensing.validate(spdx).invalid_symbols
            if not s.startswith("LicenseRef-")
        ]
    except ExpressionError:
        parsed, bad = None, [spdx]
    if parsed is None or bad:
        return "LicenseRef-" + safe_id(spdx), True
    return str(parsed), False


def sorted_findings(target: TargetReport) -> list[Finding]:
    """A target's findings in report order."""
    return sorted(target.findings, key=finding_order)


def baseline_states(report: AuditReport, target: TargetReport) -> list[str | None]:
    """``"new"`` or ``"unchanged"`` per finding of :func:`sorted_findings`; None, no baseline.

    Matches ``auditor.baseline``: by recomputed fingerprint, as a multiset, and among duplicates
    the later occurrences are the new ones.
    """
    findings = sorted_findings(target)
    if report.baseline is None:
        return [None] * len(findings)
    new = Counter(target.baseline_new)
    states: list[str | None] = []
    for f in reversed(findings):
        k = finding_key(f)
        states.append("new" if new[k] > 0 else "unchanged")
        new[k] -= 1
    return states[::-1]


def fingerprint(f: Finding) -> str:
    """The finding's fingerprint, or the policy stage's formula when the finding has none."""
    if f.fingerprint:
        return f.fingerprint
    return finding_key(f)


def nodes(report: AuditReport) -> list[Node]:
    """Every graph node of every target, once (first occurrence wins), in walk order."""
    seen: dict[str, Node] = {}
    for target in report.targets:
        for node in target.graph.nodes if target.graph else ():
            seen.setdefault(node.id, node)
    return list(seen.values())


def edges(report: AuditReport) -> list[Edge]:
    """Every edge of every target, once, sorted by (source, target, relation)."""
    seen: dict[tuple[str, str, str], Edge] = {}
    for target in report.targets:
        for edge in target.graph.edges if target.graph else ():
            seen.setdefault((edge.source, edge.target, edge.relation), edge)
    return [seen[k] for k in sorted(seen)]


def subjects(report: AuditReport) -> list[Subject]:
    """One entry per target: its graph subject, or the target itself when it has no graph."""
    out: dict[str, Subject] = {}
    for target in report.targets:
        if target.graph is not None:
            node = next((n for n in target.graph.nodes if n.id == target.graph.subject), None)
            kind = node.kind if node else target.target.kind
            rev = (node.revision if node else None) or (
                target.snapshot.revision if target.snapshot else None
            )
            out.setdefault(target.graph.subject, Subject(target.graph.subject, kind, rev, target))
        else:
            sid = target.target.repo_id or target.target.spec
            out.setdefault(sid, Subject(sid, target.target.kind, target.target.revision, target))
    return list(out.values())


def document_name(report: AuditReport) -> str:
    """A stable per-report slug: ``<repo-id>-<revision or "unpinned">`` for one target.

    Several targets give ``report-<hash of the sorted id@revision list>``; none gives ``empty``.
    """
    subs = subjects(report)
    if not subs:
        return "empty"
    if len(subs) == 1:
        return f"{subs[0].id}-{subs[0].revision or 'unpinned'}"
    key = "\n".join(sorted(f"{s.id}@{s.revision or 'unpinned'}" for s in subs))
    return "report-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def document_namespace(report: AuditReport) -> str:
    """The deterministic SPDX document namespace of a report (repo id + revision)."""
    return NAMESPACE_BASE + quote(document_name(report), safe="/")


def creation_time() -> datetime:
    """The time stamped into SBOMs: ``SOURCE_DATE_EPOCH`` when set, else the time of the run.

    An SBOM's ``created`` says when it was made, so without instruction it is now (to the
    second); builds and tests that need the same bytes every time inject a time the way
    reproducible builds do it (https://reproducible-builds.org/specs/source-date-epoch/). A
    malformed value is ignored (the run's time) rather than failing the render.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        if raw:
            return datetime.fromtimestamp(max(int(raw), 0), tz=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return datetime.now(UTC).replace(microsecond=0)


def safe_id(text: str, allowed: str = r"A-Za-z0-9.-") -> str:
    """``text`` reduced to ``allowed`` characters, with a short hash when anything was changed.

    The hash keeps ids unique: ``a/b-c`` and ``a-b/c`` would otherwise both become ``a-b-c``.
    """
    # Hub ids never contain "--" (huggingface_hub.utils.validate_repo_id), so "/" -> "--" stays
    # unambiguous and keeps the usual ``org/name`` readable without a hash.
    candidate = text if "--" in text else text.replace("/", "--")
    cleaned = re.sub(f"[^{allowed}]+", "-", candidate).strip("-") or "x"
    if cleaned == candidate and len(cleaned) <= _MAX_ID:
        return cleaned
    return f"{cleaned[:_MAX_ID]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def hyperparameters(target: TargetReport) -> dict[str, str]:
    """Hyperparameters of the subject: adapter evidence first, then card claims not in it.

    Evidence wins because it is what the files establish; claims are what the card says.
    """
    out: dict[str, str] = {}
    ev = target.evidence
    if ev is not None and ev.present:
        fields: dict[str, object] = {
            "fine_tune_type": ev.fine_tune_type,
            "rank": ev.rank,
            "scale": ev.scale,
            "alpha": ev.alpha,
            "dropout": ev.dropout,
            "num_layers": ev.num_layers,
            "target_modules": ",".join(ev.tensor_modules or ev.target_modules) or None,
            "trainable_parameters": ev.trainable_parameters,
            "dtype": ev.dtype,
        }
        fields.update(ev.hyperparameters)
        out.update({k: str(v) for k, v in fields.items() if v is not None})
    for claim in target.claims.hyperparameters if target.claims else ():
        value = ",".join(claim.value) if isinstance(claim.value, list) else str(claim.value)
        out.setdefault(claim.name, value)
    return dict(sorted(out.items()))
