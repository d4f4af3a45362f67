"""Threads per worker fit the source: several when repos wait on the Hub, one when nothing does
(threads that only compute contend for the GIL); ``--threads N`` decides instead. The upstream
table's files are read from memory, not through temporary files."""

from __future__ import annotations

from pathlib import Path

from census_helpers import census

from auditor.census import closure, tasks
from auditor.models import RepoKind
from auditor.sources.base import Resolver
from auditor.sources.local import MirrorSource


def test_threads_fit_the_source() -> None:
    assert tasks.Spec().in_flight() == tasks.HUB_THREADS  # Hub round trips overlap
    assert tasks.Spec().in_flight(remote=False) == 1  # a batch of local repos
    assert tasks.Spec(offline=True).in_flight() == 1
    assert tasks.Spec(offline=True, threads=3).in_flight() == 3
    assert tasks.Spec(threads=1).in_flight() == 1


def _mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    (root / "org" / "base").mkdir(parents=True)
    (root / "org" / "base" / "README.md").write_text("---\nlicense: mit\n---\n# Base\n")
    (root / "org" / "m").mkdir(parents=True)
    (root / "org" / "m" / "README.md").write_text("---\nbase_model: org/base\n---\n# M\n")
    return root


def test_a_mirror_repo_is_scanned_as_local(tmp_path: Path) -> None:
    spec = tasks.Spec(mirrors=(str(_mirror(tmp_path)),), run="local-scan")
    (item,) = tasks.scan(spec, ["org/m"])
    assert item.error is None and not item.remote and item.refs == (("org/base", RepoKind.MODEL),)


def test_threads_below_one_is_a_usage_error(tmp_path: Path) -> None:
    out, mirror = tmp_path / "out", _mirror(tmp_path)
    assert census("--mirror", mirror, "--out", out, "--threads", "0") == 2
    assert census("--mirror", mirror, "--out", out, "--threads", "2", "--scheduler", "sync") == 0


def test_carried_files_are_read_from_memory(tmp_path: Path) -> None:
    chain = Resolver([MirrorSource(_mirror(tmp_path))])
    key = ("org/base", RepoKind.MODEL)
    table = {key: closure.fetch_entry(chain, key)}
    source = closure.ClosureSource(table, chain)
    resolver = Resolver([source])
    snap = resolver.resolve(*key)
    assert resolver.read_text(snap, "README.md") == "---\nlicense: mit\n---\n# Base\n"
    assert resolver.read_text(snap, "README.md", limit=3) == "---"
    assert source._dir is None  # no temporary file was written for it
    assert resolver.read_text(snap, "config.json") is None
