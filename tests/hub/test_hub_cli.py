"""The Hub source end to end, through the real CLI and the loopback Hub (no mirror option).

The Hub run gives the same findings as the mirror run; ``--offline`` after one online run gives
them again with zero requests; every failure mode of the subject exits 3 with its message; an
upstream failure becomes ``license.upstream-unknown`` with the reason; a token never shows.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.cli import main
from auditor.errors import EXIT_UNRESOLVED
from auditor.sources import hub as hub_module
from auditor.sources.hub_errors import RetryPolicy
from tests.hub.fixtures import EXAMPLE_MIRROR
from tests.hub.server import HubServer

SUBJECT = "Ailiance-fr/apertus-math-lora"
SECRET = "hf_CliSeCrEtToKeN0123456789abcdefghij"

pytestmark = pytest.mark.skipif(not EXAMPLE_MIRROR.is_dir(), reason="examples/hub is missing")


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds HubSource with default retries (seconds of backoff): keep tests quick."""
    monkeypatch.setattr(hub_module, "RetryPolicy", lambda: RetryPolicy(retries=1, backoff=0.01))


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--format", "json", "--verify", "none"])
    out, err = capsys.readouterr()
    return code, json.loads(out), out + err


def findings(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        (f["rule_id"], f["node"], f["message"]) for t in report["targets"] for f in t["findings"]
    )


def test_hub_run_equals_mirror_run_and_offline_makes_no_request(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code_m, mirror, _ = audit(capsys, SUBJECT, "--mirror", str(EXAMPLE_MIRROR))
    assert hub.total == 0
    code_h, online, _ = audit(capsys, SUBJECT)
    assert hub.total > 0 and code_h == code_m
    assert findings(online) == findings(mirror) and findings(online)
    target = online["targets"][0]
    assert target["snapshot"]["origin"] == "hub"
    assert target["snapshot"]["revision"] == hub.data.get("model", SUBJECT).refs["main"]  # type: ignore[union-attr]
    hub.reset_counts()
    code_o, offline, _ = audit(capsys, SUBJECT, "--offline")
    assert hub.total == 0
    assert (code_o, findings(offline)) == (code_h, findings(online))


@pytest.mark.parametrize(
    "fault, expected",
    [
        ({"status": 403, "error_code": "GatedRepo"}, "is gated"),
        ({"status": 401, "error_code": "RepoNotFound"}, "or private"),
        ({"status": 429, "headers": {"Retry-After": "3600"}}, "rate limited"),
        ({"status": 503}, "HTTP 503"),
        ({"action": "reset"}, "network failure"),
        ({"action": "truncate", "keep": 5}, "network failure"),
    ],
)
def test_failing_subject_exits_3_and_others_are_still_audited(
    hub: HubServer, capsys: pytest.CaptureFixture[str], fault: dict[str, Any], expected: str
) -> None:
    hub.add_fault(f"/api/models/{SUBJECT}", **fault)
    code, report, _ = audit(capsys, SUBJECT, "acme/lora-a", "acme/does-not-exist")
    assert code == EXIT_UNRESOLVED
    status = {t["target"]["spec"]: (t["status"], t["error"] or "") for t in report["targets"]}
    assert status[SUBJECT][0] == "unresolved" and expected in status[SUBJECT][1]
    assert status["acme/lora-a"][0] == "audited"
    assert status["acme/does-not-exist"][0] == "unresolved"
    assert "not found" in status["acme/does-not-exist"][1]


def test_failing_upstream_becomes_upstream_unknown_with_the_reason(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 503 on an upstream is "could not look": the target is audited, reported in full and
    marked incomplete, and the run exits 3 unless --allow-incomplete (then: by findings)."""
    hub.add_fault("/api/models/swiss-ai/Apertus-70B-2509", status=503)
    code, report, _ = audit(capsys, SUBJECT)
    target = report["targets"][0]
    assert target["status"] == "audited" and code == EXIT_UNRESOLVED
    assert any("Apertus-70B-2509" in w and "HTTP 503" in w for w in target["incomplete"])
    assert report["summary"]["incomplete"] == 1
    unknown = [
        f["message"] for f in target["findings"] if f["rule_id"] == "license.upstream-unknown"
    ]
    assert any("Apertus-70B-2509" in m and "HTTP 503" in m for m in unknown), unknown
    code, report, _ = audit(capsys, SUBJECT, "--allow-incomplete")
    assert code == 1 and report["targets"][0]["incomplete"]  # the example has errors


def test_an_upstream_that_does_not_exist_is_a_finding_not_a_gap(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add_fault("/api/models/swiss-ai/Apertus-70B-2509", status=404, error_code="RepoNotFound")
    code, report, _ = audit(capsys, SUBJECT)
    target = report["targets"][0]
    assert code == 1 and target["incomplete"] == []
    assert any(
        f["rule_id"] == "license.upstream-unknown" and "Apertus-70B-2509" in f["message"]
        for f in target["findings"]
    )


def test_token_never_appears_in_any_output(
    hub: HubServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    hub.add_fault(f"/api/models/{SUBJECT}", status=403, echo_auth=True, message="denied")
    code = main([SUBJECT, "acme/lora-a", "--verify", "none"])  # text output
    out, err = capsys.readouterr()
    assert code == EXIT_UNRESOLVED and SECRET not in out + err
    assert any(r.authorized for r in hub.log)  # the token was sent, just never shown
