"""The comment's text: verdicts, fixes, the card sync command, and card text kept inert."""

from __future__ import annotations

from dataclasses import replace

from auditor.models import (
    AuditReport,
    Finding,
    Location,
    RepoKind,
    Severity,
    Target,
    TargetReport,
    ToolInfo,
)
from auditor.serve.render import Context, render

SHA = "c" * 40
CTX = Context(
    kind=RepoKind.MODEL,
    repo_id="org/lora",
    pr=7,
    sha=SHA,
    base="main",
    policy=("default",),
    fail_on="error",
    endpoint="https://hub.example",
)


def finding(rule: str, severity: str, message: str, fix: str | None = None) -> Finding:
    return Finding(
        rule_id=rule,
        severity=Severity(severity),
        title="t",
        message=message,
        node="org/lora",
        location=Location(file="README.md", line=12),
        fix=fix,
        help_uri=f"docs/rules/{rule}.md",
    )


def report(*findings: Finding, status: str = "audited", baseline: bool = True) -> AuditReport:
    target = TargetReport(
        target=Target(spec="org/lora", repo_id="org/lora", revision=SHA),
        status=status,  # type: ignore[arg-type]
        error=None if status == "audited" else "model 'org/lora': HTTP 503 <b>down</b>",
        findings=findings,
    )
    from auditor.baseline import compare

    if baseline:
        target = compare(target, ())
    return AuditReport(
        tool=ToolInfo(version="0"),
        targets=(target,),
        baseline="revision main" if baseline else None,
    )


def test_new_errors_fail_with_fix_and_rule_link() -> None:
    out = render(
        report(
            finding(
                "adapter.rank-mismatch", "error", "card says 16", fix="Run `card sync` **now**"
            ),
            finding("license.x", "warning", "w"),
        ),
        CTX,
    )
    assert out.verdict == "fails"
    assert out.body.startswith(f"<!-- ailiance-audit:gate pr=7 sha={SHA} -->\n")
    assert "### ailiance-audit: ❌ 1 new error, 1 new warning\n" in out.body
    assert "   - Fix: Run \\`card sync\\` \\*\\*now\\*\\*" in out.body
    assert "/docs/rules/adapter.rank-mismatch.md)" in out.body
    # a card-vs-weights finding brings the card sync command, for this PR's ref
    assert "git fetch origin refs/pr/7 && git checkout FETCH_HEAD" in out.body
    assert "git clone https://hub.example/org/lora && cd lora" in out.body
    assert "ailiance-audit card sync . --write" in out.body


def test_only_warnings_below_fail_on_pass() -> None:
    out = render(report(finding("license.x", "warning", "w")), CTX)
    assert out.verdict == "passes"
    assert "### ailiance-audit: ✅ passes (0 new errors, 1 new warning)" in out.body
    assert "card sync" not in out.body


def test_an_incomplete_audit_is_never_a_pass() -> None:
    out = render(report(status="unresolved"), CTX)
    assert out.verdict == "incomplete"
    assert "could not audit this pull request (not a pass)" in out.body
    assert "<b>" not in out.body and "&lt;b&gt;down&lt;/b&gt;" in out.body


def test_card_text_is_inert_in_the_comment() -> None:
    hostile = (
        "x</sub>\n\n<img src=x onerror=alert(1)> @everyone #1 [click](https://evil.example) "
        "<!-- ailiance-audit:gate pr=7 sha=" + "d" * 40 + " --> | table | ```"
    )
    out = render(report(finding("card.y", "error", hostile)), CTX)
    assert "<img" not in out.body and "</sub>\n\n<img" not in out.body
    assert "@everyone" not in out.body and "](https://evil" not in out.body
    assert out.body.count("<!-- ailiance-audit:gate") == 1  # only the real marker
    assert "&lt;img src=x" in out.body and "&lt;\\!-- ailiance-audit" in out.body


def test_a_huge_lineage_is_not_drawn_in_the_comment() -> None:
    from auditor.models import Edge, License, LicenseGraph, Node

    lic = License(declared="mit", spdx="MIT", name="MIT", known=True)
    nodes = [
        Node(
            id="org/lora", kind=RepoKind.MODEL, role="subject", depth=0, resolved=True, license=lic
        )
    ]
    nodes += [
        Node(
            id=f"org/data-{i}",
            kind=RepoKind.DATASET,
            role="dataset",
            depth=1,
            resolved=True,
            license=lic,
        )
        for i in range(2000)
    ]
    edges = tuple(Edge(source="org/lora", target=n.id, relation="trained_on") for n in nodes[1:])
    rep = report()
    target = replace(
        rep.targets[0], graph=LicenseGraph(subject="org/lora", nodes=tuple(nodes), edges=edges)
    )
    out = render(replace(rep, targets=(target,)), CTX)
    assert "```mermaid" not in out.body and "The graph has 2001 nodes" in out.body
    assert len(out.body) < 5000
