"""Pytest fixtures for the loopback Hub, reusable outside tests/hub.

Use from another test folder with ``pytest_plugins = ["tests.hub.fixtures"]`` in the top-level
``tests/conftest.py`` (or import the fixtures into a conftest). Fixtures:

- ``hub_data``: a small set of repos built in code (``acme/*``) plus the bundled example mirror
  (``examples/hub``) when present;
- ``hub``: the started :class:`HubServer` with ``HF_ENDPOINT`` pointing at it, the HF caches in a
  temporary folder, no token and no offline mode from the developer's environment;
- ``make_source``: builds a ``HubSource`` on that server with fast retries and private caches.

huggingface_hub reads ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and the token path once, at import
time. The fixture sets the environment for code that reads it later, patches the offline flag
and the token path, and ``HubSource`` is always given ``endpoint=`` explicitly. It must NOT patch
``constants.ENDPOINT``: ``hf_hub_url`` swaps in a custom endpoint only for URLs starting with
that constant, so patching it alone sends downloads to the import-time endpoint (the internet).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from huggingface_hub import constants
from safetensors.numpy import save

from auditor.sources.hub import HubSource
from auditor.sources.hub_errors import RetryPolicy
from tests.hub.hubdata import HubData
from tests.hub.server import HubServer

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_MIRROR = REPO_ROOT / "examples" / "hub"

GATE_PROMPT = "Acme acceptable use policy: no military use; report misuse to abuse@acme.example."


def _card(meta: dict[str, Any], body: str) -> bytes:
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in meta.items()), "---", "", body, ""]
    return "\n".join(lines).encode()


def adapter_weights(rank: int = 8, layers: int = 2, width: int = 64) -> bytes:
    """A real mlx-lm style adapters.safetensors (small)."""
    tensors = {}
    for i in range(layers):
        for mod in ("q_proj", "v_proj"):
            prefix = f"model.layers.{i}.self_attn.{mod}"
            tensors[f"{prefix}.lora_a"] = np.full((width, rank), 0.01, dtype=np.float32)
            tensors[f"{prefix}.lora_b"] = np.full((rank, width), 0.02, dtype=np.float32)
    return save(tensors, metadata={"format": "mlx"})


def build_acme(data: HubData) -> None:
    """The code-built fixture repos used by the Hub tests."""
    weights = save({"w": np.zeros((256, 256), dtype=np.float32)})  # never to be downloaded
    data.add_repo(
        "model",
        "acme/base-7b",
        {
            "README.md": _card({"license": "apache-2.0", "tags": ["base"]}, "# Base 7B"),
            "config.json": json.dumps({"model_type": "llama", "num_hidden_layers": 2}).encode(),
            "model.safetensors": weights,
        },
    )
    data.add_repo(
        "model",
        "acme/lora-a",
        {
            "README.md": _card(
                {
                    "license": "apache-2.0",
                    "base_model": "acme/base-7b",
                    "datasets": ["acme/data-1"],
                    "tags": ["lora", "math"],
                },
                "# LoRA A",
            ),
            "adapter_config.json": json.dumps(
                {"fine_tune_type": "lora", "lora_parameters": {"rank": 8, "scale": 2.0}}
            ).encode(),
            "adapters.safetensors": adapter_weights(),
        },
    )
    data.add_repo(
        "model",
        "acme/lora-b",
        {
            "README.md": _card(
                {"license": "mit", "base_model": "acme/base-7b", "tags": ["lora", "code"]},
                "# LoRA B",
            ),
            "adapter_config.json": b"{}",
            "adapters.safetensors": b"\xff\xff\xff\xff\xff\xff\xff\x7f{broken",
        },
    )
    data.add_repo(
        "dataset",
        "acme/data-1",
        {
            "README.md": _card({"license": "cc-by-sa-4.0"}, "# Data 1"),
            "data/train.parquet": b"PAR1" + b"\0" * 64,
        },
    )
    data.add_repo(
        "model",
        "acme/gated-base",
        {
            "README.md": _card(
                {
                    "license": "other",
                    "extra_gated_prompt": GATE_PROMPT,
                    "extra_gated_fields": {"Name": "text", "I agree": "checkbox"},
                },
                "# Gated base",
            ),
            "config.json": b'{"model_type": "llama"}',
        },
    )
    data.add_repo("model", "acme/private-model", {"README.md": b"# secret\n"}, private=True)


@pytest.fixture
def hub_data() -> HubData:
    """Fixture repos: ``acme/*`` and, when present, the example mirror."""
    data = HubData.from_mirror(EXAMPLE_MIRROR) if EXAMPLE_MIRROR.is_dir() else HubData()
    build_acme(data)
    return data


@pytest.fixture
def hub(hub_data: HubData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """The loopback Hub, with the environment pointed at it and isolated caches."""
    server = HubServer(hub_data).start()
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "AILIANCE_AUDIT_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    # huggingface_hub 2.4 builds its user agent with an "agent harness" registry fetched from
    # the import-time endpoint (huggingface.co) once a day; telemetry off skips that request.
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    leaks = _guard_network(monkeypatch)
    from huggingface_hub import hf_hub_url

    # Guard: every URL huggingface_hub builds for our endpoint must stay on loopback.
    assert hf_hub_url("a/b", "f", endpoint=server.url).startswith(server.url)
    try:
        yield server
    finally:
        server.stop()
    assert not leaks, f"a test tried to reach the network: {sorted(set(leaks))}"


def _guard_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse name lookups of anything but loopback (tests never reach the internet)."""
    leaks: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1", None):
            leaks.append(str(host))
            raise OSError(f"network access to {host!r} refused in tests")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return leaks


@pytest.fixture
def make_source(hub: HubServer, tmp_path: Path) -> Callable[..., HubSource]:
    """``make_source(**kwargs)``: a HubSource on the loopback Hub with fast retries."""

    def make(**kwargs: Any) -> HubSource:
        options: dict[str, Any] = {
            "endpoint": hub.url,
            "token": False,
            "cache_dir": tmp_path / "meta",
            "hf_cache_dir": tmp_path / "hf-home" / "hub",
            "timeout": 5.0,
            "retry": RetryPolicy(retries=2, backoff=0.01, max_wait=5.0),
        }
        options.update(kwargs)
        return HubSource(**options)

    return make
