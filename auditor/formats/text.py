"""Formats stage: the terminal report (rich): summary, license graph as a tree, findings table.

Card-derived text is untrusted: control characters (ANSI escapes included) are stripped and
nothing is interpreted as rich markup, so a card cannot repaint or hide the report.
"""

from __future__ import annotations

import io
import shutil
import sys

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from auditor.errors import incomplete_hint
from auditor.formats.base import register
from auditor.formats.escape import clean
from auditor.formats.rules import short_fix
from auditor.formats.walk import successors
from auditor.models import (
    AdapterEvidence,
    AuditReport,
    CardClaims,
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
        buf = io.StringIO()
        width = shutil.get_terminal_size((WIDTH, 24)).columns if self.color else WIDTH
        console = Console(
            file=buf,
            width=width,
            color_system="standard" if self.color else None,
            force_terminal=self.color,
            highlight=False,
            emoji=False,
            markup=False,
        )
        console.print(_summary(report))
        for target in report.targets:
            console.print(_target(target))
        return buf.getvalue()


def _summary(report: AuditReport) -> Text:
    s = report.summary
    text = Text(f"ailiance-audit {report.tool.version}: {s.targets} target(s), ", style="bold")
    text.append(f"{s.error} error(s)", style="bold red" if s.error else "")
    text.append(f", {s.warning} warning(s), {s.note} note(s), {s.info} info")
    if s.suppressed:
        text.append(f", {s.suppressed} waived")
    if s.unresolved:
        text.append(f", {s.unresolved} not audited", style="bold red")
    if s.incomplete:
        text.append(f", {s.incomplete} incomplete", style="bold red")
    return text


def _target(rep: TargetReport) -> Group:
    name = rep.snapshot.repo_id if rep.snapshot else (rep.target.repo_id or rep.target.spec)
    head = Text(f"\n== {clean(name)}", style="bold")
    if rep.snapshot:
        head.append(
            f"  ({rep.snapshot.origin} {clean(rep.snapshot.location)}, "
            f"revision {rep.snapshot.revision or 'not pinned'}"
            f"{'-modified' if rep.snapshot.modified else ''})",
            style="dim",
        )
    parts: list[Text | Tree | Table] = [head]
    parts += [
        Text(f"INCOMPLETE: could not look at {clean(w)}", style="bold red") for w in rep.incomplete
    ]
    if rep.incomplete:
        parts.append(Text(incomplete_hint(rep.incomplete), style="red"))
    if rep.status != "audited":
        parts.append(
            Text(f"not audited ({rep.status}): {clean(rep.error or '')}", style="bold red")
        )
        return Group(*parts)
    if rep.graph:
        parts.append(_tree(rep.graph))
    if rep.evidence and rep.evidence.present:
        parts.append(_evidence(rep.evidence))
        if rep.claims is not None:
            table = _claims_vs_evidence(rep.claims, rep.evidence)
            if table is not None:
                parts.append(table)
    parts.append(_findings(rep.findings))
    return Group(*parts)


def _label(node: Node, relation: str | None) -> Text:
    text = Text()
    if relation:
        text.append(f"{relation} ", style="dim")
    text.append(clean(node.id), style="bold" if node.role == "subject" else "")
    lic = node.license
    text.append(f"  {clean(lic.spdx)}", style="green" if lic.known else "red")
    traits = [
        t
        for t in ("sharealike", "noncommercial", "noderivatives", "use_restrictions")
        if getattr(lic, t)
    ]
    if node.gated or lic.gated_terms:
        traits.append("gated terms")
    if traits:
        text.append(f" [{', '.join(traits)}]", style="yellow")
    if not node.resolved:
        text.append(f"  unresolved: {clean(node.reason or '')}", style="red")
    return text


def _tree(graph: LicenseGraph) -> Tree:
    nodes = {n.id: n for n in graph.nodes}
    root = Tree(_label(nodes[graph.subject], None))
    seen = {graph.subject}
    out_of = successors(graph.edges)

    def grow(branch: Tree, node_id: str) -> None:
        for edge in sorted(
            out_of.get(node_id, ()),
            key=lambda e: (e.relation == "trained_on", e.target),
        ):
            child = nodes.get(edge.target)
            if child is None:
                continue
            sub = branch.add(_label(child, edge.relation))
            if edge.target not in seen:
                seen.add(edge.target)
                grow(sub, edge.target)

    grow(root, graph.subject)
    for problem in graph.problems:
        root.add(Text(f"walk: {clean(problem)}", style="red"))
    return root


def _evidence(ev: AdapterEvidence) -> Text:
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
    return Text(f"adapter: {clean(', '.join(parts))}; {clean(_verification(ev))}")


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


def _claims_vs_evidence(claims: CardClaims, ev: AdapterEvidence) -> Table | None:
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
        rows.append((name, clean(card), _value(config), tensors or "-"))
    if not rows:
        return None
    table = Table(
        title="card claims vs adapter",
        title_justify="left",
        show_header=True,
        header_style="bold",
        expand=False,
    )
    for col in ("claim", "card says", "adapter_config", "tensors"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return clean(value)


def _findings(findings: tuple[Finding, ...]) -> Table | Text:
    if not findings:
        return Text("no findings", style="green")
    table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
    for col in ("severity", "rule", "where", "message"):
        table.add_column(col, overflow="fold")
    for f in findings:
        sev = (
            Text("waived", style="dim")
            if f.suppressed_by
            else Text(f.severity.value, style=_STYLE[f.severity.value])
        )
        where = clean(str(f.location)) if f.location else clean(f.node)
        msg = Text(clean(f.summary or f.message))
        if f.suppressed_by:
            msg.append(
                f" (waived until {f.suppressed_by.expires}: {clean(f.suppressed_by.reason)})"
            )
        fix = short_fix(f.fix)
        if fix and not f.suppressed_by and f.severity is not Severity.INFO:
            msg.append(f"\nfix: {clean(fix)}", style="dim")
        table.add_row(sev, f.rule_id, where, msg)
    return table
