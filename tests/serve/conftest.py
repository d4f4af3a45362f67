"""Gate fixtures: the loopback Hub (tests/hub) with a bot account and a small lineage."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.hub.fixtures import hub, hub_data  # noqa: E402
from tests.hub.hubdata import HubData  # noqa: E402
from tests.hub.server import HubServer  # noqa: E402
from tests.serve.gate import BOT, TOKEN, card  # noqa: E402

__all__ = ["gate_hub", "hub", "hub_data"]


def add_gate_repos(data: HubData, name: str = "acme/gate-lora") -> None:
    """A LoRA whose main branch is clean apart from notes: base acme/base-7b, an MIT dataset."""
    data.add_repo("dataset", "acme/data-mit", {"README.md": card({"license": "mit"}, "# Data")})
    data.add_repo(
        "model",
        name,
        {
            "README.md": card(
                {
                    "license": "apache-2.0",
                    "base_model": "acme/base-7b",
                    "datasets": ["acme/data-mit"],
                },
                "# Gate LoRA\n\nA LoRA of acme/base-7b.\n",
            )
        },
    )


@pytest.fixture
def gate_hub(hub: HubServer) -> HubServer:
    """The loopback Hub with the bot's token and ``acme/gate-lora``."""
    hub.discussions.add_user(TOKEN, BOT)
    hub.discussions.add_user("hf_contributortoken000000000000000000", "contributor")
    add_gate_repos(hub.data)
    return hub
