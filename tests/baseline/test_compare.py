"""Baseline comparison on hand-built reports: multiset matching, gating, lenient JSON reading."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.baseline import compare, gating, key, load_report, match, render_text, with_baseline
from auditor.errors import UsageError
from auditor.exitcodes import exit_code
from auditor.models import (
    AuditReport,
    Finding,
    Location,
    RepoKind,
    RepoSnapshot,
    Severity,
    Target,
    TargetReport,
    ToolInfo,
    Waiver,
)
from auditor.models.codec import dump
from auditor.policy.cel import fingerprint


def finding(rule: str, message: str, line: int = 3, sev: Severity = Severity.ERROR) -> Finding:
    loc = Location(file="README.md", line=line)
    return Finding(
        rule_id=rule,
        severity=sev,
        title=rule,
        message=message,
        node="m",
        location=loc,
        fingerprint=fingerprint(rule, "m", loc, message),
    )


def target_report(*findings: Finding, name: str = "m") -> TargetReport:
    snap = RepoSnapshot(repo_id=name, kind=RepoKind.MODEL, origin="local", location=f"/x/{name}")
    return TargetReport(
        target=Target(spec=f"/x/{name}", path=f"/x/{name}"),
        status="audited",
        snapshot=snap,
        findings=findings,
    )


def report(*targets: TargetReport) -> AuditReport:
    return AuditReport(tool=ToolInfo(version="0"), targets=targets)


A, B, C = (
    finding("r.a", "alpha"),
    finding("r.b", "beta"),
    finding("r.c", "gamma", sev=Severity.NOTE),
)


def test_key_ignores_lines_and_matches_the_policy_fingerprint() -> None:
    assert key(A) == A.fingerprint == key(finding("r.a", "alpha", line=40))
    assert key(A) != key(finding("r.a", "alpha2"))


def test_compare_new_unchanged_fixed() -> None:
    current = target_report(A, finding("r.b", "beta", line=90), C)
    out = compare(current, (B, finding("r.z", "gone")))
    assert out.baseline_new == (key(A), key(C))
    assert out.baseline_unchanged == (key(B),)
    assert [f.rule_id for f in out.baseline_fixed] == ["r.z"]


def test_duplicates_are_a_multiset() -> None:
    twice = target_report(A, finding("r.a", "alpha", line=9))
    out = compare(twice, (A,))
    assert out.baseline_new == (key(A),) and out.baseline_unchanged == (key(A),)
    rep = replace(report(out), baseline="x")
    assert [f.location.line for f in gating(rep, out) if f.location] == [9]  # the later one


def test_gating_and_exit_code() -> None:
    current = target_report(A, C)
    assert exit_code(report(current), "error") == 1  # no baseline: every live finding counts
    rep = with_baseline(report(current), "git ref main", [(A,)])
    assert [f.rule_id for f in gating(rep, rep.targets[0])] == ["r.c"]
    assert exit_code(rep, "error") == 0  # the only new finding is a note
    assert exit_code(rep, "note") == 1
    rep = with_baseline(report(current), "git ref main", [None])  # baseline not auditable
    assert exit_code(rep, "error") == 1
    waiver = Waiver(rule="r.a", reason="ok", owner="me", expires="2999-01-01")
    waived = target_report(replace(A, suppressed_by=waiver))
    rep = with_baseline(report(waived), "git ref main", [()])
    assert exit_code(rep, "error") == 0  # new but waived


def test_unresolved_still_wins() -> None:
    broken = TargetReport(target=Target(spec="o/n", repo_id="o/n"), status="unresolved")
    rep = with_baseline(report(broken), "report x", [()])
    assert exit_code(rep, "error") == 3


def test_load_report_is_lenient_about_versions(tmp_path: Path) -> None:
    data = dump(report(target_report(A, B)))
    data["future_field"] = 1
    data["targets"][0]["findings"][0]["fingerprint"] = ""  # recomputed, not trusted
    data["targets"][0]["findings"][1]["new_in_v9"] = {"x": 1}
    data["targets"][0]["findings"][1]["location"]["end_line"] = 4
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    loaded = load_report(path)
    assert [key(f) for f in loaded.targets[0].findings] == [key(A), key(B)]
    assert match(target_report(C), loaded) == (A, B)


@pytest.mark.parametrize(
    "text", ["[]", "{}", '{"targets": [{"findings": []}]}', '{"targets": [{"target": 3}]}', "nul"]
)
def test_load_report_rejects_non_reports(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(UsageError, match="--baseline"):
        load_report(path)


def test_match_by_subject_then_single_target() -> None:
    prev = report(target_report(A, name="one"), target_report(B, name="two"))
    assert match(target_report(name="two"), prev) == (B,)
    assert match(target_report(name="three"), prev) == ()  # new target: empty baseline
    assert match(target_report(name="other"), report(target_report(A, name="x"))) == (A,)
    broken = TargetReport(
        target=Target(spec="/x/two", path="/x/two"), status="unresolved", error="gone"
    )
    assert match(target_report(name="two"), report(broken)) is None


def test_render_text_lists_the_three_groups() -> None:
    current = target_report(A, finding("r.b", "beta\x1b[31m red"))
    rep = with_baseline(
        report(current), "git ref main (abc)", [(finding("r.b", "beta\x1b[31m red"), C)]
    )
    text = render_text(rep)
    assert "baseline: git ref main (abc)" in text
    assert "1 new, 1 unchanged, 1 fixed" in text
    assert "new       error   r.a" in text and "unchanged error   r.b" in text
    assert "fixed     note    r.c" in text
    assert "\x1b" not in text  # card text cannot drive the terminal
    assert render_text(report(current)) == ""
