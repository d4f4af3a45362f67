"""Base-model configs shared by the compute tests."""

from __future__ import annotations

from typing import Any

# swiss-ai/Apertus-70B-2509 config.json (the fields the architecture needs).
APERTUS_70B: dict[str, Any] = {
    "model_type": "apertus",
    "hidden_size": 8192,
    "num_hidden_layers": 80,
    "intermediate_size": 43008,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 131072,
    "qk_norm": True,
    "tie_word_embeddings": False,
    "mlp_bias": False,
    "attention_bias": False,
    "rms_norm_eps": 1e-5,
    "max_position_embeddings": 65536,
    "rope_theta": 12000000,
    "post_norm": False,
}
