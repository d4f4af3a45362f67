"""The data model: the facts document, findings and waivers, and the report of a run."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Literal

from auditor.models.base import (
    SCHEMA_VERSION,
    Frozen,
    Location,
    RepoSnapshot,
    Severity,
    Target,
    model,
)
from auditor.models.card import CardClaims
from auditor.models.facts import (
    AdapterEvidence,
    ComputeEstimate,
    Edge,
    LicenseGraph,
    Node,
)


@model
class Facts(Frozen):
    """The one document per target that policies see (``ailiance-audit facts TARGET``)."""

    schema_version: str = SCHEMA_VERSION
    subject: Node
    upstream: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    card: CardClaims
    adapter: AdapterEvidence
    compute: ComputeEstimate
    files: tuple[str, ...] = ()
    derived: dict[str, Any] = field(default_factory=dict)


@model
class Waiver(Frozen):
    """A suppression declared in the audited repo's ``.ailiance-audit.yaml``."""

    rule: str
    node: str | None = None
    reason: str
    owner: str
    expires: str
    location: Location | None = None


@model
class Finding(Frozen):
    """One rule violation, with its evidence and location."""

    rule_id: str
    severity: Severity
    title: str
    message: str
    node: str
    location: Location | None = None
    tags: tuple[str, ...] = ()
    basis: str | None = None
    fix: str | None = None
    pack: str | None = None
    help_uri: str | None = None
    # A one-line form of ``message`` for the terminal and Markdown (the full text stays here).
    summary: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    suppressed_by: Waiver | None = None
    fingerprint: str = ""


def finding_order(f: Finding) -> tuple[int, str, str, str, int, str]:
    """The report order of findings: most severe first, then rule id, node, file, line, message."""
    loc = f.location
    file, line = (loc.file, loc.line or 0) if loc is not None else ("", 0)
    return (-f.severity.rank, f.rule_id, f.node, file, line, f.message)


@model
class TargetReport(Frozen):
    """Everything the audit established for one target."""

    target: Target
    status: Literal["audited", "unresolved", "failed", "interrupted"]
    error: str | None = None
    # Why the audit of this target is incomplete: upstream repos or files it could not look at
    # (network, rate limit, no access, offline cache miss). Empty: the audit ran completely.
    incomplete: tuple[str, ...] = ()
    snapshot: RepoSnapshot | None = None
    graph: LicenseGraph | None = None
    claims: CardClaims | None = None
    evidence: AdapterEvidence | None = None
    compute: ComputeEstimate | None = None
    findings: tuple[Finding, ...] = ()
    # Baseline comparison (--baseline; auditor/baseline.py): fingerprints of the findings that are
    # new and of those already present, and the baseline's findings that are gone.
    baseline_new: tuple[str, ...] = ()
    baseline_unchanged: tuple[str, ...] = ()
    baseline_fixed: tuple[Finding, ...] = ()


@model
class Summary(Frozen):
    """Counts over all targets (suppressed findings are counted apart)."""

    targets: int = 0
    unresolved: int = 0
    incomplete: int = 0
    error: int = 0
    warning: int = 0
    note: int = 0
    info: int = 0
    suppressed: int = 0


@model
class ToolInfo(Frozen):
    """Which tool produced the report."""

    name: str = "ailiance-audit"
    version: str


@model
class AuditReport(Frozen):
    """The result of one run: one entry per target plus a summary."""

    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    policy: tuple[str, ...] = ()
    targets: tuple[TargetReport, ...] = ()
    summary: Summary = Summary()
    # What --baseline compared against ("git ref main (sha)", "report FILE"); None: no baseline.
    baseline: str | None = None
