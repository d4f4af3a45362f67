"""Facts about a base model's ``config.json`` that need no mlx: layer count, refusals.

Kept apart from ``mlx.py`` so header-level verification can use them without importing mlx.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.lazyre import lazy

from .config import AdapterConfig

MAX_BASE_LAYERS = 1024
"""Cap on the blocks a base config may ask for (the largest real models have about 128)."""

MAX_DIMENSION = 2**31 - 1
"""mlx shapes are 32-bit: a larger size in a config is hostile or broken."""

_MODEL_TYPE = lazy(r"^[A-Za-z0-9_\-]{1,64}$")
_LAYER_COUNT_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
_ADAPTER_LEAVES = ("lora_a", "lora_b", "m")


def base_layer_count(base: Mapping[str, Any]) -> int | None:
    """The number of transformer blocks a base ``config.json`` declares, without mlx."""
    for scope in (base, base.get("text_config")):
        if isinstance(scope, Mapping):
            for key in _LAYER_COUNT_KEYS:
                value = scope.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    return value
    return None


def config_layers(cfg: AdapterConfig, total: int) -> tuple[int, ...]:
    """The block indices the adapter config adapts on a base with ``total`` blocks.

    mlx-lm converts ``model.layers[-max(num_layers, 0):]`` (so -1 and 0 mean all blocks);
    PEFT adapts ``layers_to_transform`` or every block.
    """
    if total > MAX_BASE_LAYERS:  # refused elsewhere; never materialise a hostile count
        return ()
    indices = list(range(total))
    if cfg.format == "peft":
        chosen = cfg.layers_to_transform
        return tuple(i for i in indices if chosen is None or i in chosen)
    if cfg.fine_tune_type == "full" or cfg.num_layers is None:
        return ()
    return tuple(indices[-max(cfg.num_layers, 0) :])


def refusal(base: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why a base config must not be built, as ``(problem kind, message)``, or None.

    mlx-lm builds the skeleton from ``model_type`` alone and never reads ``auto_map`` (which
    only tells transformers where the repo's own code is), so ``auto_map`` on a ``model_type``
    mlx-lm ships (Phi-3/4, DeepSeek-V2/V3) is no reason to refuse. Refused: ``model_file``
    (mlx-lm's own loader would import that file) and a ``model_type`` mlx-lm does not ship
    whose ``auto_map`` shows that only the repo's code can build it.
    """
    model_type = base.get("model_type")
    if base.get("model_file") not in (None, False, ""):
        return (
            "remote-code-refused",
            "base config names a model_file (custom code); ailiance-audit never runs code "
            "from an audited repository",
        )
    if not isinstance(model_type, str) or not _MODEL_TYPE.match(model_type):
        return (
            "unsupported-model-type",
            f"base config has no usable model_type ({model_type!r:.40})",
        )
    layers = base_layer_count(base)
    if layers is not None and layers > MAX_BASE_LAYERS:
        return (
            "base-config-invalid",
            f"base config declares {layers} layers (cap {MAX_BASE_LAYERS})",
        )
    if _too_large(base):
        return "base-config-invalid", f"base config holds a size above {MAX_DIMENSION}"
    return None


def _too_large(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > MAX_DIMENSION
    if isinstance(value, Mapping):
        return any(_too_large(v) for v in value.values())
    if isinstance(value, list):
        return any(_too_large(v) for v in value[:4096])
    return False
