"""collect_evidence at levels none and header (no mlx), and bad repositories as problems."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.models import RepoSnapshot
from auditor.verify import PROBLEM_KINDS, collect_evidence

from .helpers import FIXTURE_HUB, ROOT, evidence, fixture, kinds

FIXTURES = FIXTURE_HUB / "fixtures"


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def test_header_level_mlx_trained() -> None:
    ev = fixture("mlx-llama-lora", "header")
    assert ev.present and ev.format == ev.weights_format == "mlx-lm"
    assert (ev.rank, ev.tensor_ranks, ev.scale, ev.alpha) == (4, (4,), 10.0, 40.0)
    assert ev.tensor_modules == ("self_attn.q_proj", "self_attn.v_proj")
    assert ev.tensor_module_names == ("q_proj", "v_proj")
    assert ev.layers == (0, 1, 2, 3) and ev.config_layers == (0, 1, 2, 3)
    assert ev.base_resolved and ev.base_num_layers == 4
    assert ev.trainable_parameters == 4 * (64 * 4 + 4 * 64 + 64 * 4 + 4 * 32)
    assert ev.dtype == "float32" and ev.tensor_count == 16
    assert ev.verified_with == "header" and ev.load_ok is None and ev.lora_b_all_zero is None
    assert ev.hyperparameters["iterations"] == 20 and ev.hyperparameters["optimizer"] == "adam"
    assert ev.problems == ()


def test_header_level_peft() -> None:
    ev = fixture("peft-llama-rslora", "header")
    assert ev.format == ev.weights_format == "peft"
    assert ev.rslora and ev.rank == 8 and ev.alpha == 16.0
    assert ev.scale == pytest.approx(16 / 8**0.5) and ev.scale_divisor == pytest.approx(8**0.5)
    # PEFT writes "all-linear" out as the module names it matched
    names = ("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj")
    assert sorted(ev.target_modules) == list(names) and ev.target_module_names == names
    assert len(ev.tensor_modules) == 7 and ev.layers == (0, 1, 2, 3)
    layers = fixture("peft-llama-layers", "header")
    assert layers.layers == (2, 3) and layers.config_layers == (2, 3)


def test_level_none_reads_only_the_config(tmp_path: Path) -> None:
    opened: list[str] = []
    folder = FIXTURES / "mlx-llama-lora"
    snap = RepoSnapshot(
        repo_id="t/a",
        kind="model",
        origin="local",
        location=str(folder),
        files=("adapter_config.json", "adapters.safetensors"),
    )

    def open_file(name: str) -> Path:
        opened.append(name)
        return folder / name

    ev = collect_evidence(snap, open_file, level="none", base_config=lambda _: None)
    assert opened == ["adapter_config.json"]
    assert ev.weights_file == "adapters.safetensors" and ev.rank == 4
    assert ev.tensor_ranks == () and ev.verified_with == "none"


def test_no_adapter_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# hi\n")
    ev = evidence(tmp_path)
    assert not ev.present and ev.problems == () and ev.verified_with == "none"


def test_config_only_and_weights_only(tmp_path: Path) -> None:
    ev = fixture("alpha-scale")
    assert ev.config_file and ev.weights_file is None and kinds(ev) == ["weights-missing"]
    assert (ev.rank, ev.alpha, ev.config_scale) == (128, 256.0, 10.0)
    only = copy("mlx-llama-lora", tmp_path)
    (only / "adapter_config.json").unlink()
    ev = evidence(only, "header")
    assert ev.config_file is None and kinds(ev) == ["config-missing"]
    assert ev.tensor_ranks == (4,) and ev.verified_with == "header"


def test_pickle_weights_are_never_opened(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8}))
    (tmp_path / "adapter_model.bin").write_bytes(b"\x80\x04 not really a pickle")
    ev = evidence(tmp_path, "load")
    assert ev.weights_file == "adapter_model.bin"
    assert "weights-unsupported" in kinds(ev) and ev.verified_with == "none"


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (struct.pack("<Q", 2**40) + b"{}", "header-too-large"),
        (struct.pack("<Q", 500) + b'{"a": 1', "header-invalid"),
        (struct.pack("<Q", 7) + b"{oops!}", "header-invalid"),
        (b"\x01", "header-invalid"),
    ],
)
def test_hostile_weights_are_problems(tmp_path: Path, payload: bytes, kind: str) -> None:
    folder = copy("mlx-llama-lora", tmp_path)
    (folder / "adapters.safetensors").write_bytes(payload)
    for level in ("header", "load"):
        ev = evidence(folder, level)  # type: ignore[arg-type]
        assert kind in kinds(ev)
        assert ev.rank == 4 and ev.tensor_ranks == () and ev.load_ok is None


def test_base_unresolvable_kinds(tmp_path: Path) -> None:
    folder = copy("mlx-llama-lora", tmp_path)
    config = json.loads((folder / "adapter_config.json").read_text())
    config["model"] = "/Users/someone/models/llama"
    (folder / "adapter_config.json").write_text(json.dumps(config))
    ev = evidence(folder, "header")
    assert ev.base_model_is_path and not ev.base_resolved and "base-unresolvable" in kinds(ev)
    config["model"] = "nobody/missing"
    (folder / "adapter_config.json").write_text(json.dumps(config))
    ev = evidence(folder, "header")
    assert not ev.base_resolved and kinds(ev) == ["base-unresolvable"]

    def failing(_: str) -> None:
        raise TimeoutError("hub timed out")

    ev = evidence(folder, "header", base=failing)
    assert "hub timed out" in ev.problems[0].message


def test_problem_kinds_are_documented() -> None:
    seen = {"config-invalid", "weights-missing", "header-invalid", "base-unresolvable"}
    assert seen <= PROBLEM_KINDS.keys()


def test_header_level_does_not_import_mlx() -> None:
    code = (
        "import sys\n"
        "from tests.verify.helpers import fixture\n"
        "ev = fixture('peft-llama-lora', 'header')\n"
        "assert ev.tensor_ranks == (8,), ev\n"
        "heavy = [m for m in ('mlx', 'mlx_lm', 'transformers', 'torch') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
