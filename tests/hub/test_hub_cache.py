"""Caching, offline mode and concurrency of HubSource."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from auditor.errors import TargetError
from auditor.models import RepoKind, RepoSnapshot
from auditor.sources.hub import HubSource
from tests.hub.server import HubServer

Make = Callable[..., HubSource]
AUDIT = (
    ("acme/lora-a", RepoKind.MODEL),
    ("acme/base-7b", RepoKind.MODEL),
    ("acme/data-1", RepoKind.DATASET),
)


def walk(source: HubSource) -> list[tuple[RepoSnapshot, dict[str, bytes]]]:
    """What an audit reads: each repo and its metadata files."""
    out = []
    for repo_id, kind in AUDIT:
        snap = source.resolve(repo_id, kind, None)
        assert snap is not None
        files = {}
        for name in ("README.md", "adapter_config.json", "config.json"):
            path = source.path(snap, name)
            if path is not None:
                files[name] = path.read_bytes()
        out.append((snap, files))
    return out


def test_second_run_asks_only_for_refs(hub: HubServer, make_source: Make) -> None:
    first = walk(make_source())
    assert hub.total == 3 + 2 * 5  # 3 infos, 5 files (HEAD + GET each)
    hub.reset_counts()
    second = walk(make_source())
    assert second == first
    # Refs can move: one info request per repo, no file request at all.
    assert hub.total == 3 and hub.count("* */resolve/*") == 0


def test_second_run_within_ref_max_age_makes_no_request(hub: HubServer, make_source: Make) -> None:
    first = walk(make_source())
    hub.reset_counts()
    assert walk(make_source(ref_max_age=3600)) == first
    assert hub.total == 0


def test_ref_max_age_expires(hub: HubServer, make_source: Make, tmp_path: object) -> None:
    now = [1000.0]
    walk(make_source(clock=lambda: now[0]))
    hub.reset_counts()
    now[0] += 7200
    walk(make_source(ref_max_age=3600, clock=lambda: now[0]))
    assert hub.total == 3


def test_pinned_sha_is_answered_from_cache(hub: HubServer, make_source: Make) -> None:
    snap = make_source().resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None and snap.revision
    hub.reset_counts()
    again = make_source().resolve("acme/lora-a", RepoKind.MODEL, snap.revision)
    assert again is not None and again.files == snap.files and hub.total == 0


def test_offline_after_one_online_run_makes_zero_requests(
    hub: HubServer, make_source: Make
) -> None:
    first = walk(make_source())
    hub.reset_counts()
    offline = walk(make_source(offline=True))
    assert hub.total == 0
    assert [f for _, f in offline] == [f for _, f in first]
    assert [(s.revision, s.files, s.origin) for s, _ in offline] == [
        (s.revision, s.files, "cache") for s, _ in first
    ]


def test_hf_hub_offline_env_turns_offline_on(
    hub: HubServer, make_source: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = make_source(offline=False)
    assert source.offline
    with pytest.raises(TargetError) as err:
        source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert err.value.reason == "offline"
    assert "'acme/lora-a'" in str(err.value) and "offline" in str(err.value)
    assert hub.total == 0


def test_offline_names_the_missing_file(hub: HubServer, make_source: Make) -> None:
    online = make_source()
    snap = online.resolve("acme/base-7b", RepoKind.MODEL, None)
    assert snap is not None and online.path(snap, "README.md") is not None
    hub.reset_counts()
    offline = make_source(offline=True)
    cached = offline.resolve("acme/base-7b", RepoKind.MODEL, None)
    assert cached is not None and offline.path(cached, "README.md") is not None
    with pytest.raises(TargetError) as err:
        offline.path(cached, "config.json")
    assert err.value.reason == "offline"
    assert "'acme/base-7b'" in str(err.value) and "'config.json'" in str(err.value)
    with pytest.raises(TargetError) as err2:
        offline.resolve("acme/data-1", RepoKind.DATASET, None)
    assert err2.value.reason == "offline" and "dataset 'acme/data-1'" in str(err2.value)
    assert hub.total == 0


def test_eight_threads_fetch_a_repo_and_a_file_once(hub: HubServer, make_source: Make) -> None:
    hub.latency = 0.05  # make the calls overlap
    source = make_source()
    barrier = threading.Barrier(8)

    def audit(_: int) -> bytes:
        barrier.wait()
        snap = source.resolve("acme/base-7b", RepoKind.MODEL, None)
        assert snap is not None
        path = source.path(snap, "README.md")
        assert path is not None
        return path.read_bytes()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(audit, range(8)))
    assert len(set(results)) == 1
    assert hub.count("GET /api/models/acme/base-7b") == 1
    assert hub.count("HEAD */README.md") == 1 and hub.count("GET */README.md") == 1
    assert hub.total == 3


def test_failures_are_remembered_for_the_run(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", status=503)
    source = make_source()
    for _ in range(3):
        with pytest.raises(TargetError):
            source.resolve("acme/base-7b", RepoKind.MODEL, None)
    assert hub.count("GET /api/models/acme/base-7b") == 3  # one call, with its 2 retries
