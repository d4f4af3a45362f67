"""Shared helpers and the properties every format of this package owes: registry, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from format_cases import CASES, FORMATS, SUBJECT, adapter_report, unresolved_report
from hypothesis import given
from hypothesis import strategies as st

from auditor.formats import base, common
from auditor.models import AuditReport, RepoKind
from auditor.models.codec import dump, load

EXTENSIONS = {
    "sarif": ".sarif",
    "markdown": ".md",
    "spdx": ".spdx.json",
    "spdx3": ".spdx3.json",
    "cyclonedx": ".cdx.json",
}


@pytest.mark.parametrize("name", FORMATS)
def test_registered_under_its_name(name: str):
    assert name in base.names()
    formatter = base.get(name)
    assert formatter.name == name
    assert formatter.extension == EXTENSIONS[name]


@pytest.mark.parametrize("name", FORMATS)
def test_same_report_same_bytes(name: str, case: tuple[str, AuditReport]):
    report = case[1]
    first = base.get(name).render(report)
    again = base.get(name).render(load(AuditReport, json.loads(json.dumps(dump(report)))))
    assert first == again
    assert first.endswith("\n") and not first.endswith("\n\n")


_DIGEST_SCRIPT = """
import hashlib, sys
sys.path.insert(0, {here!r})
from format_cases import CASES
from auditor.formats import base
h = hashlib.sha256()
for case in sorted(CASES):
    for name in {formats!r}:
        h.update(base.get(name).render(CASES[case]()).encode())
print(h.hexdigest())
"""


def test_bytes_do_not_depend_on_hash_seed_or_process():
    script = _DIGEST_SCRIPT.format(here=str(Path(__file__).parent), formats=FORMATS)
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
        env["PYTHONHASHSEED"] = seed
        proc = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        digests.add(proc.stdout.strip())
    local = hashlib.sha256()
    for case in sorted(CASES):
        for name in FORMATS:
            local.update(base.get(name).render(CASES[case]()).encode())
    assert digests == {local.hexdigest()}


@pytest.mark.parametrize(
    ("node_id", "origin", "expected"),
    [
        ("meta-llama/Llama-3.1-8B", None, "meta-llama/Llama-3.1-8B"),
        (
            "datasets/HuggingFaceH4/stack-exchange-preferences",
            "hub",
            "HuggingFaceH4/stack-exchange-preferences",
        ),
        ("gpt2", "hub", "gpt2"),
        ("models/devstral-cpp-lora", "local", None),
        ("/Users/me/models/devstral", None, None),
        ("../escape/x", None, None),
        ("a/b/c", None, None),
        ('evil/x`]"', None, None),
    ],
)
def test_hub_repo_id(node_id: str, origin: str | None, expected: str | None):
    assert common.hub_repo_id(node_id, origin) == expected


def test_hub_links():
    assert common.hub_url("datasets/o/d", RepoKind.DATASET) == "https://huggingface.co/datasets/o/d"
    assert common.hub_purl("o/m", RepoKind.MODEL, "ABC123") == "pkg:huggingface/o/m@abc123"
    assert common.hub_purl("o/m", RepoKind.MODEL, None) is None
    assert common.hub_purl("o/d", RepoKind.DATASET, "abc") is None


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_safe_ids_are_clean_and_distinct(a: str, b: str):
    sa, sb = common.safe_id(a), common.safe_id(b)
    assert re.fullmatch(r"[A-Za-z0-9.-]+", sa)
    if a != b:
        assert sa != sb


def test_creation_time(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert common.creation_time() == datetime(2026, 1, 1, tzinfo=UTC)
    # Without an injected time (or with a malformed one) an SBOM says when it was made.
    for unset in ("", "not a number"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", unset)
        before = datetime.now(UTC).replace(microsecond=0)
        created = common.creation_time()
        assert before <= created <= datetime.now(UTC)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert common.creation_time().year > 1970


def test_document_names():
    report = adapter_report()
    assert common.document_name(report) == f"{SUBJECT}-{report.targets[0].snapshot.revision}"
    two = replace(report, targets=(*report.targets, *unresolved_report().targets))
    name = common.document_name(two)
    assert re.fullmatch(r"report-[0-9a-f]{16}", name)
    reordered = replace(two, targets=tuple(reversed(two.targets)))
    assert common.document_name(reordered) == name


def test_hyperparameters_prefer_evidence_over_claims():
    hyper = common.hyperparameters(adapter_report().targets[0])
    assert hyper["rank"] == "16"  # config; the card's 16 is the same value
    assert hyper["optimizer"] == "adam"  # evidence, not the card's "adamw" from prose
    assert list(hyper) == sorted(hyper)


def test_declared_expression():
    assert common.declared_expression("apache-2.0") == ("Apache-2.0", False)
    assert common.declared_expression("NOASSERTION") == (None, False)
    assert common.declared_expression("NONE") == ("NONE", False)
    ref, synthesised = common.declared_expression("llama3.1")
    assert synthesised and ref.startswith("LicenseRef-llama3.1")


@pytest.mark.parametrize("name", ["spdx", "spdx3", "cyclonedx"])
def test_sboms_do_not_depend_on_findings_or_baselines(name: str):
    from format_cases import baseline_report

    report = adapter_report()
    bare = replace(report, targets=tuple(replace(t, findings=()) for t in report.targets))
    rendered = base.get(name).render(report)
    assert base.get(name).render(baseline_report()) == rendered
    assert base.get(name).render(bare) == rendered
