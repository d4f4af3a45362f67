"""CycloneDX 1.6 ML-BOM: golden files, the strict 1.6 schema offline, the ML-BOM structure."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from format_cases import BASE, ORCA, ROOT, STACK, SUBJECT, adapter_report, unresolved_report

from auditor.formats import base
from auditor.formats.cyclonedx import licenses_of
from auditor.models import AuditReport, License


def render(report: AuditReport) -> str:
    return base.get("cyclonedx").render(report)


def bom(report: AuditReport) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(render(report))
    return out


def test_valid_against_the_strict_1_6_schema(case: tuple[str, AuditReport], no_network: None):
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(render(case[1]), all_errors=True)
    assert error is None


def test_the_schema_check_catches_a_broken_bom(no_network: None):
    data = bom(adapter_report())
    data["metadata"]["component"]["modelCard"]["modelParameters"]["approach"] = {"type": "magic"}
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(data))
    assert error is not None


def test_subject_is_the_metadata_component(report: AuditReport, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")  # the timestamp is optional: only an injected one
    data = bom(report)
    assert (data["bomFormat"], data["specVersion"], data["version"]) == ("CycloneDX", "1.6", 1)
    assert data["serialNumber"].startswith("urn:uuid:")
    assert "timestamp" not in data["metadata"]
    subject = data["metadata"]["component"]
    rev = report.targets[0].snapshot.revision
    assert subject["type"] == "machine-learning-model"
    assert (subject["bom-ref"], subject["group"], subject["name"]) == (
        SUBJECT,
        "Ailiance-fr",
        "llama31-math-lora",
    )
    assert subject["purl"] == f"pkg:huggingface/{SUBJECT}@{rev}"
    assert subject["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]


def test_components_and_model_card(report: AuditReport):
    data = bom(report)
    comps = {c["bom-ref"]: c for c in data["components"]}
    assert set(comps) == {BASE, ROOT, ORCA, STACK}
    assert {r: c["type"] for r, c in comps.items()} == {
        BASE: "machine-learning-model",
        ROOT: "machine-learning-model",
        ORCA: "data",
        STACK: "data",
    }
    assert comps[ORCA]["data"][0]["type"] == "dataset"
    card = data["metadata"]["component"]["modelCard"]
    params = card["modelParameters"]
    assert params["task"] == "text-generation"
    assert params["modelArchitecture"] == f"lora adapter of rank 16 over {BASE}"
    refs = [d["ref"] for d in params["datasets"]]
    assert refs == sorted([ORCA, STACK])
    assert all(comps[r]["type"] == "data" for r in refs)  # refs resolve to data components
    props = {p["name"]: p["value"] for p in card["properties"]}
    assert props["ailiance-audit:hyperparameter.rank"] == "16"


def test_pedigree_holds_the_base_chain(report: AuditReport):
    subject = bom(report)["metadata"]["component"]
    [base_model] = subject["pedigree"]["ancestors"]
    assert (base_model["group"], base_model["name"]) == ("meta-llama", "Llama-3.1-8B-Instruct")
    assert base_model["licenses"][0]["license"]["name"] == "Llama 3.1 Community License Agreement"
    [root] = base_model["pedigree"]["ancestors"]
    assert root["name"] == "Llama-3.1-8B" and "licenses" not in root


def test_dependency_graph(report: AuditReport):
    deps = {d["ref"]: d["dependsOn"] for d in bom(report)["dependencies"]}
    assert deps == {
        SUBJECT: sorted([BASE, ORCA, STACK]),
        BASE: [ROOT],
        ROOT: [],
        ORCA: [],
        STACK: [],
    }


def test_an_unresolved_target_is_a_metadata_property():
    data = bom(unresolved_report())
    local = data["metadata"]["component"]  # the one target that has a graph
    assert local["bom-ref"] == "models/devstral-cpp-lora"
    assert "purl" not in local and "group" not in local  # a local path is no Hub repo
    assert "externalReferences" not in local
    props = {p["name"]: p["value"] for p in data["metadata"]["properties"]}
    assert props["ailiance-audit:target.unresolved"].startswith("Ailiance-fr/missing-lora: not")


def test_several_targets_have_no_single_metadata_component(report: AuditReport):
    two = replace(report, targets=(*report.targets, unresolved_report().targets[1]))
    data = bom(two)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(data)) is None
    assert "component" not in data["metadata"]
    comps = {c["bom-ref"]: c for c in data["components"]}
    assert {SUBJECT, "models/devstral-cpp-lora"} <= set(comps)
    assert "modelCard" in comps[SUBJECT] and "pedigree" in comps[SUBJECT]


def test_injected_time(monkeypatch: pytest.MonkeyPatch, report: AuditReport):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert bom(report)["metadata"]["timestamp"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("spdx", "expected"),
    [
        ("MIT", [{"license": {"id": "MIT", "acknowledgement": "declared"}}]),
        ("MIT OR Apache-2.0", [{"expression": "MIT OR Apache-2.0", "acknowledgement": "declared"}]),
        ("NOASSERTION", []),
        ("llama3.1", [{"license": {"name": "llama3.1", "acknowledgement": "declared"}}]),
    ],
)
def test_license_choices(spdx: str, expected: list[dict[str, Any]]):
    assert licenses_of(License(declared=spdx, spdx=spdx, name=spdx, known=True)) == expected
