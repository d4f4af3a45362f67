"""Formats stage: the terminal report: summary, license graph as a tree, findings table.

Drawn by textlayout (our own box tables, trees and word wrap, the layout rich used to draw)
so that a text-only audit imports no rich. Card-derived text is untrusted: every piece of it
goes through ``escape.clean`` (control characters, ANSI escapes included, are stripped), and
styles are applied by the layout, never read from the text, so a card cannot repaint or hide
the report.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable

from auditor.errors import incomplete_hint
from auditor.formats.base import register
from auditor.formats.escape import clean
from auditor.formats.rules import short_fix
from auditor.formats.textcells import Line, Styled, crop, wrap
from auditor.formats.textlayout import TreeNode, table, to_text, tree
from auditor.formats.walk import successors
from auditor.models import (
    AdapterEvidence,
    AuditReport,
    CardClaims,
    Edge,
    Finding,
    LicenseGraph,
    Node,
    Severity,
    TargetReport,
)

_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan", "info": "dim"}
WIDTH = 110


@register("text")
class TextFormatter:
    """Human-readable report; colour only when stdout is a terminal."""

    name = "text"
    extension = ".txt"

    def __init__(self, color: bool | None = None) -> None:
        self.color = sys.stdout.isatty() if color is None else color

    def render(self, report: AuditReport) -> str:
        """Render the whole report."""
        width = shutil.get_terminal_size((WIDTH, 24)).columns if self.color else WIDTH
        lines = wrap(_summary(report), width)
        for target in report.targets:
            lines += _target(target, width)
        # only a table on a terminal narrower than its borders is wider than the terminal
        return to_text([crop(line, width) for line in lines], self.color)


def _summary(report: AuditReport) -> Styled:
    s = report.summary
    parts = [
        (f"ailiance-audit {clean(report.tool.version)}: {s.targets} target(s), ", "bold"),
        (f"{s.error} error(s)", "bold red" if s.error else "bold"),
        (f", {s.warning} warning(s), {s.note} note(s), {s.info} info", "bold"),
    ]
    if s.suppressed:
        parts.append((f", {s.suppressed} waived", "bold"))
    if s.unresolved:
        parts.append((f", {s.unresolved} not audited", "bold red"))
    if s.incomplete:
        parts.append((f", {s.incomplete} incomplete", "bold red"))
    return tuple(parts)


def _target(rep: TargetReport, width: int) -> list[Line]:
    snap = rep.snapshot
    name = snap.repo_id if snap else (rep.target.repo_id or rep.target.spec)
    head = [(f"\n== {clean(name)}", "bold")]
    if snap:
        head.append(
            (
                f"  ({clean(snap.origin)} {clean(snap.location)}, "
                f"revision {clean(snap.revision or 'not pinned')}"
                f"{'-modified' if snap.modified else ''})",
                "bold dim",
            )
        )
    lines = wrap(tuple(head), width)
    for gap in rep.incomplete:
        lines += wrap(((f"INCOMPLETE: could not look at {clean(gap)}", "bold red"),), width)
    if rep.incomplete:
        lines += wrap(((clean(incomplete_hint(rep.incomplete)), "red"),), width)
    if rep.status != "audited":
        why = f"not audited ({clean(rep.status)}): {clean(rep.error or '')}"
        return lines + wrap(((why, "bold red"),), width)
    if rep.graph:
        lines += tree(_tree(rep.graph), width)
    if rep.evidence and rep.evidence.present:
        lines += wrap(((_evidence(rep.evidence), ""),), width)
        if rep.claims is not None:
            lines += _claims_vs_evidence(rep.claims, rep.evidence, width)
    return lines + _findings(rep.findings, width)


def _label(node: Node, relation: str | None) -> Styled:
    parts = [(f"{clean(relation)} ", "dim")] if relation else []
    parts.append((clean(node.id), "bold" if node.role == "subject" else ""))
    lic = node.license
    parts.append((f"  {clean(lic.spdx)}", "green" if lic.known else "red"))
    traits = [
        t
        for t in ("sharealike", "noncommercial", "noderivatives", "use_restrictions")
        if getattr(lic, t)
    ]
    if node.gated or lic.gated_terms:
        traits.append("gated terms")
    if traits:
        parts.append((f" [{', '.join(traits)}]", "yellow"))
    if not node.resolved:
        parts.append((f"  unresolved: {clean(node.reason or '')}", "red"))
    return tuple(parts)


def _tree(graph: LicenseGraph) -> TreeNode:
    """The lineage from the subject, each node expanded once (iterative: a chain can be
    deeper than the recursion limit), edges in the order the report always gave them."""
    nodes = {n.id: n for n in graph.nodes}
    root = TreeNode(_label(nodes[graph.subject], None))
    seen = {graph.subject}
    out_of = successors(graph.edges)
    # (branch, the edges still to draw under it): depth first, children in order
    stack = [(root, iter(_ordered(out_of.get(graph.subject, ()))))]
    while stack:
        branch, edges = stack[-1]
        edge = next(edges, None)
        if edge is None:
            stack.pop()
            continue
        child = nodes.get(edge.target)
        if child is None:
            continue
        sub = branch.add(_label(child, edge.relation))
        if edge.target not in seen:
            seen.add(edge.target)
            stack.append((sub, iter(_ordered(out_of.get(edge.target, ())))))
    for problem in graph.problems:
        root.add(((f"walk: {clean(problem)}", "red"),))
    return root


def _ordered(edges: Iterable[Edge]) -> list[Edge]:
    return sorted(edges, key=lambda e: (e.relation == "trained_on", e.target))


def _evidence(ev: AdapterEvidence) -> str:
    parts = [f"format {ev.format or '?'}"]
    if ev.tensor_ranks:
        parts.append("rank " + "/".join(str(r) for r in sorted(set(ev.tensor_ranks))))
    elif ev.rank is not None:
        parts.append(f"rank {ev.rank} (config)")
    if ev.scale is not None:
        parts.append(f"scale {ev.scale:g}")
    if ev.layers:
        parts.append(f"layers {','.join(str(i) for i in ev.layers)}")
    if ev.tensor_modules:
        parts.append("modules " + ",".join(ev.tensor_modules))
    return f"adapter: {clean(', '.join(parts))}; {clean(_verification(ev))}"


def _verification(ev: AdapterEvidence) -> str:
    """Say "verified" only when the load check ran and passed (fail closed)."""
    if ev.load_ok is True:
        skipped = len(ev.unchecked_tensors)
        towers = f" ({skipped} vision/audio tensor(s) not checked)" if skipped else ""
        return f"verified with {ev.verified_with}{towers}"
    if ev.load_ok is False:
        return f"does not load with {ev.verified_with}"
    if ev.verified_with == "header":
        return "header read, load check not run"
    return "not verified"


# What the card says next to what the config and the tensors establish (values only: the
# adapter-integrity rules decide whether they agree).
_COMPARED = (
    ("rank", "rank", "tensor_ranks"),
    ("scale", "scale", None),
    ("alpha", "alpha", None),
    ("learning_rate", None, None),
    ("iterations", None, None),
    ("max_seq_length", None, None),
    ("optimizer", None, None),
)


def _claims_vs_evidence(claims: CardClaims, ev: AdapterEvidence, width: int) -> list[Line]:
    rows = []
    for name, config_field, tensor_field in _COMPARED:
        said = [c for c in claims.hyperparameters if c.name == name]
        if not said:
            continue
        card = "; ".join(f"{_value(c.value)} (line {c.location.line})" for c in said)
        # the verify stage names config hyperparameters like the card's claims
        config = getattr(ev, config_field) if config_field else ev.hyperparameters.get(name)
        tensors = (
            ",".join(str(r) for r in sorted(set(getattr(ev, tensor_field)))) if tensor_field else ""
        )
        rows.append([_plain(name), _plain(card), _plain(_value(config)), _plain(tensors or "-")])
    if not rows:
        return []
    head = ("claim", "card says", "adapter_config", "tensors")
    body = table([((h, "bold"),) for h in head], rows, width)
    title = (("card claims vs adapter", "italic"),)
    return wrap(title, sum(len(t) for t, _ in body[0]), pad=True) + body


def _plain(text: str) -> Styled:
    return ((clean(text), ""),)


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return clean(value)


def _findings(findings: tuple[Finding, ...], width: int) -> list[Line]:
    if not findings:
        return wrap((("no findings", "green"),), width)
    rows = []
    for f in findings:
        waiver = f.suppressed_by
        sev = ("waived", "dim") if waiver else (f.severity.value, _STYLE[f.severity.value])
        where = str(f.location) if f.location else f.node
        msg = [(clean(f.summary or f.message), "")]
        if waiver:
            msg.append((f" (waived until {clean(waiver.expires)}: {clean(waiver.reason)})", ""))
        fix = short_fix(f.fix)
        if fix and not waiver and f.severity is not Severity.INFO:
            msg.append((f"\nfix: {clean(fix)}", "dim"))
        rows.append([(sev,), _plain(f.rule_id), _plain(where), tuple(msg)])
    head = ("severity", "rule", "where", "message")
    return table([((h, "bold"),) for h in head], rows, width)
