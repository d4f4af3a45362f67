"""The gate's default verification is the mlx-lm load check: a pull request that retrains an
adapter with tensors of the wrong hidden size for its base fails, which the header level alone
cannot see. The adapters and the base config come from the verify matrix's generator (a real
mlx-community config, tensors of the real shapes), served by the loopback Hub."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.serve.config import GateConfig, RepoSettings
from tests.hub.server import HubServer
from tests.serve.gate import BOT, Service, discussion_event, idle, push_event, settings, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/verify's generator
from verify.matrix import Case, write_case

pytestmark = pytest.mark.mlx
ARCH = "llama3.2-1b-4bit"
REPO = "acme/matrix-lora"


def _files(tmp: Path, variant: str) -> dict[str, bytes]:
    folder, _, _ = write_case(Case(ARCH, "mlx-lm", variant, None), tmp / variant)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _base(tmp: Path) -> tuple[str, dict[str, bytes]]:
    _, mirror, base_id = write_case(Case(ARCH, "mlx-lm", "clean", None), tmp / "base")
    return base_id, {p.name: p.read_bytes() for p in (mirror / base_id).iterdir()}


def test_the_default_level_is_load() -> None:
    assert RepoSettings().verify == "load"


@pytest.mark.parametrize("verify", ["load", "header"])
def test_a_retrained_adapter_of_the_wrong_hidden_size(
    gate_hub: HubServer, tmp_path: Path, verify: str
) -> None:
    base_id, base_files = _base(tmp_path)
    gate_hub.data.add_repo("model", base_id, base_files)
    gate_hub.data.add_repo("model", REPO, _files(tmp_path, "clean"))
    wrong = _files(tmp_path, "wrong-hidden")
    num, sha = gate_hub.discussions.open_pr(
        "model", REPO, {"adapters.safetensors": wrong["adapters.safetensors"]}
    )
    defaults = RepoSettings() if verify == "load" else RepoSettings(verify="header")
    config = settings(tmp_path / "gate.db", gate_hub.url, gate=GateConfig(defaults=defaults))
    with Service(config) as svc:
        assert svc.post(discussion_event(REPO, num)).status_code == 202
        assert svc.post(push_event(REPO, num, sha)).status_code == 202
        wait_for(lambda: idle(svc.counts()) and svc.counts().get("done"), "the audit")
    comments = gate_hub.discussions.comments("model", REPO, num)
    (body,) = [c.content for c in comments if c.author == BOT]
    if verify == "load":
        assert "adapter.architecture-mismatch" in body
        assert "❌" in body
    else:  # what the header level cannot see: the reason the default is load
        assert "adapter.architecture-mismatch" not in body
