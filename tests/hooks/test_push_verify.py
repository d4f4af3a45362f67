"""The hook's verification level, through a real ``git push`` and the installed hook.

A push that changes an adapter's weights or config gets the mlx-lm load check (a tensor of the
wrong hidden size is blocked with its ``adapter.*`` rule); a card-only push stays at the header
level; an explicit ``--verify`` wins; a load check the hook chose that cannot run (mlx not
importable) is never a pass. The adapters and the base config come from the verify matrix's
generator (a real mlx-community config, tensors of the real shapes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from verify.matrix import Case, write_case

from hooks.gitrepo import commit_all, console_script, git, push, remote_head

pytestmark = pytest.mark.mlx
ARCH = "llama3.2-1b-4bit"
MISMATCH = "adapter.architecture-mismatch"


def _adapter(tmp: Path, variant: str) -> tuple[Path, Path]:
    """The generated adapter folder of ``variant`` and the mirror holding its base's config."""
    return write_case(Case(ARCH, "mlx-lm", variant, None), tmp / variant)[:2]


def _repo(tmp: Path, env: dict[str, str], variant: str, *install: str) -> tuple[Path, Path]:
    """A model repo holding the ``variant`` adapter, the hook installed, and its bare remote."""
    folder, mirror = _adapter(tmp, variant)
    env["AILIANCE_AUDIT_MIRROR"] += os.pathsep + str(mirror)
    remote = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", str(remote), env=env)
    repo = tmp / "matrix-lora"
    shutil.copytree(folder, repo)
    git(repo, "init", "-q", env=env)
    git(repo, "remote", "add", "origin", str(remote), env=env)
    commit_all(repo, "adapter", env)
    done = subprocess.run(
        [console_script(), "hook", "install", *install],
        cwd=repo, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return repo, remote


def _swap_weights(repo: Path, tmp: Path, variant: str) -> None:
    folder, _ = _adapter(tmp, variant)
    shutil.copy(folder / "adapters.safetensors", repo / "adapters.safetensors")


def test_changed_weights_get_the_load_check(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = _repo(tmp_path, env, "clean")
    first = push(repo, env)
    assert first.returncode == 0, first.stderr
    assert "adapter check: load (its weights or config changed): loads with mlx-lm" in first.stderr

    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nMore prose.\n")
    card = commit_all(repo, "card only", env)
    quick = push(repo, env)
    assert quick.returncode == 0, quick.stderr
    assert "adapter check: header (only the card, waivers or policies changed)" in quick.stderr
    assert "loads with mlx-lm" not in quick.stderr  # no load ran
    assert remote_head(remote, env) == card

    _swap_weights(repo, tmp_path, "wrong-hidden")  # same names, hidden size 64 too large
    commit_all(repo, "retrained", env)
    blocked = push(repo, env)
    assert blocked.returncode == 1, blocked.stderr
    assert MISMATCH in blocked.stderr
    assert "does not load with mlx-lm" in blocked.stderr
    assert remote_head(remote, env) == card  # the wrong adapter did not reach the remote


def test_wrong_hidden_size_blocked_on_first_push(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = _repo(tmp_path, env, "wrong-hidden")
    blocked = push(repo, env)
    assert blocked.returncode == 1, blocked.stderr
    assert MISMATCH in blocked.stderr
    assert remote_head(remote, env) is None


def test_explicit_verify_wins(tmp_path: Path, env: dict[str, str]) -> None:
    """``--verify header`` recorded at install is what runs, even on changed weights."""
    repo, remote = _repo(tmp_path, env, "wrong-hidden", "--verify", "header")
    passed = push(repo, env)
    assert "adapter check: header (as asked): header read" in passed.stderr
    assert MISMATCH not in passed.stderr  # the header alone cannot see the hidden size
    assert passed.returncode == 0 and remote_head(remote, env) is not None


def test_load_check_that_cannot_run_is_not_a_pass(tmp_path: Path, env: dict[str, str]) -> None:
    """mlx shadowed by a package that fails to import: the push is blocked as incomplete."""
    repo, remote = _repo(tmp_path, env, "wrong-hidden")
    broken = tmp_path / "broken" / "mlx"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('mlx is broken here')\n")
    env["PYTHONPATH"] = str(broken.parent)
    blocked = push(repo, env)
    assert blocked.returncode != 0, blocked.stderr  # git reports any hook failure as 1
    assert "the audit is incomplete (exit 3)" in blocked.stderr
    assert (
        "incomplete: could not look at the adapter's mlx-lm load check of adapters.safetensors"
        in blocked.stderr
    )
    assert "the mlx-lm load check did not run; install mlx-lm" in blocked.stderr
    assert "make the Hub reachable" not in blocked.stderr  # the Hub is not what is missing
    assert "mlx is broken here" in blocked.stderr
    assert remote_head(remote, env) is None
