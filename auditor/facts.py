"""Facts stage: assemble the one JSON-able document per target that policies see.

Everything a rule may want is here, already computed as data (never as a decision): the subject
node, its upstream nodes with license traits, the card's claims, the adapter evidence and the
compute estimate, plus a few ``derived`` conveniences that would be awkward in CEL.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.models import (
    AdapterEvidence,
    CardClaims,
    ComputeEstimate,
    Facts,
    LicenseGraph,
    RepoSnapshot,
)

_LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING)([._-].*)?$", re.IGNORECASE)
_NOTICE_FILE = re.compile(r"^NOTICE([._-].*)?$", re.IGNORECASE)
_SUMMARY_FILE = re.compile(r"(public[_-]?summary|training[_-]?(content|data)[_-]?summary)", re.I)
_POLICY_FILE = re.compile(r"(copyright[_-]?policy|code[_-]?of[_-]?practice)", re.IGNORECASE)


def build_facts(
    snapshot: RepoSnapshot,
    claims: CardClaims,
    graph: LicenseGraph,
    evidence: AdapterEvidence,
    compute: ComputeEstimate,
) -> Facts:
    """The facts document of one audited repo."""
    subject = graph.nodes[0]
    upstream = graph.nodes[1:]
    return Facts(
        subject=subject,
        upstream=upstream,
        edges=graph.edges,
        card=claims,
        adapter=evidence,
        compute=compute,
        files=snapshot.files,
        derived=_derived(snapshot, claims, graph),
    )


def _derived(snapshot: RepoSnapshot, claims: CardClaims, graph: LicenseGraph) -> dict[str, Any]:
    top = [f for f in snapshot.files if "/" not in f]
    values: dict[str, list[Any]] = {}
    for claim in claims.hyperparameters:
        seen = values.setdefault(claim.name, [])
        if claim.value not in seen:
            seen.append(claim.value)
    return {
        "license_files": [f for f in top if _LICENSE_FILE.match(f)],
        "notice_files": [f for f in top if _NOTICE_FILE.match(f)],
        "summary_files": [f for f in snapshot.files if _SUMMARY_FILE.search(f)],
        "policy_files": [f for f in snapshot.files if _POLICY_FILE.search(f)],
        "claim_values": values,
        "statement_kinds": sorted({s.kind for s in claims.statements}),
        "bases": [
            e.target
            for e in graph.edges
            if e.source == graph.subject and e.relation != "trained_on"
        ],
        "datasets": [e.target for e in graph.edges if e.relation == "trained_on"],
        "walk_problems": list(graph.problems),
    }
