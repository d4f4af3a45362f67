"""Duplicates, bursts, a full queue, Hub failures while commenting, forged markers."""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from auditor.serve.store import JobStore
from tests.hub.server import HubServer
from tests.serve.gate import (
    BOT,
    TOKEN,
    Service,
    card,
    discussion_event,
    idle,
    push_event,
    settings,
    wait_for,
)

REPO = "acme/gate-lora"
CHANGED = card(
    {"license": "apache-2.0", "base_model": "acme/base-7b", "datasets": ["acme/data-mit"]},
    "# Gate LoRA\n\nA LoRA of acme/base-7b, with a longer description.\n",
)


def comments(hub: HubServer, repo: str, num: int = 1) -> list[tuple[str, bool, str]]:
    return [(c.author, c.edited, c.content) for c in hub.discussions.comments("model", repo, num)]


def test_duplicate_deliveries_are_audited_once(gate_hub: HubServer, tmp_path: Path) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    with Service(settings(tmp_path / "gate.db", gate_hub.url)) as svc:
        answers = [svc.post(push_event(REPO, num, sha)).json() for _ in range(4)]
        answers.append(svc.post(discussion_event(REPO, num, action="update")).json())
        wait_for(lambda: idle(svc.counts()) and comments(gate_hub, REPO), "the comment")
        states = [a["jobs"][0]["status"] for a in answers]
        assert states[0] == "queued" and states[1:4] == ["duplicate"] * 3
        assert svc.counts()["done"] == 1
        # A redelivery after the audit is still the same head: not audited again.
        assert svc.post(push_event(REPO, num, sha)).json()["jobs"][0]["status"] == "duplicate"
        svc.post(discussion_event(REPO, num, action="update"))
        wait_for(lambda: idle(svc.counts()), "the jobs to settle")
        assert svc.counts().get("done") == 1
    assert [(a, e) for a, e, _ in comments(gate_hub, REPO)] == [(BOT, False)]
    assert gate_hub.count(f"GET /api/models/{REPO}/revision/{sha}") == 1  # one audit of the head


def test_burst_of_200_events_audits_each_head_exactly_once(
    gate_hub: HubServer, tmp_path: Path
) -> None:
    repos = [f"acme/burst-{i:02d}" for i in range(25)]
    events, shas = [], {}
    for repo in repos:
        gate_hub.data.add_repo("model", repo, {"README.md": card({"license": "mit"}, "# Burst")})
        num, sha = gate_hub.discussions.open_pr(
            "model", repo, {"README.md": card({"license": "mit"}, f"# Burst {repo}")}
        )
        events += [discussion_event(repo, num)] + [push_event(repo, num, sha)] * 7
        shas[repo] = sha
    random.Random(17).shuffle(events)
    assert len(events) == 200
    with Service(settings(tmp_path / "gate.db", gate_hub.url)) as svc:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda e: svc.post(e).status_code, events))
        assert codes == [202] * 200
        wait_for(lambda: idle(svc.counts()), "the burst to be audited", guard=300)
        counts = svc.counts()
        assert counts["done"] == 25, counts
        assert set(counts) <= {"done", "duplicate", "superseded"}
    for repo in repos:
        assert [(a, e) for a, e, _ in comments(gate_hub, repo)] == [(BOT, False)], repo
        assert gate_hub.count(f"POST /api/models/{repo}/discussions/1/comment") == 1
        assert gate_hub.count(f"GET /api/models/{repo}/revision/{shas[repo]}") == 1  # one audit


def test_full_queue_answers_503_with_retry_after(gate_hub: HubServer, tmp_path: Path) -> None:
    heads = []
    for i in range(3):
        repo = f"acme/queue-{i}"
        gate_hub.data.add_repo("model", repo, {"README.md": card({"license": "mit"}, "# Q")})
        heads.append((repo, *gate_hub.discussions.open_pr("model", repo, {"NOTES.md": b"x"})))
    # the first job's PR read stalls, so the three POSTs all meet a busy worker
    gate_hub.add_fault("/api/models/acme/queue-*/discussions/*", delay=5.0, times=1)
    with Service(settings(tmp_path / "gate.db", gate_hub.url, max_queue=2, workers=1)) as svc:
        answers = [svc.post(push_event(repo, num, sha)) for repo, num, sha in heads]
        assert [a.status_code for a in answers] == [202, 202, 503]
        assert answers[2].headers["Retry-After"] == "30"
        # A duplicate of a queued head is not refused: it takes no place in the queue.
        assert svc.post(push_event(*heads[0])).status_code == 202
        wait_for(lambda: idle(svc.counts()), "the queue to drain")
        assert svc.post(push_event(*heads[2])).status_code == 202  # room again
        wait_for(lambda: idle(svc.counts()), "the queue to drain")
        assert svc.counts() == {"done": 3}


def test_comment_errors_5xx_then_429_are_retried_without_losing_the_result(
    gate_hub: HubServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    path = f"/api/models/{REPO}/discussions/{num}/comment"
    fail = gate_hub.add_fault(path, status=500, times=1, methods=("POST",), echo_auth=True)
    limit = gate_hub.add_fault(
        path, status=429, times=1, methods=("POST",), headers={"Retry-After": "1"}
    )
    with Service(settings(tmp_path / "gate.db", gate_hub.url)) as svc:
        assert svc.post(push_event(REPO, num, sha)).status_code == 202
        wait_for(lambda: comments(gate_hub, REPO), "the comment after the retries")
        wait_for(lambda: idle(svc.counts()), "the job to settle")
        assert svc.counts() == {"done": 1}
    job = JobStore(tmp_path / "gate.db").recent(1)[0]
    assert (job.state, job.attempts, job.sha) == ("done", 2, sha)
    assert job.comment is not None and TOKEN not in job.comment
    assert (fail.hits, limit.hits) == (1, 1)
    assert gate_hub.count(f"POST {path}") == 3
    assert [(a, e) for a, e, _ in comments(gate_hub, REPO)] == [(BOT, False)]
    assert "retry 1" in caplog.text and "retry 2" in caplog.text
    assert TOKEN not in caplog.text  # the 500 echoed the Authorization header


def test_a_forged_marker_from_someone_else_is_ignored(gate_hub: HubServer, tmp_path: Path) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    from huggingface_hub import HfApi

    forged = f"<!-- ailiance-audit:gate pr={num} sha={sha} -->\n### ailiance-audit: ✅ passes"
    contributor = HfApi(endpoint=gate_hub.url, token="hf_contributortoken000000000000000000")
    contributor.comment_discussion(REPO, num, forged)
    with Service(settings(tmp_path / "gate.db", gate_hub.url)) as svc:
        svc.post(push_event(REPO, num, sha))
        wait_for(lambda: len(comments(gate_hub, REPO)) == 2, "the bot's own comment")
        wait_for(lambda: idle(svc.counts()), "the job to settle")
    found = comments(gate_hub, REPO)
    assert [(a, e) for a, e, _ in found] == [("contributor", False), (BOT, False)]
    assert found[0][2] == forged  # not edited, not trusted


def test_pushes_to_one_pr_run_in_order_and_the_newest_head_wins(
    gate_hub: HubServer, tmp_path: Path
) -> None:
    num, first = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    pushes = [
        gate_hub.discussions.push("model", REPO, num, {"NOTES.md": b"%d" % k}) for k in (0, 1)
    ]
    heads = [first, *pushes]
    details = f"/api/models/{REPO}/discussions/{num}"
    stall = gate_hub.add_fault(details, delay=3.0, times=1)  # the first audit starts slowly
    with Service(settings(tmp_path / "gate.db", gate_hub.url, workers=2)) as svc:
        svc.post(push_event(REPO, num, heads[0]))
        wait_for(lambda: stall.hits, "the first job to start")
        for sha in heads[1:]:
            svc.post(push_event(REPO, num, sha))
        wait_for(lambda: idle(svc.counts()), "the pushes to settle")
        # the first was overtaken while running, the second while queued: one answer, the newest
        assert svc.counts() == {"done": 1, "superseded": 2}
    found = comments(gate_hub, REPO)
    assert len(found) == 1 and f"sha={heads[2]}" in found[0][2]
    assert gate_hub.count(f"POST /api/models/{REPO}/discussions/{num}/comment*") == 1


def test_the_config_file_sets_policy_fail_on_and_waivers_per_repo(
    gate_hub: HubServer, tmp_path: Path
) -> None:
    from auditor.serve.config import RepoSettings, load_gate_config

    config = tmp_path / "gate.yaml"
    config.write_text(
        "repos:\n"
        "  acme:\n"
        "    fail_on: warning\n"
        "  acme/gate-lora:\n"
        "    waivers:\n"
        "      - rule: license.attribution-missing\n"
        "        reason: credits are on the model page\n"
        "        owner: legal@acme.example\n"
        "        expires: 2999-01-01\n"
        "      - rule: card.never-fires\n"
        "        reason: written for the whole org\n"
        "        owner: legal@acme.example\n"
        "        expires: 2999-01-01\n"
    )
    gate = load_gate_config(config, RepoSettings(verify="none"))
    sharealike = card(
        {"license": "apache-2.0", "base_model": "acme/base-7b", "datasets": ["acme/data-1"]},
        "# Gate LoRA\n",
    )
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": sharealike})
    with Service(settings(tmp_path / "gate.db", gate_hub.url, gate=gate)) as svc:
        svc.post(push_event(REPO, num, sha))
        wait_for(lambda: comments(gate_hub, REPO) and idle(svc.counts()), "the comment")
    body = comments(gate_hub, REPO)[0][2]
    # default policy: ShareAlike is a warning, and this org fails on warnings
    assert "### ailiance-audit: ❌ 0 new errors, 1 new warning" in body
    assert "<summary>1 new finding(s) waived</summary>" in body
    assert "`license.attribution-missing`: credits are on the model page" in body
    assert "waiver.unused" not in body  # the org-wide waiver that matched nothing is not news


def test_a_closed_pull_request_is_skipped_and_audited_when_reopened(
    gate_hub: HubServer, tmp_path: Path
) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    pr = gate_hub.discussions.get("model", REPO, num)
    assert pr is not None
    pr.status = "closed"
    with Service(settings(tmp_path / "gate.db", gate_hub.url)) as svc:
        svc.post(push_event(REPO, num, sha))
        wait_for(lambda: svc.counts() == {"skipped": 1}, "the job to be skipped")
        assert comments(gate_hub, REPO) == []
        pr.status = "open"
        reopened = svc.post(discussion_event(REPO, num, action="update"))
        assert reopened.json()["jobs"][0]["status"] == "queued"
        wait_for(lambda: comments(gate_hub, REPO) and idle(svc.counts()), "the comment")
        assert svc.counts() == {"skipped": 1, "done": 1}
    assert f"sha={sha}" in comments(gate_hub, REPO)[0][2]
