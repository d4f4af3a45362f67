"""The mirror's cheap path check gives the answer of the full resolve: a plain file through plain
folders by ``lstat`` alone, anything with a link (or an odd name) by the resolve, and a link out
of the repo is refused whichever way it is reached; capped reads read what ``read(limit)`` did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.files import read_capped
from auditor.models import RepoKind
from auditor.sources.base import Resolver
from auditor.sources.listing import list_dir, plain_file
from auditor.sources.local import MirrorSource, inside


def _slow(root: Path, name: str) -> Path | None:
    """What ``inside`` answered before the cheap check: resolve, then contain."""
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "mirror" / "org" / "m"
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "README.md").write_text("card")
    (root / "sub" / "deep" / "config.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("token")
    os.symlink(tmp_path / "secret.txt", root / "out.md")  # a link out of the repo
    os.symlink(root / "README.md", root / "in.md")  # a link inside it
    os.symlink(tmp_path, root / "updir")  # a folder link out
    os.symlink(root / "sub", root / "subdir")  # a folder link inside
    os.mkfifo(root / "fifo")
    return root.resolve()


NAMES = [
    "README.md", "sub/deep/config.json", "out.md", "in.md", "updir/secret.txt",
    "subdir/deep/config.json", "fifo", "sub", "missing", "sub/missing/x", "README.md/x",
    "../secret.txt", "sub/../README.md", "./README.md", "sub//deep/config.json", "/etc/passwd",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_inside_answers_as_the_resolve_did(repo: Path, name: str) -> None:
    assert inside(repo, name) == _slow(repo, name)


def test_only_plain_paths_skip_the_resolve(repo: Path) -> None:
    assert plain_file(str(repo), "README.md") is True
    assert plain_file(str(repo), "sub/deep/config.json") is True
    assert plain_file(str(repo), "missing") is False
    assert plain_file(str(repo), "fifo") is False
    for name in ("out.md", "in.md", "updir/secret.txt", "../secret.txt", "sub/../README.md"):
        assert plain_file(str(repo), name) is None, name


def test_the_listing_and_the_mirror_refuse_links_out(repo: Path) -> None:
    files = list_dir(repo).files
    assert "out.md" not in files and "in.md" in files and "fifo" not in files
    mirror = repo.parents[1]
    resolver = Resolver([MirrorSource(mirror)])
    snap = resolver.resolve("org/m", RepoKind.MODEL)
    assert snap.files == files
    assert resolver.read_text(snap, "in.md") == "card"
    assert resolver.read_text(snap, "out.md") is None
    assert resolver.read_text(snap, "updir/secret.txt") is None


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, 100])
def test_read_capped_reads_what_read_limit_did(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(size)))
    with path.open("rb") as fh:
        assert read_capped(fh, 10) == path.read_bytes()[:10]


def test_read_capped_reads_on_when_the_file_grew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcdefgh")
    stale = os.stat_result((0o100644, 0, 0, 1, 0, 0, 3, 0, 0, 0))  # the size before it grew
    monkeypatch.setattr("auditor.files.os.fstat", lambda _: stale)
    with path.open("rb") as fh:
        assert read_capped(fh, 6) == b"abcdef"
    with path.open("rb") as fh:
        assert read_capped(fh, 100) == b"abcdefgh"
