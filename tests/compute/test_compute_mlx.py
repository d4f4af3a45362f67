"""count_parameters() against mlx-lm's own module trees, built lazily (never evaluated)."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from auditor.compute import count_parameters

from .configs import APERTUS_70B

pytestmark = pytest.mark.mlx

# Keys most ModelArgs need; from_dict ignores the ones a family does not declare.
COMMON = {
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "max_position_embeddings": 4096,
    "mlp_bias": False,
    "attention_bias": False,
    "post_norm": False,
    "qk_norm": True,
}
TINY = {
    "hidden_size": 64,
    "num_hidden_layers": 3,
    "intermediate_size": 96,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
}


def mlx_count(config: dict[str, Any]) -> int:
    """Parameters of the mlx-lm model tree from shapes only (lazy arrays, nothing evaluated)."""
    from mlx.utils import tree_flatten
    from mlx_lm.utils import _get_classes

    model_cls, args_cls = _get_classes(config)
    model = model_cls(args_cls.from_dict(config))
    total = 0
    for name, array in tree_flatten(model.parameters()):
        # xIELU's beta and eps are fixed constants in mlx-lm (buffers in transformers, not in
        # the checkpoint's 70,599,864,480); alpha_p and alpha_n are trained and counted.
        if name.endswith(("act_fn.beta", "act_fn.eps")):
            continue
        # gemma3_text always builds lm_head and drops it on load when embeddings are tied.
        if (
            name == "lm_head.weight"
            and config.get("tie_word_embeddings", True)
            and (config["model_type"] == "gemma3_text")
        ):
            continue
        total += math.prod(array.shape)
    return total


def test_apertus_70b_matches_the_mlx_tree_without_evaluating() -> None:
    start = time.perf_counter()
    counted = mlx_count({**APERTUS_70B})
    assert time.perf_counter() - start < 10  # lazily built: no 280 GB of fp32 allocated
    assert counted == count_parameters(APERTUS_70B) == 70_599_864_480


@pytest.mark.parametrize(
    "extra",
    [
        {"model_type": "apertus", "tie_word_embeddings": False},
        {"model_type": "apertus", "tie_word_embeddings": True, "mlp_bias": True},
        {"model_type": "llama", "tie_word_embeddings": False},
        {
            "model_type": "llama",
            "tie_word_embeddings": True,
            "attention_bias": True,
            "mlp_bias": True,
        },
        {"model_type": "llama", "head_dim": 32, "tie_word_embeddings": False},
        {"model_type": "mistral", "tie_word_embeddings": False},
        {"model_type": "qwen2", "tie_word_embeddings": True},
        {"model_type": "qwen2", "tie_word_embeddings": False},
        {"model_type": "qwen3", "head_dim": 24, "tie_word_embeddings": False},
        {"model_type": "gemma", "head_dim": 16},
        {"model_type": "gemma2", "head_dim": 16},
        {"model_type": "gemma3_text", "head_dim": 16},
    ],
    ids=lambda e: "-".join(f"{k}={v}" for k, v in e.items()),
)
def test_tiny_configs_match_the_mlx_tree(extra: dict[str, Any]) -> None:
    config = {**COMMON, **TINY, **extra}
    assert count_parameters(config) == mlx_count(config)
