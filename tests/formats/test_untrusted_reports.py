"""Bad input is data: reports built from arbitrary strings render in every format, still valid.

Node ids, license strings, messages and file names come from audited repositories; hypothesis
varies all of them and each output goes through its official validator.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from format_cases import TOOL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spdx_python_model import v3_0_1 as s
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from auditor.formats import base
from auditor.models import (
    AuditReport,
    Edge,
    Finding,
    License,
    LicenseGraph,
    Location,
    Node,
    RepoKind,
    Severity,
    Target,
    TargetReport,
)

SARIF_SCHEMA = json.loads(
    (Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json").read_text()
)
CDX = JsonStrictValidator(SchemaVersion.V1_6)  # built once: it compiles the schema lazily
_TEXT = st.text(max_size=30)
_IDS = st.one_of(
    st.from_regex(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}/[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True
    ),
    _TEXT,
)
_LICENSES = st.one_of(
    st.sampled_from(
        [
            "Apache-2.0",
            "MIT AND CC-BY-4.0",
            "NOASSERTION",
            "NONE",
            "llama3.1",
            "LicenseRef-hf-x",
            "GPL-3.0-only WITH Classpath-exception-2.0",
            "",
        ]
    ),
    _TEXT,
)


@st.composite
def reports(draw: st.DrawFn) -> AuditReport:
    ids = draw(st.lists(_IDS, min_size=1, max_size=4, unique=True))
    nodes = tuple(
        Node(
            id=nid,
            kind=draw(st.sampled_from(list(RepoKind))),
            role="subject" if i == 0 else draw(st.sampled_from(["base", "dataset"])),
            depth=i,
            resolved=draw(st.booleans()),
            origin=draw(st.sampled_from([None, "hub", "local"])),
            revision=draw(st.one_of(st.none(), _TEXT)),
            license=License(
                declared=draw(st.one_of(st.none(), _TEXT)),
                spdx=draw(_LICENSES),
                name=draw(_TEXT),
                known=draw(st.booleans()),
                terms_url=draw(st.one_of(st.none(), _TEXT)),
                notice_text=draw(st.one_of(st.none(), _TEXT)),
            ),
        )
        for i, nid in enumerate(ids)
    )
    edges = tuple(
        Edge(
            source=ids[0],
            target=nid,
            relation=draw(
                st.sampled_from(
                    ["adapter_of", "finetune_of", "merge_of", "quantized_of", "trained_on"]
                )
            ),
        )
        for nid in ids[1:]
    )
    findings = tuple(
        Finding(
            rule_id=draw(_TEXT),
            severity=draw(st.sampled_from(list(Severity))),
            title=draw(_TEXT),
            message=draw(_TEXT),
            node=draw(st.sampled_from(ids)),
            location=draw(
                st.one_of(
                    st.none(),
                    st.builds(
                        Location, file=_TEXT, line=st.one_of(st.none(), st.integers(-2, 10_000))
                    ),
                )
            ),
            help_uri=draw(st.one_of(st.none(), _TEXT)),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    target = TargetReport(
        target=Target(spec=ids[0], repo_id=ids[0], path=draw(st.one_of(st.none(), _TEXT))),
        status="audited",
        graph=LicenseGraph(subject=ids[0], nodes=nodes, edges=edges),
        findings=findings,
    )
    return AuditReport(tool=TOOL, targets=(target,))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_any_report_renders_valid_output(
    tmp_path_factory: pytest.TempPathFactory, report: AuditReport
):
    sarif = json.loads(base.get("sarif").render(report))
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(sarif)) == []

    path = tmp_path_factory.mktemp("spdx") / "r.spdx.json"
    path.write_text(base.get("spdx").render(report), encoding="utf-8")
    assert validate_full_spdx_document(parse_file(str(path))) == []

    objects = s.SHACLObjectSet()
    s.JSONLDDeserializer().read(io.BytesIO(base.get("spdx3").render(report).encode()), objects)
    assert objects.link() == set()

    cdx = base.get("cyclonedx").render(report)
    assert CDX.validate_str(cdx) is None

    assert base.get("markdown").render(report).endswith("\n")
