"""adapter_config.json parsing: real-world configs (R11-R15), both formats, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from auditor.verify.config import is_local_path, parse_config
from auditor.verify.lines import key_lines

from .helpers import REALWORLD

CONFIGS = REALWORLD / "adapter_configs"


def real(name: str) -> Path:
    if not CONFIGS.is_dir():
        pytest.skip(f"real-world corpus not found at {CONFIGS}")
    matches = sorted(CONFIGS.glob(f"{name}*/adapter_config.json"))
    assert matches, f"no real-world config {name}"
    return matches[0]


@pytest.mark.realworld
def test_r11_devstral_cpp_mlx_config() -> None:
    cfg = parse_config(real("Ailiance-fr__devstral-cpp-bf16-lora").read_text())
    assert cfg.format == "mlx-lm" and cfg.fine_tune_type == "lora"
    assert (cfg.rank, cfg.scale, cfg.config_scale, cfg.alpha) == (16, 2.0, 2.0, 32.0)
    assert cfg.alpha / cfg.rank == cfg.scale  # consistent
    assert cfg.num_layers == -1
    assert cfg.hyperparameters["optimizer"] == "adam"
    assert cfg.hyperparameters["iterations"] == 500
    assert cfg.hyperparameters["max_seq_length"] == 4096
    assert cfg.hyperparameters["learning_rate"] == 1e-5
    assert cfg.hyperparameters["grad_accumulation"] == 8
    assert cfg.base_model_is_path and cfg.base_model.startswith("/Users/clems/")
    keys = [k for k, _ in cfg.local_paths]
    assert keys == ["adapter_path", "config", "data", "model"]
    assert cfg.lines["rank"] == cfg.lines["lora_parameters.rank"] == 15
    assert cfg.lines["base_model"] == cfg.lines["model"] == 21
    assert cfg.problems == []


@pytest.mark.realworld
def test_r12_mlx_grpo_minimal_config() -> None:
    cfg = parse_config(real("haytamdon__MLX-GRPO").read_text())
    assert cfg.format == "mlx-lm"
    assert (cfg.rank, cfg.scale, cfg.dropout, cfg.num_layers) == (4, 10.0, 0.3, 8)
    assert cfg.base_model is None and not cfg.base_model_is_path
    assert cfg.fine_tune_type == "lora"  # mlx-lm's default when the key is absent


@pytest.mark.realworld
def test_r13_peft_llama2() -> None:
    cfg = parse_config(real("AliAbdien__Fine-Tuning-LLaMA-2-7B-").read_text())
    assert cfg.format == "peft" and cfg.fine_tune_type == "lora"
    assert (cfg.rank, cfg.alpha, cfg.scale) == (64, 16.0, 0.25)
    assert cfg.target_modules == ("q_proj", "v_proj") and not cfg.target_regex
    assert cfg.base_model == "genaitraining/llama-2-7b-domain-tuned"


@pytest.mark.realworld
def test_r14_peft_llama32_rslora_off() -> None:
    cfg = parse_config(real("AdelaCorbeanu__").read_text())
    assert cfg.format == "peft"
    assert (cfg.rank, cfg.alpha, cfg.rslora, cfg.scale) == (8, 32.0, False, 4.0)
    assert cfg.base_model == "meta-llama/Llama-3.2-3B"


@pytest.mark.realworld
def test_r15_legacy_peft_keys() -> None:
    cfg = parse_config(real("KZ-Shi__LLaMA-E").read_text())
    assert cfg.format == "peft"
    assert (cfg.rank, cfg.alpha, cfg.scale) == (8, 16.0, 2.0)
    assert cfg.target_modules == ("q_proj", "v_proj", "k_proj", "o_proj")
    assert cfg.problems == []


@pytest.mark.realworld
def test_every_real_config_parses_without_problems() -> None:
    if not CONFIGS.is_dir():
        pytest.skip(f"real-world corpus not found at {CONFIGS}")
    paths = sorted(CONFIGS.glob("*/adapter_config.json"))
    assert len(paths) >= 7
    for path in paths:
        cfg = parse_config(path.read_bytes(), file=path.name)
        assert cfg.format in ("mlx-lm", "peft"), path
        assert cfg.rank and cfg.scale, path
        assert cfg.problems == [], (path, cfg.problems)


def test_legacy_mlx_lora_layers() -> None:
    cfg = parse_config(
        json.dumps({"lora_layers": 16, "lora_parameters": {"rank": 8, "scale": 20.0}})
    )
    assert cfg.format == "mlx-lm" and cfg.num_layers == 16 and cfg.rank == 8


def test_mlx_alpha_without_scale_is_incomplete() -> None:
    cfg = parse_config(json.dumps({"num_layers": 4, "lora_parameters": {"rank": 8, "alpha": 16}}))
    assert cfg.scale is None and cfg.alpha == 16.0
    assert [p.kind for p in cfg.problems] == ["config-incomplete"]
    assert "alpha" in cfg.problems[0].message


def test_mlx_dora_and_full_are_recognised() -> None:
    dora = parse_config(
        json.dumps(
            {
                "fine_tune_type": "dora",
                "num_layers": 2,
                "lora_parameters": {"rank": 8, "scale": 2.0},
            }
        )
    )
    assert dora.fine_tune_type == "dora" and dora.rank == 8
    full = parse_config(
        json.dumps(
            {
                "fine_tune_type": "full",
                "num_layers": 4,
                "lora_parameters": {"rank": 8, "scale": 20.0},
            }
        )
    )
    assert full.fine_tune_type == "full" and full.rank is None and full.scale is None


def test_peft_rslora_dora_and_patterns() -> None:
    cfg = parse_config(
        json.dumps(
            {
                "peft_type": "LORA",
                "r": 16,
                "lora_alpha": 32,
                "use_rslora": True,
                "use_dora": True,
                "target_modules": "all-linear",
                "rank_pattern": {"q_proj": 4},
                "layers_to_transform": 3,
            }
        )
    )
    assert cfg.fine_tune_type == "dora" and cfg.rslora
    assert math.isclose(cfg.scale, 32 / 4.0)
    assert cfg.ranks == (4, 16)
    assert cfg.target_modules == ("all-linear",) and not cfg.target_regex
    assert cfg.layers_to_transform == (3,)


def test_peft_regex_target_and_defaults() -> None:
    cfg = parse_config(json.dumps({"peft_type": "LORA", "target_modules": r".*\.(q|v)_proj"}))
    assert cfg.target_regex and cfg.rank == 8  # LoraConfig defaults r=8, lora_alpha=8
    assert cfg.scale == 1.0 and cfg.alpha is None


def test_non_lora_peft_type() -> None:
    cfg = parse_config(
        json.dumps(
            {
                "peft_type": "IA3",
                "target_modules": ["k_proj"],
                "base_model_name_or_path": "org/base",
            }
        )
    )
    assert cfg.format == "peft" and cfg.fine_tune_type == "ia3" and cfg.scale is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("{not json", "config-invalid"),
        ("[1, 2]", "config-invalid"),
        ('{"hello": 1}', "config-invalid"),
        (b"\xff\xfe{}", "config-invalid"),
        ("[" * 100_000 + "]" * 100_000, "config-invalid"),
        ("{}" + " " * (1024 * 1024), "config-invalid"),
    ],
)
def test_bad_input_gives_problems(text: str | bytes, kind: str) -> None:
    cfg = parse_config(text)
    assert [p.kind for p in cfg.problems] == [kind]
    assert cfg.format == "unknown"


def test_wrong_types_are_located() -> None:
    text = '{\n "num_layers": "all",\n "lora_parameters": {\n  "rank": true,\n  "scale": "2"\n }\n}'
    cfg = parse_config(text)
    found = {(p.message.split()[0], p.line) for p in cfg.problems}
    assert found == {("num_layers", 2), ("lora_parameters.rank", 4), ("lora_parameters.scale", 5)}
    assert cfg.rank is None and cfg.scale is None


def test_local_path_detection() -> None:
    assert is_local_path("/Users/me/models/x")
    assert is_local_path("C:\\models\\x") and is_local_path("./x") and is_local_path("a/b/c")
    assert not is_local_path("swiss-ai/Apertus-70B-Instruct-2509")
    assert not is_local_path("gpt2") and not is_local_path("https://huggingface.co/a/b")
    cfg = parse_config(
        json.dumps(
            {
                "model": "org/m",
                "num_layers": 1,
                "data": "/home/u/d",
                "lora_parameters": {"rank": 1, "scale": 1.0},
                "extra": [{"p": "/root/x"}, "C:\\Users\\y"],
            }
        )
    )
    assert cfg.local_paths == (
        ("data", "/home/u/d"),
        ("extra.*.p", "/root/x"),
        ("extra.*", "C:\\Users\\y"),
    )
    assert not cfg.base_model_is_path


def test_key_lines_nested_and_arrays() -> None:
    text = (
        '{\n "a": 1,\n "b": {\n  "c": [\n   {"d": "x:y"}\n  ],\n  "e": "\\"q\\""\n },\n "f": 2\n}'
    )
    assert key_lines(text) == {"a": 2, "b": 3, "b.c": 4, "b.c.*.d": 5, "b.e": 7, "f": 9}
