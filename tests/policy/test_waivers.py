"""Waivers in the audited repo: .ailiance-audit.yaml and [tool.ailiance-audit] in pyproject.toml."""

from __future__ import annotations

import datetime as dt

from auditor.models import Finding, Location, Severity
from auditor.policy.waivers import (
    apply_waivers,
    load_pyproject_waivers,
    load_repo_waivers,
    load_waivers,
)

TODAY = dt.date(2026, 6, 1)
SUBJECT = "Ailiance-fr/apertus-math-lora"


def _finding(rule: str, node: str = SUBJECT) -> Finding:
    return Finding(
        rule_id=rule,
        severity=Severity.WARNING,
        title="t",
        message=f"{rule} on {node}",
        node=node,
        location=Location(file="README.md", line=3),
        fingerprint="f",
    )


YAML = """\
waivers:
  - rule: license.sharealike-leak
    node: HuggingFaceH4/stack-exchange-preferences
    reason: "legal review 2026-05: weights are not an adaptation (legal-basis §7)"
    owner: compliance@example.org
    expires: 2027-03-31
  - rule: license.gated-terms-dropped
    reason: gate added in the next release
    owner: ops@example.org
    expires: 2026-01-31
  - rule: aiact.scope
    reason: stale
    owner: ops@example.org
    expires: 2027-01-01
  - rule: license.lineage-undeclared
    owner: ops@example.org
    expires: someday
  - just a string
"""


def test_waived_expired_unused_and_invalid() -> None:
    loaded = load_waivers(YAML, ".ailiance-audit.yaml")
    findings = [
        _finding("license.sharealike-leak", "HuggingFaceH4/stack-exchange-preferences"),
        _finding("license.sharealike-leak", "other/dataset"),
        _finding("license.gated-terms-dropped", "swiss-ai/Apertus-70B-Instruct-2509"),
    ]
    out = apply_waivers(findings, loaded, today=TODAY, subject=SUBJECT)
    waived = [f for f in out if f.suppressed_by is not None]
    assert [f.node for f in waived] == ["HuggingFaceH4/stack-exchange-preferences"]
    assert waived[0].suppressed_by is not None
    assert "not an adaptation" in waived[0].suppressed_by.reason
    assert waived[0].suppressed_by.location == Location(file=".ailiance-audit.yaml", line=2)
    live = [f for f in out if f.rule_id == "license.sharealike-leak" and not f.suppressed_by]
    assert [f.node for f in live] == ["other/dataset"]  # the node restricts the waiver
    gated = [f for f in out if f.rule_id == "license.gated-terms-dropped"]
    assert gated[0].suppressed_by is None  # expired waivers suppress nothing
    by_rule = {f.rule_id: f for f in out if f.rule_id.startswith("waiver.")}
    assert by_rule["waiver.expired"].severity is Severity.ERROR
    assert "expired on 2026-01-31" in by_rule["waiver.expired"].message
    assert by_rule["waiver.expired"].location == Location(file=".ailiance-audit.yaml", line=7)
    assert by_rule["waiver.unused"].severity is Severity.WARNING
    assert "aiact.scope" in by_rule["waiver.unused"].message
    invalid = [f for f in out if f.rule_id == "waiver.invalid"]
    assert sorted(f.location.line for f in invalid if f.location) == [15, 18]
    assert any("missing reason" in f.message for f in invalid)
    assert all(
        f.help_uri == f"docs/rules/{f.rule_id}.md" for f in out if f.rule_id[:7] == "waiver."
    )


def test_malformed_waiver_files_are_findings_not_crashes() -> None:
    for text in ("waivers: [", "- a list", "waivers: {rule: x}"):
        out = apply_waivers(
            [], load_waivers(text, ".ailiance-audit.yaml"), today=TODAY, subject=SUBJECT
        )
        assert [f.rule_id for f in out] == ["waiver.invalid"], text
    out = apply_waivers(
        [],
        load_waivers("waivers:\n  - {rule: [a], reason: r, owner: o, expires: 2027-01-01}\n", "w"),
        today=TODAY,
        subject=SUBJECT,
    )
    assert "must be strings" in out[0].message


PYPROJECT = """\
[project]
name = "my-adapter"

[[tool.ailiance-audit.waivers]]
rule = "license.gated-terms-dropped"
reason = "gate mirrored on the Hub page"
owner = "ops@example.org"
expires = 2027-06-30

[[tool.ailiance-audit.waivers]]
rule = "cop.contact-missing"
reason = "contact in the org profile"
owner = "ops@example.org"
expires = 2027-06-30T12:00:00

[[tool.ailiance-audit.waivers]]
rule = "aiact.scope"
owner = "ops@example.org"
"""


def test_pyproject_waivers_with_lines_and_problems_in_that_file() -> None:
    waivers, problems = load_pyproject_waivers(PYPROJECT)
    assert [(w.rule, w.expires) for w in waivers] == [
        ("license.gated-terms-dropped", "2027-06-30"),
        ("cop.contact-missing", "2027-06-30"),
    ]
    assert [w.location.line for w in waivers if w.location] == [4, 10]
    assert waivers[0].location is not None and waivers[0].location.file == "pyproject.toml"
    out = apply_waivers(
        [_finding("license.gated-terms-dropped")], (waivers, problems), today=TODAY, subject=SUBJECT
    )
    assert out[0].suppressed_by is not None
    invalid = [f for f in out if f.rule_id == "waiver.invalid"]
    assert len(invalid) == 1 and invalid[0].location == Location(file="pyproject.toml", line=16)


def test_pyproject_without_the_table_or_broken() -> None:
    assert load_pyproject_waivers('[project]\nname = "x"\n') == ([], [])
    assert load_pyproject_waivers(None) == ([], [])
    _, problems = load_pyproject_waivers("[tool.ailiance-audit\n")
    out = apply_waivers([], ([], problems), today=TODAY, subject=SUBJECT)
    assert [f.rule_id for f in out] == ["waiver.invalid"]
    assert out[0].location is not None and out[0].location.file == "pyproject.toml"
    _, problems = load_pyproject_waivers('[tool.ailiance-audit]\nwaivers = "no"\n')
    assert "array of tables" in problems[0][0]


def test_repo_waivers_merge_both_files() -> None:
    waivers, problems = load_repo_waivers(YAML, PYPROJECT)
    files = {w.location.file for w in waivers if w.location}
    assert files == {".ailiance-audit.yaml", "pyproject.toml"}
    out = apply_waivers([], (waivers, problems), today=TODAY, subject=SUBJECT)
    invalid_files = sorted(
        f.location.file for f in out if f.rule_id == "waiver.invalid" and f.location
    )
    assert invalid_files == [".ailiance-audit.yaml", ".ailiance-audit.yaml", "pyproject.toml"]
