"""Real git repositories for the hook and CI-gate tests (no mocks: git runs for real).

Cards: a fine-tune of the example hub's ``swiss-ai/Apertus-70B-Instruct-2509`` trained on a
NonCommercial dataset from a small extra mirror. Declaring ``apache-2.0`` drops the dataset's
NonCommercial terms (``license.noncommercial-leak``, an error); ``cc-by-nc-4.0`` carries them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_HUB = REPO_ROOT / "examples" / "hub"
RULE = "license.noncommercial-leak"
BASE = "swiss-ai/Apertus-70B-Instruct-2509"


def console_script() -> str:
    """The installed ``ailiance-audit`` script of the interpreter running the tests."""
    here = Path(sys.executable).parent / "ailiance-audit"
    found = str(here) if here.exists() else shutil.which("ailiance-audit")
    assert found, "the ailiance-audit console script is not installed (pip install -e .)"
    return found


def card(license_id: str, datasets: tuple[str, ...] = ("acme/nc-math",), extra: str = "") -> str:
    """A model card; ``extra`` is appended to the body."""
    lines = ["---", f"license: {license_id}", f"base_model: {BASE}", "datasets:"]
    lines += [f"- {d}" for d in datasets]
    lines += ["pipeline_tag: text-generation", "---", "", "# Apertus math fine-tune", ""]
    lines += [f"A fine-tune of `{BASE}` on math word problems.", "", extra]
    return "\n".join(lines)


BAD_CARD = card("apache-2.0")
GOOD_CARD = card("cc-by-nc-4.0")


def make_mirror(root: Path) -> Path:
    """An extra mirror with NonCommercial and permissive datasets."""
    for name, lic in (("nc-math", "cc-by-nc-4.0"), ("nc-geometry", "cc-by-nc-4.0")):
        d = root / "datasets" / "acme" / name
        d.mkdir(parents=True)
        (d / "README.md").write_text(f"---\nlicense: {lic}\n---\n# {name}\nResearch use only.\n")
    d = root / "datasets" / "acme" / "open-math"
    d.mkdir(parents=True)
    (d / "README.md").write_text("---\nlicense: cc0-1.0\n---\n# open-math\n")
    return root


def isolated_env(tmp: Path, mirror: Path) -> dict[str, str]:
    """Environment for git and the tool: isolated git config, offline, mirrors, the venv first."""
    cfg = tmp / "gitconfig"
    if not cfg.exists():
        cfg.write_text(
            "[user]\n\tname = Test\n\temail = test@example.org\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_CONFIG_GLOBAL=str(cfg),
        GIT_CONFIG_NOSYSTEM="1",
        HF_HUB_OFFLINE="1",
        AILIANCE_AUDIT_MIRROR=os.pathsep.join([str(EXAMPLE_HUB), str(mirror)]),
        PATH=os.pathsep.join([str(Path(console_script()).parent), env.get("PATH", "")]),
        PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
    )
    return env


def apply_isolated_env(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """:func:`isolated_env` with a fresh mirror, also applied to this process (for in-process
    ``main`` calls); the ``env`` fixture of tests/hooks and tests/baseline."""
    values = isolated_env(tmp, make_mirror(tmp / "mirror"))
    for key in list(os.environ):
        if key.startswith(("GIT_", "PRE_COMMIT")) and key not in values:
            monkeypatch.delenv(key)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def git(repo: Path, *args: str, env: dict[str, str], check: bool = True) -> str:
    """Run git in ``repo``; return stdout (raise with git's stderr when ``check``)."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def push(repo: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """``git push origin main`` (hooks run); the result carries the hook's output in stderr."""
    return subprocess.run(
        ["git", "-C", str(repo), "push", *extra, "origin", "main"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


def commit_all(repo: Path, message: str, env: dict[str, str]) -> str:
    """Stage everything, commit, return the new sha."""
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD", env=env).strip()


def model_repo(tmp: Path, env: dict[str, str], name: str = "apertus-nc-lora") -> tuple[Path, Path]:
    """A clone-like model repo with a bad card committed, and its bare remote."""
    remote = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", str(remote), env=env)
    repo = tmp / name
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    git(repo, "remote", "add", "origin", str(remote), env=env)
    (repo / "README.md").write_text(BAD_CARD)
    commit_all(repo, "card", env)
    return repo, remote


def remote_head(remote: Path, env: dict[str, str]) -> str | None:
    """The sha of ``main`` on the bare remote, ``None`` when it has none."""
    out = git(remote, "rev-parse", "--verify", "--quiet", "refs/heads/main", env=env, check=False)
    return out.strip() or None
