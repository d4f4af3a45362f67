"""The gate's pull-request comment: verdict, new findings, license graph, the ``card sync`` fix.

The Hub renders comments as Markdown, and everything in a finding may come from the pull request
(messages quote the card). Every such string goes through ``auditor.formats.escape`` (the escaping
of the Markdown report) and the graph is the Markdown report's own Mermaid block, so the comment
is inert whatever the card says. The first line is the hidden marker that ties the comment to the
PR head (``hubclient.marker``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor import __version__
from auditor.baseline import gating, key
from auditor.exitcodes import exit_code
from auditor.formats.escape import md_code, md_text
from auditor.formats.markdown import mermaid_graph
from auditor.formats.sarif import help_uri
from auditor.models import AuditReport, Finding, RepoKind, TargetReport
from auditor.serve.hubclient import marker

MAX_FINDINGS = 50  # per comment; the rest are counted (the HTML report has them all)
MAX_GRAPH = 20_000  # characters of Mermaid; a lineage of hundreds of repos is left to the report
MESSAGE_LIMIT = 400
_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+$")
_CARD_VS_WEIGHTS = "adapter."  # rule-id prefix of the card-claims-vs-adapter rules


@dataclass(frozen=True)
class Context:
    """Where the audit ran: the PR head, its base and the settings it was gated with."""

    kind: RepoKind
    repo_id: str
    pr: int
    sha: str
    base: str
    policy: tuple[str, ...]
    fail_on: str
    endpoint: str


@dataclass(frozen=True)
class Rendered:
    """The comment and its verdict (``passes``, ``fails`` or ``incomplete``)."""

    verdict: str
    body: str


def _plural(n: int, word: str) -> str:
    return f"{n} new {word}" + ("" if n == 1 else "s")


def render(report: AuditReport, ctx: Context) -> Rendered:
    """The whole comment for a one-target report compared with the PR's base."""
    target = report.targets[0]
    code = exit_code(report, ctx.fail_on)
    new = gating(report, target)
    errors = sum(f.severity.value == "error" for f in new)
    warnings = sum(f.severity.value == "warning" for f in new)
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if target.status != "audited":
        verdict, head = "incomplete", "⚠️ could not audit this pull request (not a pass)"
    elif target.incomplete:  # an upstream it could not look at: not a pass either
        verdict, head = "incomplete", f"⚠️ the audit is incomplete (not a pass; {counts})"
    elif code == 0:
        verdict, head = "passes", "✅ passes" + (f" ({counts})" if errors or warnings else "")
    else:
        verdict, head = "fails", f"❌ {counts}"
    lines = [
        marker(ctx.pr, ctx.sha),
        f"### ailiance-audit: {head}",
        "",
        f"{md_code(ctx.repo_id, table=False)} pull request #{ctx.pr} at "
        f"{md_code(ctx.sha[:12], table=False)}, compared with {md_code(ctx.base, table=False)}"
        f" · policy {', '.join(md_code(p, table=False, limit=80) for p in ctx.policy)}"
        f" · fails on {md_code(ctx.fail_on, table=False)}",
        "",
    ]
    if target.status != "audited":
        lines += [f"> {md_text(target.error or target.status, MESSAGE_LIMIT)}", ""]
    else:
        gaps = [f"> could not look at {md_text(w, MESSAGE_LIMIT)}" for w in target.incomplete]
        lines += [*gaps, ""] if gaps else []
        lines += _findings(report, target, new, ctx)
    lines += [
        "---",
        f"<sub>ailiance-audit {md_text(__version__)}: this comment is edited in place on each "
        "push to the pull request.</sub>",
    ]
    return Rendered(verdict, "\n".join(lines) + "\n")


def _findings(
    report: AuditReport, target: TargetReport, new: list[Finding], ctx: Context
) -> list[str]:
    lines: list[str] = []
    if new:
        lines += [f"**New findings** (not on {md_code(ctx.base, table=False)}):", ""]
        lines += [line for i, f in enumerate(new[:MAX_FINDINGS], 1) for line in _finding(i, f)]
        if len(new) > MAX_FINDINGS:
            lines.append(f"… and {len(new) - MAX_FINDINGS} more (see the HTML or SARIF report).")
        lines.append("")
    else:
        lines += [f"No new findings compared with {md_code(ctx.base, table=False)}.", ""]
    waived = _new_waived(report, target)
    unchanged, fixed = len(target.baseline_unchanged), len(target.baseline_fixed)
    lines += [f"Already on the base: {unchanged} · fixed by this pull request: {fixed}", ""]
    if waived:
        lines += [f"<details><summary>{len(waived)} new finding(s) waived</summary>", ""]
        for f in waived[:MAX_FINDINGS]:
            w = f.suppressed_by
            why = f"{w.reason} ({w.owner}, expires {w.expires})" if w else ""
            lines.append(f"- {md_code(f.rule_id, table=False)}: {md_text(why, MESSAGE_LIMIT)}")
        lines += ["", "</details>", ""]
    if target.graph is not None and target.graph.nodes:
        graph = mermaid_graph(target.graph, new)
        if sum(len(line) + 1 for line in graph) > MAX_GRAPH:
            graph = [f"The graph has {len(target.graph.nodes)} nodes: see the HTML report."]
        lines += ["#### License graph", "", *graph, ""]
    if any(f.rule_id.startswith(_CARD_VS_WEIGHTS) for f in new):
        lines += _card_sync(ctx)
    return lines


def _finding(i: int, f: Finding) -> list[str]:
    where = md_code(str(f.location), table=False) if f.location else md_code(f.node, table=False)
    sev = "**error**" if f.severity.value == "error" else f.severity.value
    lines = [
        f"{i}. {sev} {md_code(f.rule_id, table=False)} at {where}: "
        f"{md_text(f.message, MESSAGE_LIMIT)}"
    ]
    if f.fix:
        lines.append(f"   - Fix: {md_text(f.fix, MESSAGE_LIMIT)}")
    uri = help_uri(f.help_uri)
    if uri and _SAFE_URL.match(uri):
        lines.append(f"   - [Rule documentation]({uri})")
    return lines


def _new_waived(report: AuditReport, target: TargetReport) -> list[Finding]:
    """Waived findings the PR introduces (a PR may add its own waiver: reviewers must see it)."""
    before = set(target.baseline_unchanged)
    return [f for f in target.findings if f.suppressed_by is not None and key(f) not in before]


def _card_sync(ctx: Context) -> list[str]:
    prefix = "datasets/" if ctx.kind == RepoKind.DATASET else ""
    name = ctx.repo_id.rsplit("/", 1)[-1]
    return [
        "#### Fix the card from the weights",
        "",
        "The card's claims disagree with the adapter. `card sync` rewrites the fact-bearing "
        "sections from the repository itself:",
        "",
        "```sh",
        f"git clone {ctx.endpoint.rstrip('/')}/{prefix}{ctx.repo_id} && cd {name}",
        f"git fetch origin refs/pr/{ctx.pr} && git checkout FETCH_HEAD",
        "ailiance-audit card sync . --write",
        "```",
        "",
    ]
