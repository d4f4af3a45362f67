"""HubSource against the loopback Hub: resolve, pin, fetch, revisions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditor.errors import TargetError
from auditor.models import RepoKind
from auditor.sources.base import Resolver
from auditor.sources.hub import HubSource
from tests.hub.server import HubServer

Make = Callable[..., HubSource]


def test_resolve_model_pins_sha_and_lists_files(hub: HubServer, make_source: Make) -> None:
    snap = make_source().resolve("acme/lora-a", RepoKind.MODEL, None)
    repo = hub.data.get("model", "acme/lora-a")
    assert snap is not None and repo is not None
    assert snap.revision == repo.refs["main"]
    assert snap.files == ("README.md", "adapter_config.json", "adapters.safetensors")
    assert (snap.origin, snap.gated, snap.ref) == ("hub", False, None)
    assert snap.location == f"{hub.url}/acme/lora-a"
    assert hub.count("GET /api/models/acme/lora-a") == 1
    assert hub.total == 1  # resolving fetches no file


def test_resolve_dataset(hub: HubServer, make_source: Make) -> None:
    snap = make_source().resolve("acme/data-1", RepoKind.DATASET, None)
    assert snap is not None and snap.kind == RepoKind.DATASET
    assert "data/train.parquet" in snap.files
    assert snap.location.endswith("/datasets/acme/data-1")
    assert hub.count("GET /api/datasets/acme/data-1") == 1
    # a model of that name does not exist
    assert make_source().resolve("acme/data-1", RepoKind.MODEL, None) is None


def test_path_fetches_only_the_asked_file_at_the_sha(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/base-7b", RepoKind.MODEL, None)
    assert snap is not None and snap.revision
    readme = source.path(snap, "README.md")
    config = source.path(snap, "config.json")
    assert readme is not None and readme.read_text().endswith("# Base 7B\n")
    assert config is not None and b"llama" in config.read_bytes()
    assert hub.count(f"HEAD /acme/base-7b/resolve/{snap.revision}/README.md") == 1
    assert hub.count(f"GET /acme/base-7b/resolve/{snap.revision}/README.md") == 1
    assert hub.count("* /acme/base-7b/resolve/main/*") == 0  # always pinned to the sha
    assert hub.count("*model.safetensors") == 0  # the base's weights are never touched
    before = hub.total
    assert source.path(snap, "README.md") == readme  # memoised
    assert make_source().path(snap, "README.md") == readme  # HF cache, no request
    assert hub.total == before
    assert source.path(snap, "nope.txt") is None


def test_branch_tag_pr_and_sha_revisions(hub: HubServer, make_source: Make) -> None:
    main_sha = hub.data.get("model", "acme/lora-a").refs["main"]  # type: ignore[union-attr]
    dev = hub.data.add_revision("model", "acme/lora-a", "dev", {"README.md": b"# dev\n"})
    pr = hub.data.add_revision("model", "acme/lora-a", "refs/pr/1", {"NOTICE": b"pr\n"})
    hub.data.add_ref("model", "acme/lora-a", "v1.0", main_sha)
    source = make_source()
    for rev, sha in (("dev", dev), ("refs/pr/1", pr), ("v1.0", main_sha), (main_sha, main_sha)):
        snap = source.resolve("acme/lora-a", RepoKind.MODEL, rev)
        assert snap is not None and (snap.revision, snap.ref) == (sha, rev)
    dev_snap = source.resolve("acme/lora-a", RepoKind.MODEL, "dev")
    assert dev_snap is not None
    path = source.path(dev_snap, "README.md")
    assert path is not None and path.read_text() == "# dev\n"
    pr_snap = source.resolve("acme/lora-a", RepoKind.MODEL, "refs/pr/1")
    assert pr_snap is not None and "NOTICE" in pr_snap.files
    # huggingface_hub sends the ref URL-encoded; the server decoded it to the PR ref
    assert any(r.path.endswith("/revision/refs%2Fpr%2F1") for r in hub.log)


def test_missing_repo_revision_and_bad_ids(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    assert source.resolve("acme/nope", RepoKind.MODEL, None) is None
    with pytest.raises(TargetError) as err:
        source.resolve("acme/lora-a", RepoKind.MODEL, "no-such-branch")
    assert err.value.reason == "not-found" and "revision not found" in str(err.value)
    before = hub.total
    assert source.resolve("../../etc/passwd", RepoKind.MODEL, None) is None
    assert hub.total == before
    with pytest.raises(TargetError, match=r"not found \(looked in: hub\)") as err2:
        Resolver([source]).resolve("acme/nope", RepoKind.MODEL)
    assert err2.value.exit_code == 3


def test_resolver_reads_files_through_the_hub(hub: HubServer, make_source: Make) -> None:
    resolver = Resolver([make_source()])
    snap = resolver.resolve("acme/lora-a", RepoKind.MODEL)
    text = resolver.read_text(snap, "adapter_config.json")
    assert text is not None and '"rank": 8' in text
