"""SPDX 3.0.1 JSON-LD: golden files, a round trip through spdx-python-model, the AI profile."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

from format_cases import BASE, ORCA, ROOT, STACK, SUBJECT, adapter_report
from spdx_python_model import v3_0_1 as s

from auditor.formats import base
from auditor.models import AuditReport

NO_ASSERTION = "expandedlicensing_NoAssertionLicense"


def render(report: AuditReport) -> str:
    return base.get("spdx3").render(report)


def graph(report: AuditReport) -> list[dict[str, Any]]:
    data = json.loads(render(report))
    assert data["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    items: list[dict[str, Any]] = data["@graph"]
    return items


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in items if o["type"] in ("ai_AIPackage", "dataset_DatasetPackage")}


def relations(items: list[dict[str, Any]], rtype: str) -> set[tuple[str, str]]:
    return {
        (o["from"], to)
        for o in items
        if o["type"] == "Relationship" and o["relationshipType"] == rtype
        for to in o["to"]
    }


def test_round_trips_through_the_spdx_bindings(case: tuple[str, AuditReport], no_network: None):
    text = render(case[1])
    objects = s.SHACLObjectSet()
    s.JSONLDDeserializer().read(io.BytesIO(text.encode()), objects)
    assert objects.link() == set()  # every reference resolves (no missing elements)
    out = io.BytesIO()
    s.JSONLDSerializer(indent=2, ensure_ascii=False).write(objects, out)
    assert json.loads(out.getvalue()) == json.loads(text)
    docs = list(objects.foreach_type(s.SpdxDocument))
    assert len(docs) == 1


def test_element_types(report: AuditReport):
    items = graph(report)
    pkgs = by_name(items)
    assert {n: p["type"] for n, p in pkgs.items()} == {
        SUBJECT: "ai_AIPackage",
        BASE: "ai_AIPackage",
        ROOT: "ai_AIPackage",
        ORCA: "dataset_DatasetPackage",
        STACK: "dataset_DatasetPackage",
    }
    assert pkgs[SUBJECT]["software_primaryPurpose"] == "model"
    assert pkgs[ORCA]["software_primaryPurpose"] == "data"
    assert pkgs[ORCA]["dataset_datasetType"] == ["noAssertion"]
    assert pkgs[ORCA]["dataset_datasetAvailability"] == "directDownload"
    rev = report.targets[0].snapshot.revision
    assert pkgs[SUBJECT]["software_packageUrl"] == f"pkg:huggingface/{SUBJECT}@{rev}"
    [doc] = [o for o in items if o["type"] == "SpdxDocument"]
    assert doc["rootElement"] == [pkgs[SUBJECT]["spdxId"]]
    assert set(doc["profileConformance"]) >= {
        "core",
        "software",
        "simpleLicensing",
        "ai",
        "dataset",
    }
    [info] = [o for o in items if o["type"] == "CreationInfo"]
    assert info["specVersion"] == "3.0.1" and info["created"] == "1970-01-01T00:00:00Z"


def test_lineage_and_training_relationships(report: AuditReport):
    items = graph(report)
    ids = {n: p["spdxId"] for n, p in by_name(items).items()}
    assert relations(items, "trainedOn") == {(ids[SUBJECT], ids[ORCA]), (ids[SUBJECT], ids[STACK])}
    assert relations(items, "descendantOf") == {(ids[SUBJECT], ids[BASE]), (ids[BASE], ids[ROOT])}
    assert relations(items, "dependsOn") == {(ids[SUBJECT], ids[BASE])}


def test_ai_profile_license_conformance(case: tuple[str, AuditReport]):
    """SPDX 3.0.1 AI profile: exactly one declared and one concluded license per AIPackage."""
    items = graph(case[1])
    packages = [
        o["spdxId"] for o in items if o["type"] in ("ai_AIPackage", "dataset_DatasetPackage")
    ]
    declared = Counter(f for f, _ in relations(items, "hasDeclaredLicense"))
    concluded = relations(items, "hasConcludedLicense")
    assert all(declared[p] == 1 for p in packages)
    assert concluded == {(p, NO_ASSERTION) for p in packages}


def test_declared_licenses(report: AuditReport):
    items = graph(report)
    objs = {o.get("spdxId"): o for o in items}
    ids = {n: p["spdxId"] for n, p in by_name(items).items()}
    declared = dict(relations(items, "hasDeclaredLicense"))
    assert objs[declared[ids[SUBJECT]]]["simplelicensing_licenseExpression"] == "Apache-2.0"
    assert declared[ids[ROOT]] == NO_ASSERTION
    llama = objs[declared[ids[BASE]]]
    ref = "LicenseRef-scancode-llama-3.1-license-2024"
    assert llama["simplelicensing_licenseExpression"] == ref
    [entry] = llama["simplelicensing_customIdToUri"]
    assert entry["key"] == ref
    text = objs[entry["value"]]
    assert text["type"] == "simplelicensing_SimpleLicensingText"
    assert text["simplelicensing_licenseText"].startswith("Llama 3.1 is licensed under")


def test_subject_ai_fields(report: AuditReport):
    subject = by_name(graph(report))[SUBJECT]
    hyper = {e["key"]: e["value"] for e in subject["ai_hyperparameter"]}
    assert hyper["rank"] == "16" and hyper["scale"] == "2.0" and hyper["learning_rate"] == "1e-05"
    assert hyper["target_modules"] == "self_attn.q_proj,self_attn.v_proj"
    assert subject["ai_typeOfModel"] == ["lora adapter"]
    assert subject["ai_informationAboutApplication"] == "text-generation"
    assert f"adapter_of {BASE}" in subject["ai_informationAboutTraining"]
    assert subject["ai_standardCompliance"] == [
        "EU AI Act Art. 53(1)(c) copyright policy (stated by the model card, not verified)",
        "EU AI Act Art. 53(1)(d) public summary of training content (stated by the model card, "
        "not verified)",
    ]
    assert "ai_hyperparameter" not in by_name(graph(report))[BASE]


def test_ids_are_stable_across_renders():
    first, second = graph(adapter_report()), graph(adapter_report())
    assert [o.get("spdxId") for o in first] == [o.get("spdxId") for o in second]
