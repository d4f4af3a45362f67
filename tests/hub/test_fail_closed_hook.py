"""The pre-push hook follows the fail-closed rule: with the Hub unreachable it audits offline,
and an upstream that neither the mirrors nor the caches hold blocks the push (a real git push
through the installed hook, as in tests/hooks)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from hooks.gitrepo import (
    commit_all,
    console_script,
    git,
    isolated_env,
    make_mirror,
    push,
    remote_head,
)

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
CARD = f"""---
license: llama3.1
base_model: {LLAMA}
datasets:
- acme/open-math
---

# A Llama 3.1 LoRA

Built with Llama. Trained on acme/open-math.
"""


def dead_endpoint() -> str:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_push_whose_upstream_could_not_be_checked_is_blocked(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, make_mirror(tmp_path / "mirror"))
    env.pop("HF_HUB_OFFLINE")  # the hook finds out by itself that the Hub is unreachable
    env.update(HF_ENDPOINT=dead_endpoint(), HF_HOME=str(tmp_path / "hf-home"))
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote), env=env)
    repo = tmp_path / "llama-lora"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    git(repo, "remote", "add", "origin", str(remote), env=env)
    (repo / "README.md").write_text(CARD)
    commit_all(repo, "card", env)
    installed = subprocess.run(
        [console_script(), "hook", "install"], cwd=repo, capture_output=True, text=True, env=env
    )
    assert installed.returncode == 0, installed.stderr

    blocked = push(repo, env)
    assert blocked.returncode != 0, blocked.stderr
    assert "auditing offline" in blocked.stderr  # it said so, and it did not let it through
    assert f"incomplete: could not look at model '{LLAMA}'" in blocked.stderr
    assert "--mirror DIR" in blocked.stderr and "hf download" in blocked.stderr  # how to rerun
    assert remote_head(remote, env) is None
