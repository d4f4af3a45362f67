"""The held-out verification set: ``data/heldout.json``, its cases and their expected results.

Architectures the matrix does not cover (real config.json fields, the source of each recorded)
go through the matrix's generator (``matrix.write_case``); the PEFT-extras combinations start
from a clean PEFT adapter of a matrix base and change what PEFT would write for the feature
(:data:`BUILDERS`, one per case id). The expected result of every case is in the data file,
written before the tool was run on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from .matrix import RANK, Case, _text, write_case
from .matrix import architectures as matrix_architectures

DATA = Path(__file__).parent / "data" / "heldout.json"
PEFT = "adapter_model.safetensors"
Tensors = dict[str, np.ndarray]
Builder = Callable[[dict[str, Any], Tensors, dict[str, Any]], None]


def heldout() -> dict[str, Any]:
    """The whole data file."""
    data: dict[str, Any] = json.loads(DATA.read_text())
    return data


def architectures() -> dict[str, dict[str, Any]]:
    """The held-out architectures, in the matrix's entry format."""
    table: dict[str, dict[str, Any]] = heldout()["architectures"]
    return table


def cases() -> list[Case]:
    """Every architecture case with its expected rule (``None``: verified, no adapter finding)."""
    return [Case(c["arch"], c["fmt"], c["variant"], c["expect"]) for c in heldout()["cases"]]


def extras() -> list[dict[str, Any]]:
    """The PEFT-extras cases: id, base, what changes, expected rule."""
    found: list[dict[str, Any]] = heldout()["extras"]
    return found


def _lora(*shape: int) -> np.ndarray:
    return (np.random.default_rng(3).standard_normal(shape) * 0.01).astype(np.float16)


def _patterns(cfg: dict[str, Any], tensors: Tensors, _: dict[str, Any], rerank: bool) -> None:
    cfg.update(rank_pattern={"v_proj": 16}, alpha_pattern={"v_proj": 32}, use_rslora=True)
    if rerank:
        for name in [n for n in tensors if ".v_proj.lora_" in n]:
            rows, cols = tensors[name].shape
            tensors[name] = _lora(16, cols) if ".lora_A." in name else _lora(rows, 16)


def _norms(cfg: dict[str, Any], tensors: Tensors, base: dict[str, Any], grow: int) -> None:
    cfg.update(
        target_modules=r".*\.(q_proj|v_proj)", layers_pattern="layers", modules_to_save=["norm"]
    )
    h = base["hidden_size"]
    for i in range(base["num_hidden_layers"]):
        for norm in ("input_layernorm", "post_attention_layernorm"):
            tensors[f"base_model.model.model.layers.{i}.{norm}.weight"] = _lora(h)
    tensors["base_model.model.model.norm.weight"] = _lora(h + grow)


def _embedding(cfg: dict[str, Any], tensors: Tensors, base: dict[str, Any], grow: int) -> None:
    c = _text(base)
    cfg.update(target_modules=[*cfg["target_modules"], "embed_tokens"], use_dora=True)
    for name in [n for n in tensors if n.endswith(".lora_B.weight")]:
        module = name.removesuffix(".lora_B.weight")
        tensors[module + ".lora_magnitude_vector"] = _lora(tensors[name].shape[0])
    embed = "base_model.model.model.embed_tokens"
    tensors[embed + ".lora_embedding_A"] = _lora(RANK, c["vocab_size"])
    tensors[embed + ".lora_embedding_B"] = _lora(c["hidden_size"] + grow, RANK)


def _lm_head(cfg: dict[str, Any], tensors: Tensors, base: dict[str, Any]) -> None:
    cfg.update(target_modules=[*cfg["target_modules"], "lm_head"])
    tensors["base_model.model.lm_head.lora_A.weight"] = _lora(RANK, base["hidden_size"])
    tensors["base_model.model.lm_head.lora_B.weight"] = _lora(base["vocab_size"], RANK)


BUILDERS: dict[str, Builder] = {
    "llama3.1-8b-patterns-rslora": lambda c, t, b: _patterns(c, t, b, rerank=True),
    "llama3.1-8b-patterns-wrong": lambda c, t, b: _patterns(c, t, b, rerank=False),
    "qwen2.5-7b-regex-layers-norms": lambda c, t, b: _norms(c, t, b, grow=0),
    "qwen2.5-7b-saved-norm-wrong": lambda c, t, b: _norms(c, t, b, grow=64),
    "gemma3-1b-embedding-dora": lambda c, t, b: _embedding(c, t, b, grow=0),
    "gemma3-1b-embedding-wrong": lambda c, t, b: _embedding(c, t, b, grow=64),
    "llama3.2-1b-tied-lm-head": _lm_head,
    "mistral-7b-targets-list-short": lambda c, t, b: c.update(target_modules=["q_proj"]),
    "mistral-7b-layers-elsewhere": lambda c, t, b: c.update(layers_to_transform=[0, 1]),
}


def write_extra(extra: dict[str, Any], root: Path) -> tuple[Path, Path]:
    """Write one PEFT-extras case: (adapter folder, mirror)."""
    folder, mirror, _ = write_case(Case(extra["base"], "peft", "clean", None), root)
    config = json.loads((folder / "adapter_config.json").read_text())
    tensors = dict(load_file(str(folder / PEFT)))
    BUILDERS[extra["id"]](config, tensors, matrix_architectures()[extra["base"]]["config"])
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2))
    save_file(tensors, str(folder / PEFT))
    return folder, mirror
