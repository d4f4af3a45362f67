"""SPDX 2.3: golden files, spdx-tools' parser and validator (and pyspdxtools), the mapping."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from format_cases import BASE, ORCA, ROOT, STACK, SUBJECT, adapter_report
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from auditor.formats import base
from auditor.formats.spdx import spdx_id
from auditor.models import AuditReport, License, RepoKind


def render(report: AuditReport) -> str:
    return base.get("spdx").render(report)


def doc(report: AuditReport) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(render(report))
    return out


def validate(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "report.spdx.json"
    path.write_text(text, encoding="utf-8")
    document = parse_file(str(path))
    return [m.validation_message for m in validate_full_spdx_document(document)]


def rels(d: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in d["relationships"]
    }


def test_valid_for_spdx_tools(case: tuple[str, AuditReport], tmp_path: Path, no_network: None):
    assert validate(render(case[1]), tmp_path) == []


def test_pyspdxtools_accepts_and_converts_it(tmp_path: Path):
    path = tmp_path / "adapter.spdx.json"
    path.write_text(render(adapter_report()), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "spdx_tools.spdx.clitools.pyspdxtools", "-i", str(path), "-o", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "SPDXVersion: SPDX-2.3" in proc.stdout
    assert f"PackageName: {BASE}" in proc.stdout


def test_the_validator_catches_a_broken_document(tmp_path: Path):
    d = doc(adapter_report())
    d["packages"][0]["licenseDeclared"] = "LicenseRef-undeclared"
    assert validate(json.dumps(d), tmp_path) != []


def test_packages_and_licenses(report: AuditReport):
    d = doc(report)
    pkgs = {p["name"]: p for p in d["packages"]}
    assert set(pkgs) == {SUBJECT, BASE, ROOT, ORCA, STACK}
    subject = pkgs[SUBJECT]
    assert subject["licenseDeclared"] == "Apache-2.0"
    assert subject["downloadLocation"] == f"https://huggingface.co/{SUBJECT}"
    assert subject["versionInfo"] == report.targets[0].snapshot.revision
    assert subject["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE_MANAGER",
            "referenceType": "purl",
            "referenceLocator": f"pkg:huggingface/{SUBJECT}@{subject['versionInfo']}",
        }
    ]
    assert all(p["licenseConcluded"] == "NOASSERTION" for p in d["packages"])
    assert pkgs[ROOT]["licenseDeclared"] == "NOASSERTION"  # unresolved, license unknown
    assert "not resolved" in pkgs[ROOT]["comment"]
    assert pkgs[ORCA]["downloadLocation"] == f"https://huggingface.co/datasets/{ORCA}"
    llama = "LicenseRef-scancode-llama-3.1-license-2024"
    assert pkgs[BASE]["licenseDeclared"] == llama
    [extracted] = d["hasExtractedLicensingInfos"]
    assert extracted["licenseId"] == llama
    assert extracted["extractedText"].startswith("Llama 3.1 is licensed under")
    assert extracted["seeAlsos"] == ["https://www.llama.com/llama3_1/license/"]


def test_lineage_relationships(report: AuditReport):
    d = doc(report)
    sid = {n: spdx_id(n, RepoKind.MODEL) for n in (SUBJECT, BASE, ROOT)}
    ds = {n: spdx_id(n, RepoKind.DATASET) for n in (ORCA, STACK)}
    assert rels(d) == {
        ("SPDXRef-DOCUMENT", "DESCRIBES", sid[SUBJECT]),
        (sid[SUBJECT], "DESCENDANT_OF", sid[BASE]),
        (sid[SUBJECT], "DEPENDS_ON", sid[BASE]),
        (sid[BASE], "DESCENDANT_OF", sid[ROOT]),
        (ds[ORCA], "BUILD_DEPENDENCY_OF", sid[SUBJECT]),
        (ds[STACK], "BUILD_DEPENDENCY_OF", sid[SUBJECT]),
    }
    comments = {r.get("comment") for r in d["relationships"]}
    assert "ailiance-audit relation: trained_on (inferred)" in comments


def test_namespace_and_time_are_derived_not_random(
    report: AuditReport, monkeypatch: pytest.MonkeyPatch
):
    d = doc(report)
    rev = report.targets[0].snapshot.revision
    assert d["documentNamespace"] == f"https://spdx.org/spdxdocs/ailiance-audit/{SUBJECT}-{rev}"
    assert d["creationInfo"]["created"] == "1970-01-01T00:00:00Z"
    assert d["creationInfo"]["creators"] == ["Tool: ailiance-audit-0.1.0"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert doc(report)["creationInfo"]["created"] == "2026-01-01T00:00:00Z"


def test_unpinned_and_empty_namespaces():
    from format_cases import empty_report

    report = adapter_report()
    t = report.targets[0]
    nodes = tuple(replace(n, revision=None) for n in t.graph.nodes)
    unpinned = replace(t, graph=replace(t.graph, nodes=nodes), snapshot=None)
    d = doc(replace(report, targets=(unpinned,)))
    assert d["documentNamespace"].endswith(f"/{SUBJECT}-unpinned")
    assert "externalRefs" not in next(p for p in d["packages"] if p["name"] == SUBJECT)
    empty = doc(empty_report())
    assert empty["documentNamespace"].endswith("/empty")
    assert rels(empty) == {("SPDXRef-DOCUMENT", "DESCRIBES", "NONE")}


@pytest.mark.parametrize("declared", ["llama3.1", "apache 2.0 (", "GPL-2.0 OR"])
def test_a_license_that_is_no_spdx_expression_becomes_a_licenseref(declared: str, tmp_path: Path):
    report = adapter_report()
    t = report.targets[0]
    weird = License(declared=declared, spdx=declared, name=declared, known=False)
    nodes = (replace(t.graph.nodes[0], license=weird), *t.graph.nodes[1:])
    t = replace(t, graph=replace(t.graph, nodes=nodes))
    text = render(replace(report, targets=(t,)))
    assert validate(text, tmp_path) == []
    d = json.loads(text)
    subject = next(p for p in d["packages"] if p["name"] == SUBJECT)
    assert subject["licenseDeclared"].startswith("LicenseRef-")
    info = {e["licenseId"]: e for e in d["hasExtractedLicensingInfos"]}
    assert declared in info[subject["licenseDeclared"]]["extractedText"]


def test_package_ids_are_unique_for_colliding_names():
    a, b = spdx_id("a/b-c", RepoKind.MODEL), spdx_id("a-b/c", RepoKind.MODEL)
    assert a != b
    assert spdx_id("a_b/c", RepoKind.MODEL) != spdx_id("a-b/c", RepoKind.MODEL)
    assert spdx_id(SUBJECT, RepoKind.MODEL) == "SPDXRef-model-Ailiance-fr--llama31-math-lora"
