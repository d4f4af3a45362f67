"""Level ``load``: mlx-lm onto the skeleton, value checks, the 70B example, refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import EXAMPLE_HUB, FIXTURE_HUB, ROOT, evidence, fixture, kinds

pytestmark = pytest.mark.mlx
FIXTURES = FIXTURE_HUB / "fixtures"
LOADS = [
    "mlx-apertus-lora",
    "mlx-llama-lora",
    "mlx-llama-dora",
    "peft-llama-lora",
    "peft-llama-rslora",
    "peft-llama-layers",
    "peft-llama-dora",
    "drift-layers",
    "drift-scale",
    "untrained",
    "nan",
]


@pytest.mark.parametrize("name", LOADS)
def test_fixtures_that_fit_their_architecture_load(name: str) -> None:
    ev = fixture(name)
    assert ev.load_ok is True, ev.load_errors
    assert ev.verified_with.startswith("mlx-lm 0.")
    assert ev.load_errors == () and ev.problems == ()
    assert ev.base_num_layers == 4


def test_trained_mlx_apertus_adapter() -> None:
    ev = fixture("mlx-apertus-lora")
    # no keys in the config: mlx-lm wraps every Linear of the last num_layers blocks
    assert (
        ev.config_modules
        == ev.tensor_modules
        == ev.base_modules
        == (
            "mlp.down_proj",
            "mlp.up_proj",
            "self_attn.k_proj",
            "self_attn.o_proj",
            "self_attn.q_proj",
            "self_attn.v_proj",
        )
    )
    assert ev.layers == ev.config_layers == (2, 3)
    assert (ev.rank, ev.scale, ev.tensor_ranks) == (8, 20.0, (8,))
    assert ev.lora_b_all_zero is False and ev.nonfinite is False
    assert len(ev.module_norms) == 12 and all(v > 0 for v in ev.module_norms.values())


def test_dora_adapters_are_reported_as_dora() -> None:
    assert fixture("mlx-llama-dora").fine_tune_type == "dora"
    peft = fixture("peft-llama-dora")
    assert peft.fine_tune_type == "dora" and peft.config_modules == (
        "self_attn.k_proj",
        "self_attn.q_proj",
    )


def test_peft_layers_to_transform_and_targets() -> None:
    ev = fixture("peft-llama-layers")
    assert ev.config_layers == ev.layers == (2, 3)
    assert ev.config_modules == ev.tensor_modules == ("self_attn.o_proj", "self_attn.q_proj")


def test_drifted_rank_fails_to_load_listing_every_tensor() -> None:
    ev = fixture("drift-rank")
    assert ev.load_ok is False and ev.rank == 4 and ev.tensor_ranks == (2,)
    assert len(ev.load_errors) == 16
    assert ev.load_errors == tuple(sorted(ev.load_errors))
    assert "adapter shape (64, 2) does not match model parameter shape (64, 4)" in ev.load_errors[0]


def test_wrong_module_fails_to_load() -> None:
    ev = fixture("wrong-module")
    assert ev.load_ok is False
    assert ev.load_errors == (
        "model.layers.3.self_attn.qkv_proj.lora_a: not an adapter parameter in the model",
    )


def test_missing_layers_untrained_and_nan() -> None:
    layers = fixture("drift-layers")
    assert layers.layers == (1, 2, 3) and layers.config_layers == (0, 1, 2, 3)
    untrained = fixture("untrained")
    assert untrained.lora_b_all_zero is True and untrained.module_norms == dict.fromkeys(
        untrained.module_norms, 0.0
    )
    nan = fixture("nan")
    assert nan.nonfinite is True and nan.lora_b_all_zero is False
    assert len(nan.module_norms) == 7  # the module holding the NaN has no norm


def test_norms_are_deterministic_and_scaled() -> None:
    a, b = fixture("mlx-llama-lora"), fixture("drift-scale")
    assert a.module_norms == fixture("mlx-llama-lora").module_norms
    for module, norm in a.module_norms.items():  # drift-scale: same tensors, scale 20 vs 10
        assert b.module_norms[module] == pytest.approx(2 * norm, rel=1e-5)


def test_full_mlx_load_agrees_with_the_skeleton() -> None:
    """mlx_lm.load with the real (tiny) base weights gives the same verdicts."""
    from mlx_lm import load

    base = str(FIXTURE_HUB / "tiny-random" / "llama-4l")
    load(base, adapter_path=str(FIXTURES / "mlx-llama-lora"))
    with pytest.raises(ValueError, match="does not match model parameter shape"):
        load(base, adapter_path=str(FIXTURES / "drift-rank"))


def test_remote_code_and_unsupported_model_type(tmp_path: Path) -> None:
    base = json.loads((FIXTURE_HUB / "tiny-random" / "llama-4l" / "config.json").read_text())
    folder = FIXTURES / "mlx-llama-lora"
    for extra, kind in (
        ({"model_type": "evil_arch", "auto_map": {"AutoModel": "m.X"}}, "remote-code-refused"),
        ({"model_file": "evil.py"}, "remote-code-refused"),
        ({"model_type": "no_such_arch"}, "unsupported-model-type"),
        ({"model_type": "../../etc"}, "unsupported-model-type"),
        ({"num_hidden_layers": 10**6}, "base-config-invalid"),
        ({"hidden_size": 2**40}, "base-config-invalid"),
        ({"hidden_size": "wide"}, "base-config-invalid"),
    ):
        cfg = {**base, **extra}
        ev = evidence(folder, "load", base=lambda _, cfg=cfg: cfg)
        assert kind in kinds(ev), (extra, ev.problems)
        assert ev.load_ok is None and ev.verified_with == "header"
        assert ev.tensor_ranks == (4,)  # header-level evidence is still reported
    # mlx-lm builds from model_type and never reads auto_map: a shipped architecture verifies
    for extra in ({"auto_map": {"AutoModel": "modeling.X"}}, {"trust_remote_code": True}):
        cfg = {**base, **extra}
        ev = evidence(folder, "load", base=lambda _, cfg=cfg: cfg)
        assert ev.load_ok is True and ev.verified_with.startswith("mlx-lm"), ev.problems
        assert ev.lora_b_all_zero is False  # value checks need no base


def test_example_verifies_on_apertus_70b_from_config_alone() -> None:
    ev = evidence(EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-lora", "load", hub=EXAMPLE_HUB)
    assert ev.load_ok is True and ev.verified_with.startswith("mlx-lm ")
    assert (ev.rank, ev.tensor_ranks, ev.scale, ev.alpha) == (16, (16,), 2.0, 32.0)
    assert ev.layers == ev.config_layers == (78, 79) and ev.base_num_layers == 80
    assert ev.tensor_modules == ("self_attn.q_proj", "self_attn.v_proj")
    assert ev.lora_b_all_zero is False and ev.nonfinite is False
    drift = evidence(
        EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-drift-lora", "load", hub=EXAMPLE_HUB
    )
    assert drift.load_ok is False and drift.tensor_ranks == (8,) and drift.rank == 16


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="peak RSS read from /proc (Linux)"
)
def test_example_70b_is_bounded_in_a_fresh_process() -> None:
    # time is measured in bench/ (bench_verify.py), never asserted: the machine is shared
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's (pytest's) peak across exec
    code = (
        "import time\n"
        "from tests.verify.helpers import EXAMPLE_HUB, evidence\n"
        "t = time.perf_counter()\n"
        "folder = EXAMPLE_HUB / 'Ailiance-fr' / 'apertus-math-lora'\n"
        "ev = evidence(folder, 'load', hub=EXAMPLE_HUB)\n"
        "assert ev.load_ok, ev\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(time.perf_counter() - t, status)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    _, rss_kb = out.stdout.split()
    assert int(rss_kb) / 1024 < 300, "peak RSS above 300 MB"


def test_unreadable_tensor_data_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    shutil.copytree(FIXTURES / "mlx-llama-lora", folder)
    name = "model.layers.0.self_attn.q_proj.lora_a"
    entry = {"dtype": "F8_E8M0", "shape": [2], "data_offsets": [0, 2]}
    header = json.dumps({name: entry}).encode()
    (folder / "adapters.safetensors").write_bytes(
        len(header).to_bytes(8, "little") + header + b"\0\0"
    )
    ev = evidence(folder, "load")
    assert "load-failed" in kinds(ev) or ev.load_ok is False
