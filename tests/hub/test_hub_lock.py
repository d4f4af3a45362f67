"""Lock files: --lock writes every resolved repo, --locked pins each resolve to it."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.errors import TargetError, UsageError
from auditor.models import RepoKind, RepoSnapshot
from auditor.sources.base import Resolver
from auditor.sources.hub import HubSource
from auditor.sources.local import MirrorSource
from auditor.sources.lock import LockSource, read_lock, write_lock
from tests.hub.server import HubServer

Make = Callable[..., HubSource]
SHA = "a" * 40


def snap(
    repo_id: str, kind: RepoKind = RepoKind.MODEL, sha: str | None = SHA, ref: str | None = None
) -> RepoSnapshot:
    return RepoSnapshot(
        repo_id=repo_id, kind=kind, origin="hub", location="x", revision=sha, ref=ref
    )


def test_write_lock_is_sorted_and_deterministic(tmp_path: Path) -> None:
    snaps = [
        snap("b/m"),
        snap("a/m", sha="b" * 40),
        snap("a/d", RepoKind.DATASET),
        snap("b/m"),
        snap("c/local", sha=None),
    ]
    outputs = set()
    for seed in range(5):
        random.Random(seed).shuffle(snaps)
        write_lock(tmp_path / "lock.json", snaps)
        outputs.add((tmp_path / "lock.json").read_bytes())
    assert len(outputs) == 1
    doc = json.loads(outputs.pop())
    assert [(r["kind"], r["id"]) for r in doc["repos"]] == [
        ("dataset", "a/d"),
        ("model", "a/m"),
        ("model", "b/m"),
        ("model", "c/local"),
    ]
    assert read_lock(tmp_path / "lock.json") == {
        (RepoKind.DATASET, "a/d"): SHA,
        (RepoKind.MODEL, "a/m"): "b" * 40,
        (RepoKind.MODEL, "b/m"): SHA,
        (RepoKind.MODEL, "c/local"): None,
    }


def test_a_repo_at_two_commits_keeps_the_explicit_revision(tmp_path: Path) -> None:
    write_lock(tmp_path / "l.json", [snap("a/m", sha="c" * 40), snap("a/m", ref="refs/pr/2")])
    doc = json.loads((tmp_path / "l.json").read_text())
    assert doc["repos"] == [{"id": "a/m", "kind": "model", "ref": "refs/pr/2", "sha": SHA}]


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{", "not JSON"),
        ('{"version": 2, "repos": []}', "version 1"),
        ('{"version": 1, "repos": {}}', "'repos' must be a list"),
        ('{"version": 1, "repos": [{"kind": "space", "id": "a/b", "sha": null}]}', "kind must be"),
        ('{"version": 1, "repos": [{"kind": "model", "id": "a/b", "sha": "abc"}]}', "40-character"),
    ],
)
def test_invalid_lock_files_are_usage_errors(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "lock.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=problem) as err:
        read_lock(path)
    assert str(path) in str(err.value) and err.value.exit_code == 2
    with pytest.raises(UsageError, match="cannot read"):
        read_lock(tmp_path / "missing.json")


def test_locked_audit_pins_to_the_locked_sha(
    hub: HubServer, make_source: Make, tmp_path: Path
) -> None:
    recording = LockSource([make_source()])
    resolver = Resolver([recording])
    first = resolver.resolve("acme/lora-a", RepoKind.MODEL)
    resolver.resolve("acme/data-1", RepoKind.DATASET)
    write_lock(tmp_path / "audit.lock", recording.resolved)
    # main moves on after the lock was written
    moved = hub.data.add_revision("model", "acme/lora-a", "main", {"README.md": b"# moved\n"})
    assert moved != first.revision
    assert make_source().resolve("acme/lora-a", RepoKind.MODEL, None).revision == moved  # type: ignore[union-attr]

    locked = LockSource([make_source()], read_lock(tmp_path / "audit.lock"), "audit.lock")
    again = Resolver([locked]).resolve("acme/lora-a", RepoKind.MODEL, "main")
    assert again.revision == first.revision
    path = locked.path(again, "README.md")
    assert path is not None and path.read_text().endswith("# LoRA A\n")

    with pytest.raises(TargetError) as err:
        locked.resolve("acme/base-7b", RepoKind.MODEL, None)
    assert err.value.reason == "locked" and "not in audit.lock" in str(err.value)


def test_locked_sha_that_cannot_be_had(hub: HubServer, make_source: Make) -> None:
    locked = LockSource([make_source()], {(RepoKind.MODEL, "acme/lora-a"): "f" * 40})
    with pytest.raises(TargetError) as err:
        locked.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert err.value.reason == "locked" and "f" * 40 in str(err.value)


def test_locked_skips_an_unpinned_mirror(hub: HubServer, make_source: Make, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror" / "acme" / "lora-a"
    mirror.mkdir(parents=True)
    (mirror / "README.md").write_text("# mirror copy\n")
    sha = hub.data.get("model", "acme/lora-a").refs["main"]  # type: ignore[union-attr]
    locked = LockSource(
        [MirrorSource(tmp_path / "mirror"), make_source()], {(RepoKind.MODEL, "acme/lora-a"): sha}
    )
    snap_ = locked.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap_ is not None and snap_.origin == "hub" and snap_.revision == sha
    hub_only = LockSource(
        [MirrorSource(tmp_path / "mirror")], {(RepoKind.MODEL, "acme/lora-a"): sha}
    )
    with pytest.raises(TargetError, match="no pinned commit") as err:
        hub_only.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert err.value.reason == "locked"


def test_locked_offline_replay_makes_no_request(
    hub: HubServer, make_source: Make, tmp_path: Path
) -> None:
    recording = LockSource([make_source()])
    for repo, kind in (("acme/lora-a", RepoKind.MODEL), ("acme/base-7b", RepoKind.MODEL)):
        got = recording.resolve(repo, kind, None)
        assert got is not None and recording.path(got, "README.md") is not None
    write_lock(tmp_path / "l.json", recording.resolved)
    hub.reset_counts()
    locked = LockSource([make_source(offline=True)], read_lock(tmp_path / "l.json"))
    for repo in ("acme/lora-a", "acme/base-7b"):
        got = locked.resolve(repo, RepoKind.MODEL, None)
        assert got is not None and locked.path(got, "README.md") is not None
    assert hub.total == 0
