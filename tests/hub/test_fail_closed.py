"""Fail closed, through the real CLI and the loopback Hub: "could not look" (5xx, the Hub down,
an offline cache miss, a malformed answer) is an incomplete audit and exits 3, "the upstream does
not exist" is a finding; offline runs read a Hugging Face cache filled by ``hf download``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.errors import EXIT_FINDINGS, EXIT_UNRESOLVED, EXIT_USAGE
from auditor.sources import hub as hub_module
from auditor.sources.hub_errors import RetryPolicy
from tests.hub.server import HubServer

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_CARD = b"---\nlicense: llama3.1\n---\n# Llama 3.1 8B Instruct\n"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds HubSource with default retries (seconds of backoff): keep tests quick."""
    monkeypatch.setattr(hub_module, "RetryPolicy", lambda: RetryPolicy(retries=1, backoff=0.01))


@pytest.fixture
def relabelled(tmp_path: Path, hub: HubServer) -> Path:
    """A Llama 3.1 LoRA whose card relabels it Apache-2.0 (the Hub has the base)."""
    hub.data.add_repo("model", LLAMA, {"README.md": LLAMA_CARD, "config.json": b"{}"})
    repo = tmp_path / "llama-lora"
    repo.mkdir()
    (repo / "README.md").write_text(
        f"---\nlicense: apache-2.0\nbase_model: {LLAMA}\ndatasets:\n- acme/data-1\n---\n"
        "# A LoRA\n\nTrained on acme/data-1.\n"
    )
    (repo / "adapter_config.json").write_text('{"fine_tune_type": "lora"}')
    return repo


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--format", "json", "--verify", "none"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def rules(report: dict[str, Any]) -> set[str]:
    return {f["rule_id"] for t in report["targets"] for f in t["findings"]}


def test_relabelled_llama_lora_fails_when_the_hub_answers(
    relabelled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reference run: with the base readable, the relabelling is an error (exit 1)."""
    code, report, _ = run(capsys, str(relabelled))
    assert code == EXIT_FINDINGS and report["targets"][0]["incomplete"] == []
    assert "license.upstream-unknown" not in rules(report)


def test_relabelled_llama_lora_with_the_hub_failing_exits_3(
    relabelled: Path, hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_fault(f"/api/models/{LLAMA}", status=503)
    code, report, _ = run(capsys, str(relabelled), "acme/lora-a")
    assert code == EXIT_UNRESOLVED
    target, other = report["targets"]
    assert target["status"] == "audited" and target["findings"]  # the full report is written
    assert any(LLAMA in w and "HTTP 503" in w for w in target["incomplete"])
    assert other["status"] == "audited" and other["incomplete"] == []  # not affected
    main([str(relabelled), "--verify", "none"])  # the text report says so in its header
    text = capsys.readouterr().out
    assert "1 incomplete" in text and f"INCOMPLETE: could not look at model '{LLAMA}'" in text
    assert "hf download" in text  # how to rerun it complete
    main([str(relabelled), "--verify", "none", "--format", "markdown"])
    markdown = capsys.readouterr().out
    assert "1 incomplete" in markdown and "> **incomplete**: could not look at" in markdown
    main([str(relabelled), "--verify", "none", "--format", "sarif"])
    (invocation,) = json.loads(capsys.readouterr().out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False  # not a clean run for code scanning
    assert any(
        n["descriptor"]["id"] == "target.incomplete" and LLAMA in n["message"]["text"]
        for n in invocation["toolExecutionNotifications"]
    )
    main([str(relabelled), "--verify", "none", "--format", "html"])
    page = capsys.readouterr().out
    assert "<b>incomplete</b>: could not look at" in page and LLAMA in page


def test_relabelled_llama_lora_with_the_hub_down_exits_3(
    relabelled: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", dead)
    code, report, _ = run(capsys, str(relabelled))
    assert code == EXIT_UNRESOLVED
    assert any(LLAMA in w and "network" in w for w in report["targets"][0]["incomplete"])
    code, report, _ = run(capsys, str(relabelled), "--allow-incomplete")
    assert code == EXIT_FINDINGS and report["targets"][0]["incomplete"]


def test_offline_reads_a_cache_filled_by_hf_download(
    relabelled: Path, hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = run(capsys, str(relabelled), "--offline")  # nothing cached yet
    assert code == EXIT_UNRESOLVED
    assert any(
        "in neither the mirrors nor the caches" in w for w in report["targets"][0]["incomplete"]
    )
    for rid, kind in ((LLAMA, "model"), ("acme/data-1", "dataset")):  # the real `hf download`
        done = subprocess.run(
            [str(Path(sys.executable).parent / "hf"), "download", rid, "--repo-type", kind],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    hub.reset_counts()
    code, report, _ = run(capsys, str(relabelled), "--offline")
    assert hub.total == 0
    target = report["targets"][0]
    assert code == EXIT_FINDINGS and target["incomplete"] == []
    base = next(n for n in target["graph"]["nodes"] if n["id"] == LLAMA)
    assert (
        base["resolved"] and base["origin"] == "cache" and base["license"]["spdx"] != "NOASSERTION"
    )


@pytest.mark.parametrize(
    "body, status",
    [
        ({"sha": "a" * 40, "siblings": []}, "unresolved"),  # no id
        ({"id": "acme/lora-a", "sha": 12, "siblings": []}, "unresolved"),  # not a commit sha
        ([1, 2, 3], "unresolved"),  # not an object
        # Usable once the bad parts are dropped: a listing without the null name, no card data.
        ({"id": "acme/lora-a", "sha": "a" * 40, "siblings": [{"rfilename": None}]}, "audited"),
        ({"id": "acme/lora-a", "sha": "a" * 40, "siblings": [], "cardData": "x"}, "audited"),
    ],
)
def test_a_malformed_model_info_is_a_documented_outcome_never_exit_4(
    hub: HubServer, capsys: pytest.CaptureFixture[str], body: Any, status: str
) -> None:
    hub.add_fault("/api/models/acme/lora-a", action="malformed-info", body=body)
    code, report, err = run(capsys, "acme/lora-a", "acme/lora-b")
    first, second = report["targets"]
    assert "internal error" not in err and second["status"] == "audited"
    assert first["status"] == status
    if status == "unresolved":
        assert code == EXIT_UNRESOLVED and "the Hub's answer is malformed" in first["error"]
    else:
        assert code == EXIT_FINDINGS and first["snapshot"]["files"] == []


def test_an_upstream_with_a_malformed_answer_leaves_the_audit_incomplete(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_fault("/api/models/acme/base-7b", action="malformed-info", body={"sha": "b" * 40})
    code, report, _ = run(capsys, "acme/lora-a")
    assert code == EXIT_UNRESOLVED
    assert any("malformed" in w for w in report["targets"][0]["incomplete"])


def test_a_cache_entry_of_the_wrong_shape_is_a_miss(
    hub: HubServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = run(capsys, "acme/lora-a")  # fills our API cache
    assert code in (0, 1)
    cache = Path(os.environ["HF_HOME"]) / "ailiance-audit"
    entries = sorted(cache.rglob("*.json"))
    assert entries
    for i, path in enumerate(entries):  # every entry of a wrong shape, each a different way
        path.write_text(
            json.dumps([{"sha": 1}, {"sha": "x", "files": "abc"}, "text", {"files": [1]}][i % 4])
        )
    code, report, err = run(capsys, "acme/lora-a", "--offline")
    assert code == EXIT_UNRESOLVED and "internal error" not in err
    assert report["targets"][0]["status"] == "unresolved"


def test_a_dataset_id_without_datasets_prefix_gets_a_hint(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = run(capsys, "acme/data-1")
    assert code == EXIT_UNRESOLVED
    assert "write datasets/acme/data-1" in report["targets"][0]["error"]
    assert "a dataset 'acme/data-1' exists" in report["targets"][0]["error"]


def test_a_bare_organisation_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["Ailiance-fr"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "not a repo" in err and "--author Ailiance-fr" in err
