"""The Hub options of the CLI through the loopback Hub: --lock/--locked, --author/--filter,
--from-file, and the header-only verification path (range reads, no weights download)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.errors import EXIT_UNRESOLVED, EXIT_USAGE
from auditor.sources import hub as hub_module
from auditor.sources.hub_errors import RetryPolicy
from tests.hub.server import HubServer


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_module, "RetryPolicy", lambda: RetryPolicy(retries=1, backoff=0.01))


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def test_lock_then_locked_pins_every_repo(
    hub: HubServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lock = tmp_path / "audit.lock"
    code, first = audit(capsys, "acme/lora-a", "--verify", "none", "--lock", str(lock))
    doc = json.loads(lock.read_text())
    ids = {(r["kind"], r["id"]) for r in doc["repos"]}
    assert {("model", "acme/lora-a"), ("model", "acme/base-7b"), ("dataset", "acme/data-1")} <= ids
    assert all(len(r["sha"]) == 40 for r in doc["repos"])
    code2, again = audit(capsys, "acme/lora-a", "--verify", "none", "--locked", str(lock))
    assert code2 == code
    pinned = first["targets"][0]["snapshot"]["revision"]
    assert again["targets"][0]["snapshot"]["revision"] == pinned
    # A repo missing from the lock cannot be had: exit 3, with the lock named.
    code3, report = audit(capsys, "acme/lora-b", "--verify", "none", "--locked", str(lock))
    assert code3 == EXIT_UNRESOLVED
    assert report["targets"][0]["status"] == "unresolved"


def test_invalid_lock_file_is_a_usage_error(
    hub: HubServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.lock"
    bad.write_text("{not json")
    assert main(["acme/lora-a", "--verify", "none", "--locked", str(bad)]) == EXIT_USAGE


def test_author_filter_and_from_file(
    hub: HubServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, report = audit(capsys, "--author", "acme", "--filter", "*lora*", "--verify", "none")
    specs = [t["target"]["spec"] for t in report["targets"]]
    assert specs == ["acme/lora-a", "acme/lora-b"]
    targets = tmp_path / "targets.txt"
    targets.write_text("# adapters to audit\nacme/lora-b\n\nacme/lora-a\nacme/lora-b\n")
    _, report = audit(capsys, "--from-file", str(targets), "--verify", "none")
    assert [t["target"]["spec"] for t in report["targets"]] == ["acme/lora-b", "acme/lora-a"]
    assert main(["--filter", "x*", "acme/lora-a"]) == EXIT_USAGE


def test_header_verification_reads_ranges_not_the_weights(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = audit(capsys, "acme/lora-a", "--verify", "header")
    evidence = report["targets"][0]["evidence"]
    assert evidence["verified_with"] == "header"
    assert evidence["tensor_ranks"] == [8]
    weights = [r for r in hub.log if r.path.endswith("adapters.safetensors") and r.method == "GET"]
    assert weights, "the header must come from the Hub"
    assert all(r.range is not None for r in weights), [(r.path, r.range) for r in weights]
