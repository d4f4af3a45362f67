"""The facts document's ``derived`` section: data for the packs, computed from the other facts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from auditor.facts import build_facts, derive, sci
from auditor.licenses import normalise
from auditor.models import (
    AdapterEvidence,
    CardClaims,
    CardMetadata,
    ComputeEstimate,
    LicenseGraph,
    Location,
    Node,
    PstField,
    PstSummary,
    RepoKind,
    RepoSnapshot,
)
from auditor.models.codec import dump, load
from auditor.policy.loader import builtin_dir
from auditor.policy.testing import case_facts


def _field(key: str, value: str, line: int) -> PstField:
    return PstField(key=key, label=key, value=value, location=Location(file="README.md", line=line))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (7.06e10, "7.06×10^10"),
        (2.169e17, "2.17×10^17"),
        (1.02e-7, "1.02×10^-7"),
        (512000, "5.12×10^5"),
        (0.5, "0.5"),
        (1500, "1500"),
        (None, "unknown"),
        (0, "0"),
        (9.996e5, "1×10^6"),
        (float("nan"), "unknown"),
    ],
)
def test_numbers_are_formatted_for_messages(value: float | None, text: str) -> None:
    assert sci(value) == text


def test_build_facts_reads_license_and_notice_files() -> None:
    snapshot = RepoSnapshot(
        repo_id="org/Llama-3.1-x",
        kind=RepoKind.MODEL,
        origin="local",
        location="/tmp/x",
        files=("README.md", "LICENSE", "NOTICE.txt", "sub/LICENSE"),
    )
    subject = Node(
        id="org/Llama-3.1-x",
        kind=RepoKind.MODEL,
        role="subject",
        depth=0,
        resolved=True,
        license=normalise("llama3.1"),
    )
    files = {
        "LICENSE": "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date",
        "NOTICE.txt": "Llama 3.1 is licensed under the Llama 3.1 Community License,\n"
        "  Copyright © Meta Platforms, Inc. All Rights Reserved.",
    }
    read: list[str] = []

    def read_text(name: str) -> str | None:
        read.append(name)
        return files.get(name)

    claims = CardClaims(metadata=CardMetadata(license=("llama3.1",)))
    facts = build_facts(
        snapshot,
        claims,
        LicenseGraph(subject=subject.id, nodes=(subject,)),
        AdapterEvidence(),
        ComputeEstimate(),
        read_text=read_text,
    )
    derived = facts.derived
    assert sorted(read) == ["LICENSE", "NOTICE.txt"]  # top-level files only
    assert derived["license_files"] == ["LICENSE"]
    assert derived["license_file_licenses"] == [
        {"file": "LICENSE", "license": "LicenseRef-scancode-llama-3.1-license-2024", "line": 1}
    ]
    assert derived["notice_text"].startswith(
        "llama 3.1 is licensed under the llama 3.1 community license, copyright © meta"
    )
    assert derived["subject_name"] == "Llama-3.1-x" and derived["subject_org"] == "org"


def test_declared_licenses_and_subject_ids() -> None:
    claims = CardClaims(metadata=CardMetadata(license=("Apache 2.0", "MIT OR CC-BY-4.0")))
    facts = case_facts(
        {
            "card": dump(claims),
            "subject": {"license": dump(normalise("MIT OR CC-BY-4.0"))},
        }
    )
    declared = facts.derived["declared_licenses"]
    assert [(d["value"], d["matched_by"], d["suggestion"]) for d in declared] == [
        ("Apache 2.0", "alias", "apache-2.0"),
        ("MIT OR CC-BY-4.0", "spdx-expression", None),
    ]
    ids = facts.derived["subject_license_ids"]
    assert {"mit", "cc-by-4.0", "apache-2.0"} <= set(ids) and "or" not in ids


def test_training_summary_size_bucket_and_stated_size() -> None:
    pst = PstSummary(
        sections=("1.3",),
        fields=(
            _field(
                "size-bucket",
                "☐ Less than 1 billion tokens ☐ 1 billion–10 trillion tokens "
                "☒ More than 10 trillion tokens",
                18,
            ),
            _field("size-alternative", "≈ 0.05 M tokens (90 PDF-derived training pairs)", 19),
            _field(
                "model-dependencies",
                "LoRA of org/base <https://huggingface.co/org/base>; summary "
                "https://example.org/base-summary.pdf.",
                13,
            ),
        ),
    )
    facts = case_facts({"card": dump(CardClaims(pst=pst))})
    size = facts.derived["pst_size"]
    assert size == {"bucket": "gt-10t", "tokens": 50000.0, "tokens_text": "5×10^4", "line": 18}
    assert facts.derived["pst_field_links"]["model-dependencies"] == [
        "https://huggingface.co/org/base",
        "https://example.org/base-summary.pdf",
    ]


def test_claim_values_group_distinct_values_per_name() -> None:
    loc = {"file": "README.md", "line": 1}
    claims = [
        {"name": "optimizer", "value": "adam", "raw": "Adam", "source": "table", "location": loc},
        {"name": "optimizer", "value": "adamw", "raw": "AdamW", "source": "prose", "location": loc},
        {"name": "scale", "value": 2, "raw": "2", "source": "table", "location": loc},
        {"name": "scale", "value": 2.0, "raw": "2.0", "source": "prose", "location": loc},
        {
            "name": "target_modules",
            "value": ["v", "q"],
            "raw": "v,q",
            "source": "table",
            "location": loc,
        },
        {
            "name": "target_modules",
            "value": ["q", "v"],
            "raw": "q,v",
            "source": "prose",
            "location": loc,
        },
    ]
    values = case_facts({"card": {"hyperparameters": claims}}).derived["claim_values"]
    assert values == {"optimizer": ["adam", "adamw"], "scale": [2], "target_modules": [["q", "v"]]}


def test_every_derived_key_a_pack_reads_exists() -> None:
    used: set[str] = set()
    for pack in builtin_dir().glob("*.yaml"):
        used |= set(re.findall(r"\bderived\.(\w+)", pack.read_text(encoding="utf-8")))
    available = set(derive(case_facts({})))
    assert used and used <= available, used - available


def test_upstream_indexes_point_at_positions() -> None:
    from auditor.models import Facts
    from auditor.policy.testing import base_facts, merge

    def node(i: int, **over: Any) -> dict[str, Any]:
        return {"id": f"o/n{i}", "kind": "dataset", "role": "dataset", "depth": 1,
                "resolved": True, "license": {"declared": "x", "spdx": "X", "name": "x",
                                              "known": True}, **over}

    up = [
        node(0, license={"declared": "cc-by-sa-4.0", "spdx": "CC-BY-SA-4.0", "name": "s",
                         "known": True, "sharealike": True}),
        node(1, depth=3, gated_prompt="AUP"),
        node(2, depth=2, gated_prompt="AUP",
             statements=[{"kind": "scraping-declared", "text": "t",
                          "location": {"file": "README.md", "line": 1}}]),
    ]
    derived = derive(load(Facts, merge(base_facts(), {"upstream": up})))
    assert derived["upstream_by_trait"]["sharealike"] == [0]
    assert derived["upstream_by_trait"]["known"] == [0, 1, 2]
    assert derived["upstream_by_statement"] == {"scraping-declared": [2]}
    assert derived["gate_depth"] == {"AUP": 2}
