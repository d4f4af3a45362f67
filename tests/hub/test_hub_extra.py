"""Safetensors headers by range request, and listing an owner's repos."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.errors import TargetError
from auditor.models import RepoKind
from auditor.safetensors_header import HeaderError
from auditor.sources.hub import HubSource
from tests.hub.server import HubServer

Make = Callable[..., HubSource]


def test_header_by_range_requests_then_cached(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    header = source.read_safetensors_header(snap, "adapters.safetensors")
    assert header is not None
    assert header["__metadata__"] == {"format": "mlx"}
    assert header["model.layers.0.self_attn.q_proj.lora_a"]["shape"] == [64, 8]
    assert header["model.layers.1.self_attn.v_proj.lora_b"]["dtype"] == "F32"
    gets = [r for r in hub.log if r.path.endswith("adapters.safetensors")]
    assert gets and all(r.range is not None for r in gets)  # never the whole file
    assert source.file_size(snap, "adapters.safetensors") is not None
    hub.reset_counts()
    assert make_source().read_safetensors_header(snap, "adapters.safetensors") == header
    assert make_source(offline=True).read_safetensors_header(snap, "adapters.safetensors") == header
    assert hub.total == 0
    assert source.read_safetensors_header(snap, "missing.safetensors") is None


def test_malformed_header_is_a_header_error(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/lora-b", RepoKind.MODEL, None)
    assert snap is not None
    with pytest.raises(HeaderError, match=r"adapters\.safetensors"):
        source.read_safetensors_header(snap, "adapters.safetensors")


def test_header_offline_miss(hub: HubServer, make_source: Make) -> None:
    snap = make_source().resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    with pytest.raises(TargetError) as err:
        make_source(offline=True).read_safetensors_header(snap, "adapters.safetensors")
    assert err.value.reason == "offline" and "adapters.safetensors" in str(err.value)


def test_list_author_paginates_and_filters(hub: HubServer, make_source: Make) -> None:
    hub.page_size = 2
    source = make_source()
    every = source.list_author("acme")
    assert every == ["acme/base-7b", "acme/gated-base", "acme/lora-a", "acme/lora-b"]
    assert hub.count("GET /api/models") == 2  # 4 public repos, pages of 2, Link rel="next"
    assert source.list_author("acme", pattern="lora") == ["acme/lora-a", "acme/lora-b"]
    assert source.list_author("acme", pattern="lora-*") == ["acme/lora-a", "acme/lora-b"]
    assert source.list_author("acme", pattern="math") == ["acme/lora-a"]  # a tag
    assert source.list_author("acme", RepoKind.DATASET) == ["acme/data-1"]
    hub.reset_counts()
    assert make_source(offline=True).list_author("acme", pattern="code") == ["acme/lora-b"]
    assert hub.total == 0
    with pytest.raises(TargetError) as err:
        make_source(offline=True).list_author("nobody")
    assert err.value.reason == "offline"


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "not valid JSON"),  # RecursionError
        (b"[1, 2]", "does not start with"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_local_header_refuses_hostile_json(tmp_path: Path, payload: bytes, needle: str) -> None:
    from auditor.safetensors_header import read_header_json

    path = tmp_path / "adapters.safetensors"
    path.write_bytes(struct.pack("<Q", len(payload)) + payload)
    with pytest.raises(HeaderError, match=needle):
        read_header_json(path)
