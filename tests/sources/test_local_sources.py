"""Local directory and mirror sources, target parsing, the resolver chain."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from auditor.errors import TargetError, UsageError
from auditor.models import RepoKind
from auditor.sources.base import Resolver, parse_target
from auditor.sources.local import LocalSource, MirrorSource


def test_parse_target_kinds(tmp_path: Path) -> None:
    assert parse_target("org/name").repo_id == "org/name"
    ds = parse_target("datasets/org/name")
    assert (ds.repo_id, ds.kind) == ("org/name", RepoKind.DATASET)
    local = parse_target(str(tmp_path))
    assert local.path == str(tmp_path.resolve()) and local.repo_id is None
    with pytest.raises(UsageError):
        parse_target("not a repo id!")
    with pytest.raises(UsageError):
        parse_target("./does-not-exist")
    with pytest.raises(UsageError):
        parse_target("org/../etc")


def test_mirror_resolves_models_and_datasets(tmp_path: Path) -> None:
    (tmp_path / "org" / "m").mkdir(parents=True)
    (tmp_path / "org" / "m" / "README.md").write_text("---\nlicense: mit\n---\n")
    (tmp_path / "datasets" / "org" / "d").mkdir(parents=True)
    (tmp_path / "datasets" / "org" / "d" / "README.md").write_text("x")
    resolver = Resolver([MirrorSource(tmp_path)])
    snap = resolver.resolve("org/m", RepoKind.MODEL)
    assert snap.origin == "mirror" and snap.files == ("README.md",)
    assert resolver.read_text(snap, "README.md") == "---\nlicense: mit\n---\n"
    assert resolver.resolve("org/d", RepoKind.DATASET).kind == RepoKind.DATASET
    with pytest.raises(TargetError, match="not found"):
        resolver.resolve("org/d", RepoKind.MODEL)
    with pytest.raises(TargetError):
        resolver.resolve("../etc", RepoKind.MODEL)


def test_symlinks_leaving_the_repo_are_ignored(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    os.symlink(secret, repo / "README.md")
    (repo / "config.json").write_text("{}")
    source = LocalSource(repo)
    snap = source.snapshot()
    assert snap.files == ("config.json",)
    assert source.path(snap, "README.md") is None
    assert source.path(snap, "../secret.txt") is None


def test_git_checkout_is_pinned_to_its_commit(tmp_path: Path) -> None:
    repo = tmp_path / "clone"
    repo.mkdir()
    (repo / "README.md").write_text("hello\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env)
    snap = LocalSource(repo).snapshot()
    assert snap.origin == "git" and snap.revision and len(snap.revision) == 40
    assert ".git/HEAD" not in snap.files
