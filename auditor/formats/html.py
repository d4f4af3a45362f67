"""Formats stage: one self-contained HTML file to read, print and archive.

No network, no external asset, no JavaScript: the styles are inline, the license graph is an
inline SVG laid out in Python (``auditor.formats.svg``), and a Content-Security-Policy meta tag
forbids scripts, fetches and remote images even if something slipped through. Per target: the
summary, the exact revisions audited, the findings grouped by policy pack with their legal basis
and fix, the license graph with leaking paths in red, and the adapter evidence next to the card's
claims. Card content is escaped everywhere (text, attributes, SVG). The markup is also well-formed
XML (void elements self-closed), so archiving tools and tests can parse it strictly. Output is
deterministic.
"""

from __future__ import annotations

from auditor.formats import common, svg
from auditor.formats.base import register
from auditor.formats.html_tables import (
    claims_vs_evidence,
    esc,
    findings_by_pack,
    revisions,
    waived,
)
from auditor.models import AuditReport, ComputeEstimate, TargetReport
from auditor.numbers import sci

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:24px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;padding-top:16px;
border-top:2px solid var(--line)}h3{font-size:16px;margin:24px 0 8px}h4{font-size:14px;
margin:16px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.meta,.small,small{color:var(--muted)}code{font:12px ui-monospace,SFMono-Regular,monospace;
background:var(--soft);padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}th,td{border:1px solid var(--line);
padding:6px 8px;text-align:left;vertical-align:top}th{background:var(--soft);font-weight:600}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid var(--line);
border-radius:8px;padding:10px 16px;min-width:120px}.card b{display:block;font-size:22px}
.card.error b{color:#cf222e}.card.warning b{color:#9a6700}.card.note b{color:#0969da}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.sev-error .sev{background:#ffebe9;color:#cf222e}.sev-warning .sev{background:#fff8c5;
color:#9a6700}.sev-note .sev{background:#ddf4ff;color:#0969da}.sev-info .sev{background:#f6f8fa;
color:#59636e}.state{font-size:11px}
.findings{table-layout:fixed}.findings th:nth-child(1){width:92px}
.findings th:nth-child(2){width:24%}.findings th:nth-child(4){width:34%}
.basis,.fix,.help{margin:0 0 4px;font-size:12px}
mark{background:#ffebe9;color:#82071e;padding:0 2px;border-radius:3px}
.status{border-left:4px solid #cf222e;padding:4px 12px;background:#ffebe9}
.graphbox{overflow-x:auto;text-align:center;border:1px solid var(--line);border-radius:8px;
padding:8px}
.graph text{font:12px system-ui,sans-serif;fill:var(--fg)}.graph text.id{font-weight:600}
.graph text.lic{fill:var(--muted);font-size:11px}.graph text.rel{fill:var(--muted);
font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:4px}.graph text.badge{fill:#fff;
font-weight:700}.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted)}
.key i{display:inline-block;width:14px;height:14px;border:2px solid;border-radius:3px;
vertical-align:-3px;margin-right:4px}footer{margin-top:32px;font-size:12px;color:var(--muted)}
@media print{body{padding:0;font-size:10pt}h2{break-before:page}h2:first-of-type{break-before:auto}
tr,.graphbox,.card{break-inside:avoid}a{color:inherit;text-decoration:none}
.graphbox{overflow:visible;border:0}.graph{max-width:100%;height:auto}}
"""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(report: AuditReport) -> str:
    s = report.summary
    cards = [
        ("targets", s.targets, ""),
        ("errors", s.error, "error"),
        ("warnings", s.warning, "warning"),
        ("notes", s.note, "note"),
        ("info", s.info, "info"),
    ]
    if s.suppressed:
        cards.append(("waived", s.suppressed, ""))
    if s.unresolved:
        cards.append(("not audited", s.unresolved, "error"))
    if s.incomplete:
        cards.append(("incomplete", s.incomplete, "error"))
    boxes = "".join(
        f'<div class="card {cls}"><b>{n}</b>{esc(label)}</div>' for label, n, cls in cards
    )
    policy = ", ".join(f"<code>{esc(p, 120)}</code>" for p in report.policy) or "none"
    baseline = f"<p>Baseline: {esc(report.baseline, 200)}</p>" if report.baseline else ""
    return (
        f'<section class="cards">{boxes}</section><p class="meta">Policies: {policy}</p>{baseline}'
    )


def _compute(c: ComputeEstimate | None) -> str:
    if c is None or (c.ft_flop is None and c.base_flop is None):
        return ""
    rows = [
        ("Base model", esc(c.base_model or "—")),
        ("Base training compute", f"{esc(sci(c.base_flop))} FLOP ({esc(c.base_flop_source)})"),
        ("Fine-tuning compute (upper bound)", f"{esc(sci(c.ft_flop))} FLOP"),
        ("One-third threshold", f"{esc(sci(c.one_third_threshold))} FLOP"),
        ("Presumed a new GPAI provider", "yes" if c.provider_presumed else "no"),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<h3>Training compute (AI Act scope)</h3><table>{body}</table>"


def _target(i: int, target: TargetReport, report: AuditReport) -> str:
    rev = (target.snapshot.revision if target.snapshot else None) or target.target.revision
    head = f"<h2><code>{esc(target.target.spec, 160)}</code>"
    head += (
        f" <small>@ <code>{esc(rev)}</code></small></h2>"
        if rev
        else " <small>(revision not pinned)</small></h2>"
    )
    parts = [head]
    if target.status != "audited":
        parts.append(f'<p class="status"><b>{esc(target.status)}</b>: {esc(target.error, 400)}</p>')
    parts += [  # could not look: the audit is incomplete, not clean
        f'<p class="status"><b>incomplete</b>: could not look at {esc(gap, 400)}</p>'
        for gap in target.incomplete
    ]
    rows = list(
        zip(common.sorted_findings(target), common.baseline_states(report, target), strict=True)
    )
    active = [(f, s) for f, s in rows if f.suppressed_by is None]
    table = revisions(target)
    if table:
        parts += ["<h3>Revisions audited</h3>", table]
    if target.graph is not None and target.graph.nodes:
        graph = svg.render(target.graph, [f for f, _ in active], f"g{i}")
        parts += ["<h3>License graph</h3>", f'<div class="graphbox">{graph}</div>', svg.legend()]
    parts.append(f"<h3>Findings <small>({_plural(len(active), 'finding')})</small></h3>")
    if active:
        parts.append(findings_by_pack([f for f, _ in active], [s for _, s in active]))
    elif target.status == "audited":
        parts.append("<p>No findings.</p>")
    parts.append(waived([f for f, _ in rows]))
    if target.evidence is not None and target.evidence.present:
        parts += [
            "<h3>Adapter evidence vs card claims</h3>",
            claims_vs_evidence(target.claims, target.evidence, [f for f, _ in active]),
        ]
    parts.append(_compute(target.compute))
    return f'<section class="target" id="t{i}">' + "".join(parts) + "</section>"


@register("html")
class HtmlFormatter:
    """A self-contained, printable HTML report (``*.html``)."""

    name = "html"
    extension = ".html"

    def render(self, report: AuditReport) -> str:
        """Render the whole report."""
        targets = "".join(_target(i, t, report) for i, t in enumerate(report.targets))
        if not report.targets:
            targets = "<p>No target was audited.</p>"
        title = "ailiance-audit report"
        if len(report.targets) == 1:
            title += " — " + report.targets[0].target.spec
        return (
            '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head>'
            '<meta charset="utf-8"/>'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f'<meta name="generator" content="{esc(report.tool.name)} {esc(report.tool.version)}"/>'
            f"<title>{esc(title, 200)}</title><style>{CSS}</style></head><body>"
            f'<header><h1>ailiance-audit report</h1><p class="meta">{esc(report.tool.name)} '
            f"{esc(report.tool.version)} · schema {esc(report.schema_version)}</p></header>"
            f"<main>{_summary(report)}{targets}</main>"
            "<footer>Generated by ailiance-audit. Findings are decided by the policy packs; "
            "the legal basis of each rule is cited with it. This report makes no network request "
            "and runs no script.</footer></body></html>\n"
        )
