"""SARIF 2.1.0: golden files, the official schema, rules/results/suppressions, text as data."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from format_cases import HOSTILE, SUBJECT, adapter_report

from auditor.formats import base
from auditor.formats.sarif import FINGERPRINT_KEY, help_uri, message_text, rule_name
from auditor.models import AuditReport, Finding, Severity
from auditor.policy import fingerprint

SCHEMAS = Path(__file__).resolve().parent / "schemas"


def render(report: AuditReport) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base.get("sarif").render(report))
    return out


def run_of(report: AuditReport) -> dict[str, Any]:
    runs = render(report)["runs"]
    assert len(runs) == 1
    run: dict[str, Any] = runs[0]
    return run


def unescape(text: str) -> str:
    """What a SARIF viewer shows for an escaped plain-text message (§3.11.6)."""
    return re.sub(r"\\([\\\[\]])", r"\1", text)


def test_valid_against_the_official_schema(case: tuple[str, AuditReport], no_network: None):
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    validator = jsonschema.Draft4Validator(schema)
    errors = [e.message for e in validator.iter_errors(render(case[1]))]
    assert errors == []


def test_the_schema_check_catches_a_broken_log():
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    log = render(adapter_report())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not jsonschema.Draft4Validator(schema).is_valid(log)


def test_rules_carry_id_name_help_and_level(report: AuditReport):
    rules = run_of(report)["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted({f.rule_id for f in report.targets[0].findings})
    rank = rules[ids.index("adapter.rank-mismatch")]
    assert rank["name"] == "AdapterRankMismatch"
    assert rank["shortDescription"]["text"].startswith("Claimed rank differs")
    assert "Basis: weights" in rank["help"]["text"]
    assert rank["helpUri"].endswith("/docs/rules/adapter.rank-mismatch.md")
    assert rank["helpUri"].startswith("https://")
    assert rank["defaultConfiguration"]["level"] == "error"
    leak = rules[ids.index("license.sharealike-leak")]
    assert leak["properties"]["tags"] == ["contested-law", "license-chain"]


def test_results_point_at_rule_file_line_and_node(report: AuditReport):
    run = run_of(report)
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(report.targets[0].findings)
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    first = results[0]
    assert (first["ruleId"], first["level"]) == ("adapter.rank-mismatch", "error")
    loc = first["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {
        "uri": "README.md",
        "uriBaseId": "TARGET0",
    }
    assert loc["physicalLocation"]["region"] == {"startLine": 40}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == SUBJECT
    base_uri = run["originalUriBaseIds"]["TARGET0"]["uri"]
    assert (
        base_uri == f"https://huggingface.co/{SUBJECT}/blob/{report.targets[0].snapshot.revision}/"
    )
    levels = [r["level"] for r in results]
    assert levels == ["error", "error", "warning", "warning", "note", "none"]  # info: none
    config = next(r for r in results if r["ruleId"] == "adapter.local-path-leak")
    assert config["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "adapter_config.json"
    )


def test_a_local_target_is_prefixed_by_its_relative_path():
    from format_cases import unresolved_report

    run = run_of(unresolved_report())
    located = [r for r in run["results"] if "physicalLocation" in r["locations"][0]]
    assert located[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "models/devstral-cpp-lora/adapter_config.json"
    }
    assert "originalUriBaseIds" not in run
    note = run["invocations"][0]
    assert note["executionSuccessful"] is False
    [notification] = note["toolExecutionNotifications"]
    assert "Ailiance-fr/missing-lora unresolved" in notification["message"]["text"]


def test_waived_finding_is_an_external_suppression(report: AuditReport):
    results = run_of(report)["results"]
    waived = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in waived] == ["adapter.local-path-leak"]
    [sup] = waived[0]["suppressions"]
    assert sup["kind"] == "external" and sup["status"] == "accepted"
    assert sup["justification"].startswith("Paths are from the public CI runner")
    assert sup["properties"]["owner"] == "mlops@ailiance.fr"
    assert sup["properties"]["expires"] == "2027-06-30"
    assert sup["location"]["physicalLocation"]["artifactLocation"]["uri"] == ".ailiance-audit.yaml"
    assert all("suppressions" not in r for r in results if r["ruleId"] != "adapter.local-path-leak")


def test_every_result_has_a_partial_fingerprint(report: AuditReport):
    results = run_of(report)["results"]
    by_rule = {r["ruleId"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in results}
    assert by_rule["adapter.rank-mismatch"] == "a1" * 16  # the finding's own fingerprint
    leak = next(f for f in report.targets[0].findings if f.rule_id == "license.sharealike-leak")
    assert leak.fingerprint == ""
    assert by_rule["license.sharealike-leak"] == fingerprint(
        leak.rule_id, leak.node, leak.location, leak.message
    )


def test_fingerprint_ignores_the_line_but_not_the_file():
    report = adapter_report()
    target = report.targets[0]
    leak = next(f for f in target.findings if f.rule_id == "license.sharealike-leak")
    assert leak.location is not None

    def fp(finding: Finding) -> str:
        t = replace(target, findings=(finding,))
        res = run_of(replace(report, targets=(t,)))["results"][0]
        value: str = res["partialFingerprints"][FINGERPRINT_KEY]
        return value

    moved = replace(leak, location=replace(leak.location, line=99))
    other = replace(leak, location=replace(leak.location, file="LICENSE"))
    assert fp(moved) == fp(leak)
    assert fp(other) != fp(leak)


def test_card_text_stays_data():
    from format_cases import hostile_report

    report = hostile_report()
    run = run_of(report)
    [result] = run["results"]
    assert unescape(result["message"]["text"]) == HOSTILE
    assert "[click]" not in result["message"]["text"]  # no embedded link can form
    assert result["properties"]["evidence"] == {"raw": HOSTILE}
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and "<" not in uri and "*" not in uri


@pytest.mark.parametrize("text", ["plain", "a [link](1) b", "back\\slash [x]", "\\[", "]["])
def test_message_escaping_round_trips(text: str):
    escaped = message_text(text)
    assert unescape(escaped) == text
    assert re.search(r"(?<!\\)\[", escaped.replace("\\\\", "")) is None


def test_helpers():
    assert rule_name("cop.documentation-form-incomplete") == "CopDocumentationFormIncomplete"
    assert help_uri(None) is None
    assert help_uri("https://example.org/r.md") == "https://example.org/r.md"
    assert help_uri(
        "docs/rules/x.md",
    ).endswith("/blob/main/docs/rules/x.md")


def test_severity_of_rule_is_the_most_severe_finding():
    report = adapter_report()
    target = report.targets[0]
    extra = replace(target.findings[0], severity=Severity.NOTE, fingerprint="x")
    t = replace(target, findings=(extra, *target.findings))
    rules = run_of(replace(report, targets=(t,)))["tool"]["driver"]["rules"]
    rank = next(r for r in rules if r["id"] == "adapter.rank-mismatch")
    assert rank["defaultConfiguration"]["level"] == "error"


def test_baseline_state_of_each_result():
    from format_cases import baseline_report

    run = run_of(baseline_report())
    states = {r["ruleId"]: r["baselineState"] for r in run["results"]}
    assert states.pop("adapter.rank-mismatch") == "new"
    assert set(states.values()) == {"unchanged"}
    assert "license.lineage-undeclared" not in states  # fixed: not reported as a result
    assert run["properties"]["baseline"] == "git ref main (0123456789ab)"
    assert all("baselineState" not in r for r in run_of(adapter_report())["results"])


def test_findings_without_location_are_anchored_to_the_card_or_config(report: AuditReport):
    from format_cases import unresolved_report

    results = {r["ruleId"]: r for r in run_of(report)["results"]}
    scope = results["aiact.scope"]["locations"][0]["physicalLocation"]
    assert scope == {"artifactLocation": {"uri": "README.md", "uriBaseId": "TARGET0"}}
    missing = {r["ruleId"]: r for r in run_of(unresolved_report())["results"]}["card.missing"]
    assert missing["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "models/devstral-cpp-lora/adapter_config.json"}
    }
