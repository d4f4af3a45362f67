"""What adapter tensor names and shapes alone establish: format, ranks, layers, modules, size.

Layouts (the source of truth is each library's code):

- mlx-lm (``mlx_lm/tuner/lora.py``): ``<module>.lora_a`` is ``in x r`` and ``<module>.lora_b``
  is ``r x out``; MoE ``LoRASwitchLinear`` stores ``E x r x in`` and ``E x out x r``; DoRA adds a
  magnitude vector ``<module>.m``.
- PEFT (``peft/tuners/lora/layer.py``): ``base_model.model.<module>.lora_A.weight`` is ``r x in``,
  ``lora_B.weight`` is ``out x r``; embeddings use ``lora_embedding_A`` (``r x vocab``) and
  ``lora_embedding_B`` (``dim x r``); DoRA adds ``lora_magnitude_vector``.

``peft_to_mlx_name`` gives the mlx-lm name of a PEFT tensor and whether it must be transposed;
``verify/mlx.py`` uses it to feed PEFT adapters to mlx-lm's loader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from auditor.safetensors_header import TensorInfo

WeightsFormat = Literal["mlx-lm", "peft", "unknown"]

_MLX = re.compile(r"^(?P<module>.+)\.(?P<leaf>lora_a|lora_b|m)$")
_PEFT = re.compile(
    r"^(?P<module>.+)\.(?P<leaf>lora_A|lora_B|lora_embedding_A|lora_embedding_B"
    r"|lora_magnitude_vector)(?:\.default)?(?:\.weight)?$"
)
_LAYER = re.compile(r"(?:^|\.)(?:layers|h|blocks|layer)\.(\d+)\.(.+)$")
_PEFT_PREFIX = "base_model.model."
TOWERS = re.compile(
    r"(?:^|\.)(?:vision_tower|vision_model|visual|vision_encoder|multi_modal_projector"
    r"|mm_projector|audio_tower|audio_model)(?:\.|$)"
)
"""Vision/audio parts of multimodal models: mlx-lm builds only the language model."""

DTYPE_NAMES = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}


@dataclass(frozen=True)
class AdapterTensor:
    """One recognised adapter tensor: the module it wraps and its role in the LoRA pair."""

    name: str
    module: str
    role: Literal["a", "b", "magnitude"]
    rank: int | None


@dataclass(frozen=True)
class TensorSummary:
    """Everything derivable from names and shapes (see ``summarise``)."""

    format: WeightsFormat
    tensors: tuple[AdapterTensor, ...] = ()
    module_ranks: dict[str, int] = field(default_factory=dict)
    ranks: tuple[int, ...] = ()
    layers: tuple[int, ...] = ()
    modules: tuple[str, ...] = ()
    parameters: int = 0
    dtype: str | None = None
    unrecognised: tuple[str, ...] = ()
    inconsistent: tuple[str, ...] = ()
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    saved: tuple[str, ...] = ()


def _rank(fmt: WeightsFormat, leaf: str, shape: tuple[int, ...]) -> int | None:
    """The inner dimension r of one LoRA factor, or None for magnitudes and odd shapes."""
    if len(shape) not in (2, 3) or leaf in ("m", "lora_magnitude_vector"):
        return None
    if fmt == "mlx-lm":
        if len(shape) == 3:  # LoRASwitchLinear: E x r x in, E x out x r
            return shape[1] if leaf == "lora_a" else shape[2]
        return shape[1] if leaf == "lora_a" else shape[0]
    if len(shape) != 2:
        return None
    return shape[0] if leaf in ("lora_A", "lora_embedding_A") else shape[1]


def _role(leaf: str) -> Literal["a", "b", "magnitude"]:
    if leaf in ("m", "lora_magnitude_vector"):
        return "magnitude"
    return "a" if leaf.lower().endswith("a") else "b"


def detect_format(names: list[str]) -> WeightsFormat:
    """``peft`` if any PEFT LoRA name is present, else ``mlx-lm`` if any mlx name, else unknown."""
    if any(_PEFT.match(n) for n in names):
        return "peft"
    if any(_MLX.match(n) and not n.endswith(".m") for n in names):
        return "mlx-lm"
    return "unknown"


def module_key(module: str) -> tuple[int | None, str]:
    """``model.layers.78.self_attn.q_proj`` -> ``(78, "self_attn.q_proj")``."""
    if module.startswith(_PEFT_PREFIX):
        module = module[len(_PEFT_PREFIX) :]
    found = _LAYER.search(module)
    if found is None:
        return None, module
    return int(found.group(1)), found.group(2)


def summarise(
    tensors: Mapping[str, TensorInfo], saved_modules: tuple[str, ...] = ()
) -> TensorSummary:
    """Analyse a validated header: format, per-module ranks, layers, modules, size, dtype.

    ``saved_modules`` is PEFT's ``modules_to_save``: full copies of those modules are saved as
    ``base_model.model.<module>.weight`` (PEFT strips ``modules_to_save.default``) and are
    recognised as such (``TensorSummary.saved``), not as unrecognised tensors.
    """
    names = list(tensors)
    fmt = detect_format(names)
    pattern = _PEFT if fmt == "peft" else _MLX
    found: list[AdapterTensor] = []
    unrecognised: list[str] = []
    saved: list[str] = []
    for name in names:
        match = pattern.match(name) if fmt != "unknown" else None
        if match is None:
            if fmt == "peft" and _is_saved(name, saved_modules):
                saved.append(name[len(_PEFT_PREFIX) :])
            else:
                unrecognised.append(name)
            continue
        leaf, module = match.group("leaf"), match.group("module")
        if module.startswith(_PEFT_PREFIX):
            module = module[len(_PEFT_PREFIX) :]
        found.append(
            AdapterTensor(name, module, _role(leaf), _rank(fmt, leaf, tensors[name].shape))
        )
    saved_full = {_PEFT_PREFIX + n for n in saved}
    module_ranks, inconsistent = _module_ranks(found)
    keys = [module_key(t.module) for t in found if not TOWERS.search(t.module)]
    dtypes = sorted({DTYPE_NAMES.get(t.dtype, t.dtype.lower()) for t in tensors.values()})
    return TensorSummary(
        format=fmt,
        tensors=tuple(found),
        module_ranks=module_ranks,
        ranks=tuple(sorted(set(module_ranks.values()))),
        layers=tuple(sorted({layer for layer, _ in keys if layer is not None})),
        modules=tuple(sorted({rel for _, rel in keys})),
        parameters=sum(t.numel for t in tensors.values()),
        dtype=",".join(dtypes) if dtypes else None,
        unrecognised=tuple(sorted(unrecognised)),
        inconsistent=tuple(inconsistent),
        shapes={
            (n[len(_PEFT_PREFIX) :] if n in saved_full else n): tensors[n].shape for n in names
        },
        saved=tuple(sorted(saved)),
    )


def _is_saved(name: str, saved_modules: tuple[str, ...]) -> bool:
    """A ``modules_to_save`` copy: PEFT matches the module key's end (``key.endswith(m)``)."""
    if not name.startswith(_PEFT_PREFIX) or not name.endswith((".weight", ".bias")):
        return False
    module = name[len(_PEFT_PREFIX) :].rsplit(".", 1)[0]
    return any(module.endswith(m) for m in saved_modules)  # a plain suffix: "norm" saves *norm


def _module_ranks(found: list[AdapterTensor]) -> tuple[dict[str, int], list[str]]:
    """Rank per wrapped module; modules whose A and B disagree are listed as inconsistent."""
    per_module: dict[str, set[int]] = {}
    for t in found:
        if t.rank is not None:
            per_module.setdefault(t.module, set()).add(t.rank)
    ranks = {m: max(r) for m, r in sorted(per_module.items())}
    inconsistent = [m for m, r in sorted(per_module.items()) if len(r) > 1]
    return ranks, inconsistent


def peft_to_mlx_name(name: str) -> tuple[str, bool] | None:
    """The mlx-lm name of a PEFT tensor and whether it needs a transpose (None: no mlx twin).

    ``base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`` ->
    ``(model.layers.0.self_attn.q_proj.lora_a, True)``; DoRA magnitudes map to ``.m``.
    """
    match = _PEFT.match(name)
    if match is None:
        return None
    module, leaf = match.group("module"), match.group("leaf")
    if module.startswith(_PEFT_PREFIX):
        module = module[len(_PEFT_PREFIX) :]
    if leaf == "lora_magnitude_vector":
        return f"{module}.m", False
    # embeddings: PEFT A is r x vocab and B is dim x r; mlx LoRAEmbedding has vocab x r, r x dim
    return f"{module}.{'lora_a' if leaf.endswith('A') else 'lora_b'}", True
