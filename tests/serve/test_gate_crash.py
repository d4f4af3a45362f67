"""``ailiance-audit serve`` as users start it (a subprocess), killed with SIGKILL and restarted:
no job lost, no comment posted twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.hub.server import HubServer
from tests.serve.gate import BOT, SECRET, TOKEN, card, push_event, wait_for

REPO = "acme/gate-lora"
ROOT = Path(__file__).resolve().parents[2]
CHANGED = card(
    {"license": "apache-2.0", "base_model": "acme/base-7b", "datasets": ["acme/data-mit"]},
    "# Gate LoRA\n\nA LoRA of acme/base-7b, described at more length.\n",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def service(hub: HubServer, db: Path, log: Path) -> Iterator[str]:
    """The service in its own process; yields its URL, SIGKILLs it on exit if still running."""
    port = free_port()
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": TOKEN,
        "WEBHOOK_SECRET": SECRET,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "auditor", "serve", "--port", str(port), "--db", str(db)]
    cmd += ["--verify", "none", "--retry-base", "0.2", "--log-level", "debug"]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, "the service to start")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)


def post(url: str, payload: object) -> int:
    headers = {"X-Webhook-Secret": SECRET, "Content-Type": "application/json"}
    return httpx.post(f"{url}/webhook", content=json.dumps(payload), headers=headers).status_code


def bot_comments(hub: HubServer, num: int) -> list[str]:
    return [c.content for c in hub.discussions.comments("model", REPO, num) if c.author == BOT]


def health(url: str) -> dict[str, int]:
    data: dict[str, int] = httpx.get(f"{url}/healthz", timeout=10).json()["jobs"]
    return data


def test_killed_mid_audit_resumes_on_restart(gate_hub: HubServer, tmp_path: Path) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    readme = f"/acme/gate-lora/resolve/{sha}/README.md"
    stall = gate_hub.add_fault(readme, delay=60.0)  # the audit hangs on the PR's card
    db, log = tmp_path / "gate.db", tmp_path / "service.log"
    with service(gate_hub, db, log) as url:
        assert post(url, push_event(REPO, num, sha)) == 202
        wait_for(lambda: stall.hits, "the audit to reach the PR's card")
        assert health(url) == {"running": 1}
    gate_hub.clear_faults()  # the process is gone (SIGKILL), mid-audit
    assert bot_comments(gate_hub, num) == []
    with service(gate_hub, db, log) as url:
        wait_for(lambda: bot_comments(gate_hub, num), "the resumed audit's comment")
        wait_for(lambda: health(url) == {"done": 1}, "the job to be done")
    assert len(bot_comments(gate_hub, num)) == 1
    assert "resuming 1 job(s)" in log.read_text()
    assert TOKEN not in log.read_text()


def test_killed_after_the_hub_stored_the_comment_never_posts_twice(
    gate_hub: HubServer, tmp_path: Path
) -> None:
    num, sha = gate_hub.discussions.open_pr("model", REPO, {"README.md": CHANGED})
    path = f"/api/models/{REPO}/discussions/{num}/comment"
    slow = gate_hub.add_fault(path, delay=3.0, methods=("POST",), times=1)
    db, log = tmp_path / "gate.db", tmp_path / "service.log"
    with service(gate_hub, db, log) as url:
        assert post(url, push_event(REPO, num, sha)) == 202
        wait_for(lambda: slow.hits, "the comment call to start")
    # Killed while the Hub was answering: the Hub stores the comment, the job table never hears.
    wait_for(lambda: bot_comments(gate_hub, num), "the Hub to store the comment")
    with service(gate_hub, db, log) as url:
        wait_for(lambda: health(url) == {"done": 1}, "the recovered job to finish")
    assert len(bot_comments(gate_hub, num)) == 1
    assert gate_hub.count(f"POST {path}") == 1  # found by its marker, not posted again
    assert "already on the PR" in log.read_text()
