"""Names and shapes alone: format, ranks, layers, modules, size; PEFT -> mlx-lm names."""

from __future__ import annotations

from auditor.safetensors_header import TensorInfo
from auditor.verify.tensors import detect_format, module_key, peft_to_mlx_name, summarise


def info(*shape: int, dtype: str = "F16") -> TensorInfo:
    return TensorInfo(dtype, shape, 0, 0)


def test_mlx_layout() -> None:
    summary = summarise(
        {
            "model.layers.3.self_attn.q_proj.lora_a": info(64, 8),
            "model.layers.3.self_attn.q_proj.lora_b": info(8, 64),
            "model.layers.2.mlp.down_proj.lora_a": info(128, 8),
            "model.layers.2.mlp.down_proj.lora_b": info(8, 64, dtype="BF16"),
        }
    )
    assert summary.format == "mlx-lm"
    assert summary.ranks == (8,) and summary.layers == (2, 3)
    assert summary.modules == ("mlp.down_proj", "self_attn.q_proj")
    assert summary.parameters == 64 * 8 * 2 + 128 * 8 + 8 * 64
    assert summary.dtype == "bfloat16,float16"
    assert summary.module_ranks == {
        "model.layers.2.mlp.down_proj": 8,
        "model.layers.3.self_attn.q_proj": 8,
    }


def test_peft_layout_and_inconsistent_ranks() -> None:
    summary = summarise(
        {
            "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight": info(16, 64),
            "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight": info(32, 8),
            "base_model.model.lm_head.weight": info(10, 64),
        }
    )
    assert summary.format == "peft"
    assert summary.module_ranks == {"model.layers.0.self_attn.v_proj": 16}
    assert summary.inconsistent == ("model.layers.0.self_attn.v_proj",)
    assert summary.unrecognised == ("base_model.model.lm_head.weight",)


def test_switch_linear_and_dora_magnitude() -> None:
    summary = summarise(
        {
            "model.layers.1.mlp.switch_mlp.up_proj.lora_a": info(4, 8, 64),
            "model.layers.1.mlp.switch_mlp.up_proj.lora_b": info(4, 128, 8),
            "model.layers.1.self_attn.q_proj.m": info(64),
            "model.layers.1.self_attn.q_proj.lora_a": info(64, 2),
            "model.layers.1.self_attn.q_proj.lora_b": info(2, 64),
        }
    )
    assert summary.module_ranks == {
        "model.layers.1.mlp.switch_mlp.up_proj": 8,
        "model.layers.1.self_attn.q_proj": 2,
    }
    assert summary.ranks == (2, 8)


def test_unknown_and_full_weights() -> None:
    summary = summarise({"model.layers.0.self_attn.q_proj.weight": info(64, 64)})
    assert summary.format == "unknown" and summary.ranks == () and summary.parameters == 4096
    assert detect_format([]) == "unknown"


def test_module_key_and_peft_names() -> None:
    assert module_key("model.layers.78.self_attn.q_proj") == (78, "self_attn.q_proj")
    assert module_key("base_model.model.transformer.h.3.attn.c_attn") == (3, "attn.c_attn")
    assert module_key("lm_head") == (None, "lm_head")
    assert peft_to_mlx_name("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight") == (
        "model.layers.0.self_attn.q_proj.lora_a",
        True,
    )
    assert peft_to_mlx_name("base_model.model.model.layers.0.mlp.up_proj.lora_B.weight") == (
        "model.layers.0.mlp.up_proj.lora_b",
        True,
    )
    assert peft_to_mlx_name("base_model.model.model.layers.0.q_proj.lora_magnitude_vector") == (
        "model.layers.0.q_proj.m",
        False,
    )
    assert peft_to_mlx_name("base_model.model.model.embed_tokens.lora_embedding_A") == (
        "model.embed_tokens.lora_a",
        True,
    )
    assert peft_to_mlx_name("base_model.model.lm_head.weight") is None
