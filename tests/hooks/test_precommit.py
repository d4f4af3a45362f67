"""The shipped ``.pre-commit-hooks.yaml``: valid, in sync with the code, and working in pre-commit.

pre-commit installs a ``language: python`` hook by pip-installing the hook repository into a
fresh virtualenv, which needs the package index (mlx, huggingface_hub…): tests stay offline, so
the end-to-end test runs the shipped definition as a ``repo: local`` hook, identical except that
it uses the ``ailiance-audit`` already installed (``language: unsupported``, formerly ``system``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.hooks.changes import TRIGGER_PATTERN, is_trigger
from hooks.gitrepo import GOOD_CARD, REPO_ROOT, RULE, commit_all, model_repo, push, remote_head

pre_commit = pytest.importorskip("pre_commit", reason="pip install -e '.[test]' installs it")

SHIPPED = REPO_ROOT / ".pre-commit-hooks.yaml"


def shipped_hook() -> dict[str, Any]:
    hooks = yaml.safe_load(SHIPPED.read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    hook: dict[str, Any] = hooks[0]
    return hook


def run_pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


def test_shipped_manifest_is_valid_and_matches_the_code(env: dict[str, str]) -> None:
    hook = shipped_hook()
    assert hook["id"] == "ailiance-audit"
    assert hook["entry"] == "ailiance-audit hook run"
    assert hook["language"] == "python"
    assert set(hook["stages"]) == {"pre-push", "manual"}
    assert hook["pass_filenames"] is False
    assert hook["files"] == TRIGGER_PATTERN  # the hook and `hook run` agree on what matters
    done = run_pre_commit(REPO_ROOT, env, "validate-manifest", str(SHIPPED))
    assert done.returncode == 0, done.stdout + done.stderr
    example = REPO_ROOT / "examples" / "pre-commit-config.yaml"
    done = run_pre_commit(REPO_ROOT, env, "validate-config", str(example))
    assert done.returncode == 0, done.stdout + done.stderr
    assert yaml.safe_load(example.read_text())["repos"][0]["hooks"][0]["id"] == hook["id"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", True),
        ("models/a/README.md", True),
        ("adapter_config.json", True),
        ("adapters.safetensors", True),
        ("sub/0000050_adapters.safetensors", True),
        (".ailiance-audit.yaml", True),
        ("policies/house.yaml", True),
        (".ailiance-audit/rules.yml", True),
        ("docs/README.md.bak", False),
        ("config.json", False),
        ("notes.txt", False),
        ("policies/tests/case.yaml", False),
        ("README.mdx", False),
    ],
)
def test_trigger_files(path: str, expected: bool) -> None:
    assert is_trigger(path) is expected


def local_config(hook: dict[str, Any]) -> str:
    from pre_commit.all_languages import languages

    local = dict(hook, language="unsupported" if "unsupported" in languages else "system")
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}, sort_keys=False)


def test_push_through_pre_commit(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = model_repo(tmp_path, env)
    (repo / ".pre-commit-config.yaml").write_text(local_config(shipped_hook()))
    commit_all(repo, "pre-commit config", env)
    done = run_pre_commit(repo, env, "install", "--hook-type", "pre-push")
    assert done.returncode == 0, done.stdout + done.stderr

    # First push of a new history: pre-commit audits the work tree (all files).
    rejected = push(repo, env)
    assert rejected.returncode != 0
    assert RULE in rejected.stdout + rejected.stderr
    assert "git push --no-verify" in rejected.stdout + rejected.stderr
    assert remote_head(remote, env) is None

    (repo / "README.md").write_text(GOOD_CARD)
    good = commit_all(repo, "fix the license", env)
    accepted = push(repo, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert remote_head(remote, env) == good

    # Known remote sha: pre-commit passes PRE_COMMIT_FROM_REF/TO_REF and the hook audits the range.
    (repo / "README.md").write_text(GOOD_CARD.replace("cc-by-nc-4.0", "mit"))
    commit_all(repo, "relicense", env)
    rejected = push(repo, env)
    assert rejected.returncode != 0 and RULE in rejected.stdout + rejected.stderr
    assert remote_head(remote, env) == good

    (repo / "README.md").write_text(GOOD_CARD + "\nCredits: acme/nc-math (CC BY-NC 4.0).\n")
    fixed = commit_all(repo, "back to NC, with credits", env)
    accepted = push(repo, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert remote_head(remote, env) == fixed

    (repo / "README.md").write_text(GOOD_CARD.replace("cc-by-nc-4.0", "apache-2.0"))
    manual = run_pre_commit(
        repo, env, "run", "--hook-stage", "manual", "--all-files", "ailiance-audit"
    )
    assert manual.returncode != 0 and RULE in manual.stdout  # by hand: the work tree
