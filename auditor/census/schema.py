"""The census tables (repos, findings, edges): one Arrow schema each and the rows of a report.

docs/census.md documents these columns; this module is their single definition. A target report
(what ``ailiance-audit --format json`` prints for one repo) becomes one ``repos`` row, one
``findings`` row per finding and one ``edges`` row per lineage edge, so the census and the CLI
give the same answer by construction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from auditor.models import RepoKind, TargetReport

TABLES = ("repos", "findings", "edges")

REPOS = pa.schema(
    [
        ("id", pa.string()),
        ("kind", pa.string()),
        ("sha", pa.string()),
        ("license", pa.string()),
        ("license_family", pa.string()),
        ("relation", pa.string()),
        ("base", pa.string()),
        ("base_license", pa.string()),
        ("base_family", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("nodes", pa.int32()),
        ("errors", pa.int32()),
        ("warnings", pa.int32()),
        ("notes", pa.int32()),
        ("infos", pa.int32()),
        ("seconds", pa.float64()),
        ("audited_at", pa.timestamp("ms", tz="UTC")),
    ]
)
FINDINGS = pa.schema(
    [
        ("repo", pa.string()),
        ("sha", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("node", pa.string()),
        ("file", pa.string()),
        ("line", pa.int32()),
        ("message", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("suppressed", pa.bool_()),
    ]
)
EDGES = pa.schema(
    [
        ("repo", pa.string()),
        ("sha", pa.string()),
        ("source", pa.string()),
        ("target", pa.string()),
        ("relation", pa.string()),
        ("inferred", pa.bool_()),
    ]
)
SCHEMAS = {"repos": REPOS, "findings": FINDINGS, "edges": EDGES}

# Target report status -> census status. "incomplete" (an audit that could not look something
# up) and any status added later pass through unchanged; "unresolved" is a failure to audit.
STATUS = {"audited": "ok", "unresolved": "failed", "failed": "failed", "interrupted": "failed"}

Rows = dict[str, list[dict[str, Any]]]


def now() -> dt.datetime:
    """When a row was written (the latest row of an id wins in the report's views)."""
    return dt.datetime.now(dt.UTC)


def repo_key(repo_id: str, kind: RepoKind) -> str:
    """The ``id`` column: ``org/name`` for models, ``datasets/org/name`` for datasets (as the CLI
    names targets)."""
    return f"datasets/{repo_id}" if kind == RepoKind.DATASET else repo_id


def rows_of(report: TargetReport, sha: str | None, seconds: float) -> Rows:
    """The rows of one target report in the three tables."""
    target = report.target
    key = repo_key(target.repo_id or target.spec, target.kind)
    graph = report.graph
    subject = graph.nodes[0] if graph else None
    first = (
        next(
            (e for e in graph.edges if e.source == graph.subject and e.relation != "trained_on"),
            None,
        )
        if graph
        else None
    )
    base = next((n for n in graph.nodes if first and n.id == first.target), None) if graph else None
    # Each finding's severity read once (an enum's ``.value`` is a Python-level property).
    severities = [f.severity.value for f in report.findings]
    live = [s for f, s in zip(report.findings, severities, strict=True) if f.suppressed_by is None]
    repo = {
        "id": key,
        "kind": target.kind.value,
        "sha": sha,
        "license": subject.license.spdx if subject else None,
        "license_family": subject.license.family if subject else None,
        "relation": first.relation if first else ("none" if graph else None),
        "base": base.id if base else None,
        "base_license": base.license.spdx if base else None,
        "base_family": base.license.family if base else None,
        "status": STATUS.get(report.status, report.status),
        "error": report.error,
        "nodes": len(graph.nodes) if graph else 0,
        "errors": live.count("error"),
        "warnings": live.count("warning"),
        "notes": live.count("note"),
        "infos": live.count("info"),
        "seconds": round(seconds, 6),
        "audited_at": now(),
    }
    findings = [
        {
            "repo": key,
            "sha": sha,
            "rule": f.rule_id,
            "severity": severity,
            "node": f.node,
            "file": f.location.file if f.location else None,
            "line": f.location.line if f.location else None,
            "message": f.message,
            "tags": list(f.tags),
            "suppressed": f.suppressed_by is not None,
        }
        for f, severity in zip(report.findings, severities, strict=True)
    ]
    edges = [
        {
            "repo": key,
            "sha": sha,
            "source": e.source,
            "target": e.target,
            "relation": e.relation,
            "inferred": e.inferred,
        }
        for e in (graph.edges if graph else ())
    ]
    return {"repos": [repo], "findings": findings, "edges": edges}


def failed_rows(key: str, kind: str, sha: str | None, error: str, seconds: float) -> Rows:
    """The rows of a repo whose audit did not finish (crash, time limit, lost lookup)."""
    repo = dict.fromkeys(REPOS.names)
    repo.update(
        id=key, kind=kind, sha=sha, status="failed", error=error, nodes=0, errors=0,
        warnings=0, notes=0, infos=0, seconds=round(seconds, 6), audited_at=now(),
    )  # fmt: skip
    return {"repos": [repo], "findings": [], "edges": []}


def merge(parts: list[Rows]) -> Rows:
    """Concatenate the rows of several repos."""
    return {t: [row for p in parts for row in p[t]] for t in TABLES}


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """An Arrow table of ``rows`` with the table's schema (columns in schema order)."""
    return pa.Table.from_pylist(rows, schema=SCHEMAS[name])
