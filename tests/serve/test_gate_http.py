"""The service's HTTP surface: payload checks, health, the status page, start-up refusals."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from auditor.cli import main
from auditor.serve.events import BadPayload, parse
from tests.hub.server import HubServer
from tests.serve.gate import (
    TOKEN,
    Service,
    discussion_event,
    idle,
    push_event,
    repo_block,
    settings,
    wait_for,
)

SHA = "a" * 40


def test_documented_payloads_become_pr_heads() -> None:
    opened = parse(json.dumps(discussion_event("org/m", 19)).encode())
    assert [(h.repo_id, h.pr, h.sha, h.base) for h in opened.heads] == [("org/m", 19, None, "main")]
    pushed = parse(json.dumps(push_event("org/m", 3, SHA, "b" * 40)).encode())
    assert [(h.pr, h.sha) for h in pushed.heads] == [(3, SHA)]
    data = parse(json.dumps(push_event("org/d", 2, SHA, kind="dataset")).encode())
    assert data.heads[0].kind.value == "dataset"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"event": {"scope": "repo.config", "action": "update"}}, "scope 'repo.config'"),
        ({"event": {"scope": "repo.config.dois", "action": "update"}}, "is not audited"),
        ({"event": {"scope": "discussion.comment", "action": "create"}}, "is not audited"),
        (discussion_event("org/m", 4, status="merged"), "'merged' is not open"),
        (discussion_event("org/m", 4, action="delete"), "action 'delete'"),
        (discussion_event("org/m", 4, kind="space"), "repo type 'space'"),
        (
            {
                **push_event("org/m", 1, SHA),
                "updatedRefs": [{"ref": "refs/heads/main", "newSha": SHA}],
            },
            "no pull-request ref",
        ),
        (
            {**push_event("org/m", 1, SHA), "updatedRefs": [{"ref": "refs/pr/1", "newSha": None}]},
            "no pull-request ref",
        ),
    ],
)
def test_other_events_are_accepted_and_ignored_with_a_reason(payload: dict, reason: str) -> None:
    payload = {"repo": repo_block("org/m"), **payload}
    parsed = parse(json.dumps(payload).encode())
    assert parsed.heads == () and parsed.ignored is not None and reason in parsed.ignored


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"event": "discussion", "repo": {}}',
        json.dumps({"event": {"scope": 1, "action": "x"}, "repo": repo_block("o/m")}).encode(),
        json.dumps({**discussion_event("o/m", 1), "discussion": None}).encode(),
        json.dumps({**discussion_event("o/m", 1), "discussion": {"isPullRequest": True}}).encode(),
        json.dumps({**push_event("o/m", 1, SHA), "updatedRefs": ["refs/pr/1"]}).encode(),
        b"[" * 100_000,
    ],
)
def test_malformed_payloads_are_refused(body: bytes) -> None:
    with pytest.raises(BadPayload):
        parse(body)


def test_http_answers(
    gate_hub: HubServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ailiance_audit.serve")
    config = settings(tmp_path / "gate.db", gate_hub.url, max_body=4096)
    with Service(config) as svc:
        assert svc.post(b"{not json").status_code == 400
        assert svc.post(b'{"x": "' + b"y" * 5000 + b'"}').status_code == 413
        ignored = svc.post(
            {
                "event": {"scope": "repo.config", "action": "update"},
                "repo": repo_block("acme/gate-lora"),
            }
        )
        assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
        assert "webhook ignored: scope 'repo.config' is not audited" in caplog.text
        health = httpx.get(f"{svc.url}/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok", "jobs": {}}
        assert httpx.get(f"{svc.url}/status").status_code == 404  # no UI token: no page
        assert httpx.get(f"{svc.url}/webhook").status_code == 405


def test_status_page_needs_the_ui_token(gate_hub: HubServer, tmp_path: Path) -> None:
    num, sha = gate_hub.discussions.open_pr("model", "acme/gate-lora", {"NOTES.md": b"<b>x</b>"})
    config = settings(tmp_path / "gate.db", gate_hub.url, ui_token="ui-secret")
    with Service(config) as svc:
        svc.post(push_event("acme/gate-lora", num, sha))
        wait_for(lambda: idle(svc.counts()), "the audit")
        assert httpx.get(f"{svc.url}/status").status_code == 401
        assert httpx.get(f"{svc.url}/status", auth=("x", "wrong")).status_code == 401
        page = httpx.get(f"{svc.url}/status", auth=("anyone", "ui-secret"))
        assert page.status_code == 200
        assert "acme/gate-lora#1" in page.text and "passes" in page.text
        assert f"{gate_hub.url}/acme/gate-lora/discussions/1" in page.text
        assert "Content-Security-Policy" in page.text and TOKEN not in page.text
        report = httpx.get(f"{svc.url}/status/report/1", auth=("a", "ui-secret"))
        assert report.status_code == 200 and "<html" in report.text
        assert httpx.get(f"{svc.url}/status/report/1").status_code == 401
        assert httpx.get(f"{svc.url}/status/report/99", auth=("a", "ui-secret")).status_code == 404


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve"], "WEBHOOK_SECRET is not set"),
        (["serve", "--host", "0.0.0.0", "--allow-no-secret"], "WEBHOOK_SECRET is not set"),
        (["serve", "--allow-no-secret", "--policy", "nope.yaml"], "nope.yaml"),
        (["serve", "--allow-no-secret", "--no-token"], "HF_TOKEN is not set"),
        (["serve", "--allow-no-secret", "--workers", "0"], "--workers must be at least 1"),
        (["serve", "--allow-no-secret", "--config", "missing.yaml"], "--config missing.yaml"),
    ],
)
def test_refuses_to_start(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_placeholdertoken0000000000000000")
    if "--no-token" in argv:
        argv = [a for a in argv if a != "--no-token"]
        monkeypatch.delenv("HF_TOKEN")
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_config_file_is_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_placeholdertoken0000000000000000")
    bad = tmp_path / "gate.yaml"
    for text, message in [
        ("repos: {acme: {fail_on: sometimes}}", "fail_on is one of"),
        ("repos: {acme: {policy: [nope]}}", "acme"),
        ("repos: {acme: {waivers: [{rule: x}]}}", "waiver is missing"),
        ("repos: {acme: {mirrors: [nowhere]}}", "no such directory"),
        ("other: 1", "expected a mapping with one key"),
    ]:
        bad.write_text(text)
        argv = ["serve", "--allow-no-secret", "--config", str(bad)]
        assert main(argv) == 2, text
        assert message in capsys.readouterr().err, text
