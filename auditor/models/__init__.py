"""Data model: the frozen dataclasses the pipeline stages exchange (one module per role:
``base``, ``card``, ``facts``, ``report``; every name is imported from here).

Stages talk only through these types (docs/architecture.md, "Data model"). Everything here is
JSON-able: the JSON report is ``codec.dump(report)`` and the facts document that policies see
is ``codec.dump(facts)`` (``auditor.models.codec``, which also validates untrusted data).
"""

from __future__ import annotations

from auditor.models.base import (
    FAIL_ON,
    SCHEMA_VERSION,
    VERIFY_LEVELS,
    ClaimValue,
    Frozen,
    Location,
    Relation,
    RepoKind,
    RepoSnapshot,
    Role,
    ScalarValue,
    Severity,
    Target,
    VerifyLevel,
    is_repo_id,
)
from auditor.models.card import (
    CardClaims,
    CardMetadata,
    CardProblem,
    CardProblemKind,
    ChainRow,
    Claim,
    LicenseMention,
    PstField,
    PstSummary,
    Section,
    Statement,
)
from auditor.models.facts import (
    AdapterEvidence,
    ComputeEstimate,
    Edge,
    EvidenceProblem,
    License,
    LicenseGraph,
    Node,
    base_edges,
)
from auditor.models.report import (
    AuditReport,
    Facts,
    Finding,
    Summary,
    TargetReport,
    ToolInfo,
    Waiver,
    finding_order,
)

__all__ = [
    "FAIL_ON",
    "SCHEMA_VERSION",
    "VERIFY_LEVELS",
    "AdapterEvidence",
    "AuditReport",
    "CardClaims",
    "CardMetadata",
    "CardProblem",
    "CardProblemKind",
    "ChainRow",
    "Claim",
    "ClaimValue",
    "ComputeEstimate",
    "Edge",
    "EvidenceProblem",
    "Facts",
    "Finding",
    "Frozen",
    "License",
    "LicenseGraph",
    "LicenseMention",
    "Location",
    "Node",
    "PstField",
    "PstSummary",
    "Relation",
    "RepoKind",
    "RepoSnapshot",
    "Role",
    "ScalarValue",
    "Section",
    "Severity",
    "Statement",
    "Summary",
    "Target",
    "TargetReport",
    "ToolInfo",
    "VerifyLevel",
    "Waiver",
    "base_edges",
    "finding_order",
    "is_repo_id",
]
