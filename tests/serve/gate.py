"""Helpers of the gate tests: the service on a real uvicorn server, webhook payloads, waiting.

The payloads have the shapes of the Hub's webhooks guide (version 3): a ``discussion`` event for
an opened pull request (``discussion.isPullRequest``, ``changes.base``) and a ``repo.content``
event whose top-level ``updatedRefs`` moves ``refs/pr/N``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from auditor.serve.cli import build
from auditor.serve.config import GateConfig, RepoSettings, ServiceSettings

SECRET = "gate-test-secret"
TOKEN = "hf_gatebottoken0123456789abcdefghij"  # shaped like a Hub token: must never leak
BOT = "gate-bot"
HANG_GUARD = 120.0  # seconds: a hang guard, not a timing assertion


def repo_block(repo_id: str, kind: str = "model", head_sha: str | None = None) -> dict[str, Any]:
    prefix = "datasets/" if kind == "dataset" else ""
    block: dict[str, Any] = {
        "type": kind,
        "name": repo_id,
        "id": "6366c000a2abcdf2fd69a080",
        "private": False,
        "url": {
            "web": f"https://huggingface.co/{prefix}{repo_id}",
            "api": f"https://huggingface.co/api/{kind}s/{repo_id}",
        },
        "owner": {"id": "61d2000c3c2083e1c08af22d"},
    }
    if head_sha:
        block["headSha"] = head_sha
    return block


def discussion_event(
    repo_id: str, num: int, *, kind: str = "model", action: str = "create", status: str = "open"
) -> dict[str, Any]:
    """The payload the Hub sends when a pull request is opened (or updated)."""
    prefix = "datasets/" if kind == "dataset" else ""
    web = f"https://huggingface.co/{prefix}{repo_id}/discussions/{num}"
    return {
        "event": {"action": action, "scope": "discussion"},
        "repo": repo_block(repo_id, kind),
        "discussion": {
            "id": "6399f58518721fdd27fc9ca9",
            "title": "Update card",
            "url": {
                "web": web,
                "api": f"https://huggingface.co/api/{kind}s/{repo_id}/discussions/{num}",
            },
            "status": status,
            "author": {"id": "61d2f90c3c2083e1c08af22d"},
            "num": num,
            "isPullRequest": True,
            "changes": {"base": "refs/heads/main"},
        },
        "comment": {
            "id": "6399f58518721fdd27fc9caa",
            "author": {"id": "61d2f90c3c2083e1c08af22d"},
            "content": "Add a dataset",
            "hidden": False,
            "url": {"web": f"{web}#6399f58518721fdd27fc9caa"},
        },
        "webhook": {"id": "6390e855e30d9209411de93b", "version": 3},
    }


def push_event(
    repo_id: str, num: int, new_sha: str, old_sha: str | None = None, *, kind: str = "model"
) -> dict[str, Any]:
    """The payload the Hub sends when a commit lands on ``refs/pr/N``."""
    return {
        "event": {"action": "update", "scope": "repo.content"},
        "repo": repo_block(repo_id, kind, head_sha="0" * 40),
        "updatedRefs": [{"ref": f"refs/pr/{num}", "oldSha": old_sha, "newSha": new_sha}],
        "webhook": {"id": "6390e855e30d9209411de93b", "version": 3},
    }


def card(meta: dict[str, Any], body: str = "# A LoRA\n") -> bytes:
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in meta.items()), "---", "", body]
    return "\n".join(lines).encode()


def settings(
    db: Path,
    hub_url: str,
    *,
    policy: tuple[str, ...] = ("default",),
    fail_on: str = "error",
    verify: str = "none",
    **kwargs: Any,
) -> ServiceSettings:
    defaults = RepoSettings(policy=policy, fail_on=fail_on, verify=verify)  # type: ignore[arg-type]
    options: dict[str, Any] = {
        "secret": SECRET,
        "token": TOKEN,
        "endpoint": hub_url,
        "workers": 2,
        "retry_base": 0.2,
    }
    options.update(kwargs)
    gate = options.pop("gate", GateConfig(defaults=defaults))
    return ServiceSettings(db=db, gate=gate, **options)


class Service:
    """The gate app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, config: ServiceSettings) -> None:
        self.settings = config
        self.app = build(config)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self.client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=16))

    def __enter__(self) -> Service:
        self._thread.start()
        wait_for(lambda: self.server.started, "uvicorn to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(30)
        self._sock.close()
        self.client.close()

    def post(self, payload: Any, secret: str | None = SECRET, **kwargs: Any) -> httpx.Response:
        headers = {"X-Webhook-Secret": secret} if secret is not None else {}
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.client.post(
            f"{self.url}/webhook",
            content=body,
            headers={"Content-Type": "application/json", **headers},
            **kwargs,
        )

    def counts(self) -> dict[str, int]:
        data: dict[str, int] = self.client.get(f"{self.url}/healthz").json()["jobs"]
        return data


def wait_for(predicate: Callable[[], Any], what: str, guard: float = HANG_GUARD) -> Any:
    """Poll until ``predicate()`` is truthy; fail after the hang guard."""
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"hang guard: still waiting for {what} after {guard:.0f}s")


def idle(counts: dict[str, int]) -> bool:
    """No job queued, running or waiting to post."""
    return not any(counts.get(s) for s in ("queued", "running", "commenting", "posting"))
