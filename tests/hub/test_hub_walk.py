"""The upstream walk at small scale: shared bases fetched once, requests at the minimum."""

from __future__ import annotations

from pathlib import Path

from auditor.models import RepoKind
from auditor.sources.hub import HubSource
from auditor.sources.hub_errors import RetryPolicy
from tests.hub.benchdata import generate_mirror, walk_concurrent, walk_sequential
from tests.hub.hubdata import HubData
from tests.hub.server import HubServer


def source(hub: HubServer, tmp: Path) -> HubSource:
    return HubSource(
        endpoint=hub.url,
        token=False,
        cache_dir=tmp / "meta",
        hf_cache_dir=tmp / "hf",
        retry=RetryPolicy(retries=1, backoff=0.01),
    )


def test_concurrent_walk_fetches_each_repo_once(tmp_path: Path) -> None:
    data = generate_mirror(tmp_path / "mirror", adapters=24, bases=3, datasets=4)
    targets = [(a, RepoKind.MODEL) for a in data.adapters]
    with HubServer(HubData.from_mirror(tmp_path / "mirror"), latency=0.01) as hub:
        seen = walk_concurrent(source(hub, tmp_path / "c"), targets, workers=16)
        assert len(seen) == data.repos == 31
        assert hub.total == data.minimum_requests()  # nothing fetched twice
        for base in data.bases:  # each base is shared by 8 adapters
            assert hub.count(f"GET /api/models/{base}") == 1
            assert hub.count(f"GET /{base}/resolve/*/README.md") == 1
        assert hub.count("*model.safetensors") == 0 and hub.count("*adapters.safetensors") == 0
        hub.reset_counts()
        assert walk_sequential(source(hub, tmp_path / "s"), targets) == seen
        assert hub.total == data.minimum_requests()
