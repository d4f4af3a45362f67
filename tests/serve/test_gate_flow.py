"""The gate end to end: real webhook POSTs to uvicorn, real huggingface_hub calls to the loopback
Hub, one comment per pull request, edited in place on each push."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hub.server import HubServer
from tests.serve.gate import (
    BOT,
    SECRET,
    TOKEN,
    Service,
    card,
    discussion_event,
    idle,
    push_event,
    settings,
    wait_for,
)

GOLDEN = Path(__file__).parent / "golden" / "sharealike-comment.md"
DOC = Path(__file__).parents[2] / "docs" / "hub-gate.md"
DOC_START, DOC_END = "<!-- gate-comment:start -->", "<!-- gate-comment:end -->"
REPO = "acme/gate-lora"
SHAREALIKE = card(
    {
        "license": "apache-2.0",
        "base_model": "acme/base-7b",
        "datasets": ["acme/data-mit", "acme/data-1"],
    },
    "# Gate LoRA\n\nA LoRA of acme/base-7b, now also trained on acme/data-1.\n",
)
FIXED = card(
    {"license": "apache-2.0", "base_model": "acme/base-7b", "datasets": ["acme/data-mit"]},
    "# Gate LoRA\n\nA LoRA of acme/base-7b (acme/data-1 dropped again).\n",
)


def bot_comments(hub: HubServer, num: int) -> list[str]:
    return [c.content for c in hub.discussions.comments("model", REPO, num) if c.author == BOT]


def test_sharealike_pr_gets_one_comment_then_the_fix_edits_it(
    gate_hub: HubServer, tmp_path: Path
) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": SHAREALIKE})
    with Service(settings(tmp_path / "gate.db", gate_hub.url, policy=("strict",))) as svc:
        # The Hub sends both when a PR is opened: the discussion and the new ref.
        assert svc.post(discussion_event(REPO, num)).status_code == 202
        assert svc.post(push_event(REPO, num, sha)).status_code == 202
        wait_for(lambda: bot_comments(gate_hub, num), "the first comment")
        wait_for(lambda: idle(svc.counts()), "the jobs to settle")
        first = bot_comments(gate_hub, num)
        assert len(first) == 1
        body = first[0]
        assert f"<!-- ailiance-audit:gate pr={num} sha={sha} -->" in body
        assert "❌ 1 new error, 0 new warnings" in body
        assert "`license.sharealike-leak` at `README.md:4`" in body
        assert "acme/data-1" in body and "CC-BY-SA-4.0" in body
        assert "docs/rules/license.sharealike-leak.md" in body
        assert "```mermaid" in body
        assert TOKEN not in body
        if os.environ.get("UPDATE_GOLDEN") == "1":
            GOLDEN.parent.mkdir(exist_ok=True)
            GOLDEN.write_text(body, encoding="utf-8")
            _update_doc(body)
        assert body == GOLDEN.read_text(encoding="utf-8")

        fixed_sha = gate_hub.discussions.push("model", REPO, num, {"README.md": FIXED})
        assert svc.post(push_event(REPO, num, fixed_sha, sha)).status_code == 202
        wait_for(lambda: "passes" in bot_comments(gate_hub, num)[0], "the edit to 'passes'")
        wait_for(lambda: idle(svc.counts()), "the jobs to settle")
        comments = gate_hub.discussions.comments("model", REPO, num)
        assert [c.author for c in comments] == [BOT]  # the same comment, edited in place
        assert comments[0].edited
        assert f"sha={fixed_sha}" in comments[0].content
        assert "### ailiance-audit: ✅ passes" in comments[0].content
        counts = svc.counts()  # two heads audited; the sha-less job of the open was collapsed
        assert counts["done"] == 2 and set(counts) <= {"done", "duplicate", "superseded"}
    assert gate_hub.count("POST /api/models/acme/gate-lora/discussions/1/comment") == 1


def _update_doc(body: str) -> None:
    """Put the comment between the markers of docs/hub-gate.md (with UPDATE_GOLDEN=1)."""
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(DOC_START) + len(DOC_START), text.index(DOC_END)
    DOC.write_text(text[:start] + "\n" + body + text[end:], encoding="utf-8")


def test_docs_show_the_comment_of_the_test_run() -> None:
    doc = DOC.read_text(encoding="utf-8")
    shown = doc[doc.index(DOC_START) + len(DOC_START) : doc.index(DOC_END)]
    assert shown.strip() == GOLDEN.read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()])
def test_bad_secret_is_401_and_queues_nothing(
    gate_hub: HubServer, tmp_path: Path, secret: str | None
) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": SHAREALIKE})
    with Service(settings(tmp_path / "gate.db", gate_hub.url)) as svc:
        answer = svc.post(push_event(REPO, num, sha), secret=secret)
        assert answer.status_code == 401
        assert svc.counts() == {}
    assert bot_comments(gate_hub, num) == []
