"""Formats stage: a compact Markdown report for pull-request comments and job summaries.

A summary line, then per target: a findings table, waived findings folded away, the license
graph as a Mermaid diagram (GitHub renders it; nodes carry their license, the nodes named by
findings and the edges through which those findings reach the subject are highlighted) and a
claims-vs-evidence table when adapter evidence exists.

Every string that comes from the audited repository goes through ``auditor.formats.escape`` so
the comment renders inert (no mention, link, HTML or table break from a card).
"""

from __future__ import annotations

from auditor.formats import common, rules, walk
from auditor.formats.base import register
from auditor.formats.escape import md_code, md_text, mermaid_label
from auditor.models import (
    AdapterEvidence,
    AuditReport,
    CardClaims,
    Finding,
    LicenseGraph,
    Severity,
    TargetReport,
    finding_order,
)

MESSAGE_LIMIT = 400  # characters of a finding message in a table cell
MAX_ROWS = 100  # findings shown per target; GitHub comments stop at 65,536 characters
_SEVERITY = {"error": "**error**", "warning": "warning", "note": "note", "info": "info"}
# GitHub's Primer colours (danger, attention, accent) so the diagram matches the page.
_STYLE = {
    "error": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px",
    "warning": "fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
    "note": "fill:#ddf4ff,stroke:#0969da,stroke-width:2px",
    "info": "fill:#f6f8fa,stroke:#59636e,stroke-width:1px",
}
_STROKE = {"error": "#cf222e", "warning": "#9a6700", "note": "#0969da", "info": "#59636e"}


@register("markdown")
class MarkdownFormatter:
    """GitHub-flavoured Markdown (``*.md``)."""

    name = "markdown"
    extension = ".md"

    def render(self, report: AuditReport) -> str:
        """Render the whole report."""
        lines = ["## ailiance-audit report", "", _summary(report), ""]
        if not report.targets:
            lines += ["No target was audited.", ""]
        for target in report.targets:
            lines += _target(target, report)
        return "\n".join(lines).rstrip("\n") + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(report: AuditReport) -> str:
    s = report.summary
    parts = [
        _plural(s.targets, "target"),
        _plural(s.error, "error"),
        _plural(s.warning, "warning"),
        _plural(s.note, "note"),
        f"{s.info} info",
    ]
    if s.suppressed:
        parts.append(f"{s.suppressed} waived")
    if s.unresolved:
        parts.append(f"{s.unresolved} unresolved")
    if s.incomplete:
        parts.append(f"{s.incomplete} incomplete")
    text = f"**{md_text(report.tool.name)} {md_text(report.tool.version)}**: " + ", ".join(parts)
    if report.baseline is not None:
        counts = [
            sum(len(getattr(t, f"baseline_{k}")) for t in report.targets)
            for k in ("new", "unchanged", "fixed")
        ]
        text += (
            f"\n\nBaseline {md_text(report.baseline, 200)}: {counts[0]} new, "
            f"{counts[1]} unchanged, {counts[2]} fixed"
        )
    if report.policy:  # a paragraph of its own: no trailing-space line break to get lost
        policies = ", ".join(md_code(p, table=False, limit=120) for p in report.policy)
        text += "\n\nPolicies: " + policies
    return text


def _target(target: TargetReport, report: AuditReport) -> list[str]:
    rev = (target.snapshot.revision if target.snapshot else None) or target.target.revision
    head = f"### {md_code(target.target.spec, table=False, limit=120)}"
    if rev:
        modified = "-modified" if target.snapshot and target.snapshot.modified else ""
        head += f" @ {md_code(rev[:12] + modified, table=False)}"
    lines = [head, ""]
    if target.status != "audited":
        detail = f": {md_text(target.error, MESSAGE_LIMIT)}" if target.error else ""
        lines += [f"> **{target.status}**{detail}", ""]
    for gap in target.incomplete:  # could not look: the audit is incomplete, not clean
        lines += [f"> **incomplete**: could not look at {md_text(gap, MESSAGE_LIMIT)}", ""]
    rows = list(
        zip(common.sorted_findings(target), common.baseline_states(report, target), strict=True)
    )
    active = [(f, s) for f, s in rows if f.suppressed_by is None]
    waived = [(f, s) for f, s in rows if f.suppressed_by is not None]
    fixed: list[tuple[Finding, str | None]] = [
        (f, "fixed") for f in sorted(target.baseline_fixed, key=finding_order)
    ]
    if active:
        lines += _findings_table(active)
    elif target.status == "audited":
        lines += ["No findings.", ""]
    for group, what in ((waived, "waived finding"), (fixed, "finding fixed since the baseline")):
        if group:
            lines += [f"<details><summary>{_plural(len(group), what)}</summary>", ""]
            lines += [*_findings_table(group), "</details>", ""]
    if target.graph is not None and target.graph.nodes:
        lines += ["#### License graph", "", *_mermaid(target.graph, [f for f, _ in active]), ""]
    if target.evidence is not None and target.evidence.present:
        lines += ["#### Claims vs evidence", "", *_claims_table(target.claims, target.evidence), ""]
    return lines


def _findings_table(findings: list[tuple[Finding, str | None]]) -> list[str]:
    """Severity (with the baseline state), rule, message and location or waiver."""
    waived = findings[0][0].suppressed_by is not None
    last = "Waiver" if waived else "Location"
    rows = ["| Severity | Rule | Message | " + last + " |", "| --- | --- | --- | --- |"]
    for f, state in findings[:MAX_ROWS]:
        if f.suppressed_by is not None:
            w = f.suppressed_by
            cell = md_text(f"{w.reason} ({w.owner}, expires {w.expires})", MESSAGE_LIMIT)
        else:
            cell = md_text(str(f.location)) if f.location else "—"
        severity = _SEVERITY[f.severity.value] + (f" · {state}" if state else "")
        message = md_text(f.summary or f.message, MESSAGE_LIMIT)
        fix = rules.short_fix(f.fix)
        if fix and f.suppressed_by is None and f.severity is not Severity.INFO:
            message += f" · **Fix:** {md_text(fix, MESSAGE_LIMIT)}"
        rows.append(f"| {severity} | {md_code(f.rule_id)} | {message} | {cell} |")
    if len(findings) > MAX_ROWS:
        rows.append(
            f"| | | … and {len(findings) - MAX_ROWS} more (see the JSON or SARIF report) | |"
        )
    return [*rows, ""]


def _propagation(graph: LicenseGraph, findings: list[Finding]) -> dict[int, str]:
    """Edge index -> worst severity of the findings whose node the edge leads towards.

    An edge ``u -> v`` carries a finding on node ``n`` when ``u`` is reachable from the subject
    and ``n`` is reachable from ``v``: it lies on a lineage path from the subject to ``n``.
    One backward walk per severity from the nodes its findings name, so the cost is linear in
    the graph (not one walk per edge).
    """
    from_subject = walk.reachable(graph, graph.subject)
    worst: dict[int, Severity] = {}
    for sev in sorted({f.severity for f in findings}, key=lambda s: s.rank):
        towards = walk.reaching(graph, {f.node for f in findings if f.severity == sev})
        for i, e in enumerate(graph.edges):
            if e.source in from_subject and e.target in towards:
                worst[i] = sev  # ascending rank: the worst severity is written last
    return {i: sev.value for i, sev in worst.items()}


def _mermaid(graph: LicenseGraph, findings: list[Finding]) -> list[str]:
    """The graph as a fenced Mermaid flowchart; labels and ids never contain card text raw."""
    ids = {node.id: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["```mermaid", "graph LR"]
    for node in graph.nodes:
        lic = node.license.spdx if common.license_known(node.license.spdx) else "license unknown"
        label = f'"{mermaid_label(node.id)}<br/>{mermaid_label(lic)}"'
        shape = {"subject": f"[[{label}]]", "dataset": f"[({label})]"}.get(node.role, f"[{label}]")
        lines.append(f"  {ids[node.id]}{shape}")
    edges = [e for e in graph.edges if e.source in ids and e.target in ids]
    for e in edges:
        arrow = "-.->" if e.inferred else "-->"
        lines.append(f"  {ids[e.source]} {arrow}|{mermaid_label(e.relation)}| {ids[e.target]}")
    worst: dict[str, Severity] = {}
    for f in findings:
        if f.node in ids and (f.node not in worst or f.severity.rank > worst[f.node].rank):
            worst[f.node] = f.severity
    for sev in (level.value for level in Severity):
        named = sorted(ids[n] for n, s in worst.items() if s.value == sev)
        if named:
            lines += [f"  classDef sev_{sev} {_STYLE[sev]}", f"  class {','.join(named)} sev_{sev}"]
    unresolved = sorted(ids[n.id] for n in graph.nodes if not n.resolved)
    if unresolved:
        lines += [
            "  classDef unresolved stroke-dasharray:5 5",
            f"  class {','.join(unresolved)} unresolved",
        ]
    graph_edges = LicenseGraph(subject=graph.subject, nodes=graph.nodes, edges=tuple(edges))
    for i, sev in sorted(_propagation(graph_edges, findings).items()):
        lines.append(f"  linkStyle {i} stroke:{_STROKE[sev]},stroke-width:3px")
    return [*lines, "```"]


def _evidence_values(ev: AdapterEvidence) -> dict[str, str]:
    """What the adapter's files show, per claim name, with where it was read."""
    where = ev.config_file or "config"

    def at(name: str, value: object) -> str:
        line = ev.config_lines.get(name)
        return f"{value} ({where}:{line})" if line else f"{value} ({where})"

    out: dict[str, str] = {}
    if ev.rank is not None or ev.tensor_ranks:
        parts = [at("rank", ev.rank)] if ev.rank is not None else []
        if ev.tensor_ranks:
            parts.append(f"{', '.join(map(str, ev.tensor_ranks))} (tensors)")
        out["rank"] = "; ".join(parts)
    for name, value in (
        ("scale", ev.scale),
        ("alpha", ev.alpha),
        ("dropout", ev.dropout),
        ("num_layers", ev.num_layers),
        ("fine_tune_type", ev.fine_tune_type),
    ):
        if value is not None:
            out[name] = at(name, value)
    modules = ev.tensor_modules or ev.target_modules
    if modules:
        out["target_modules"] = f"{', '.join(modules)} (" + (
            "tensors)" if ev.tensor_modules else f"{where})"
        )
    for name, value in sorted(ev.hyperparameters.items()):
        out.setdefault(name, at(name, value))
    return out


def _claims_table(claims: CardClaims | None, ev: AdapterEvidence) -> list[str]:
    card: dict[str, list[str]] = {}
    for c in claims.hyperparameters if claims else ():
        value = ", ".join(c.value) if isinstance(c.value, list) else c.value
        card.setdefault(c.name, []).append(f"{value} ({c.location})")
    shown = _evidence_values(ev)
    rows = ["| Field | Card says | Adapter shows |", "| --- | --- | --- |"]
    for name in sorted(set(card) | set(shown)):
        said = "; ".join(md_text(v, MESSAGE_LIMIT) for v in card.get(name, [])) or "—"
        rows.append(f"| {md_code(name)} | {said} | {md_text(shown.get(name, '—'))} |")
    return rows


def mermaid_graph(graph: LicenseGraph, findings: list[Finding]) -> list[str]:
    """The license graph as a fenced Mermaid block; the Hub gate's PR comment reuses it."""
    return _mermaid(graph, findings)
