"""The architecture matrix: real base configs, adapters generated with the real shapes.

``data/architectures.json`` holds the fields of real ``config.json`` files (source per entry).
The factor shapes here are derived from those fields by the transformers formulas (hidden size,
heads, head_dim, intermediate sizes, MLA ranks), independently of the skeleton mlx-lm builds,
so that the verifier is checked against the architecture, not against itself. Each case writes
an adapter folder (config + safetensors) and a mirror holding the base's config.json in tmp.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

DATA = Path(__file__).parent / "data" / "architectures.json"
RANK = 8
WRONG_RANK = 16


def architectures() -> dict[str, dict[str, Any]]:
    """The matrix entries (``_doc`` left out)."""
    data = json.loads(DATA.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


# Fields a published config.json leaves to its config class (transformers' defaults): Gemma-3's
# multimodal configs name neither the heads nor head_dim in text_config.
_CLASS_DEFAULTS = {"gemma3": {"num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256}}


def _text(config: dict[str, Any]) -> dict[str, Any]:
    text = config.get("text_config")
    merged = {**config, **text} if isinstance(text, dict) else config
    return {**_CLASS_DEFAULTS.get(config["model_type"], {}), **merged}


def block_dims(
    config: dict[str, Any], layer: int, experts: bool = True
) -> dict[str, tuple[int, int]]:
    """transformers block-relative module -> (in, out) for the modules the matrix adapts.

    ``experts=False`` leaves out the per-expert modules (an attention-only adapter on a MoE).
    """
    c = _text(config)
    kind = config["model_type"]
    h, heads = c["hidden_size"], c["num_attention_heads"]
    kv = c.get("num_key_value_heads") or heads
    hd = c.get("head_dim") or h // heads
    inter = c.get("intermediate_size")
    if kind == "phi3":
        return {
            "self_attn.qkv_proj": (h, (heads + 2 * kv) * hd),
            "mlp.gate_up_proj": (h, 2 * inter),
        }
    if kind == "gpt_neox":
        return {"attention.query_key_value": (h, 3 * h), "mlp.dense_h_to_4h": (h, inter)}
    if kind == "starcoder2":
        return {"self_attn.q_proj": (h, heads * hd), "mlp.c_fc": (h, inter)}
    if kind == "apertus":
        return {"self_attn.q_proj": (h, heads * hd), "mlp.up_proj": (h, inter)}
    if kind == "internlm2":  # remote-code modeling_internlm2: fused wqkv, feed_forward.w1/w2/w3
        return {"attention.wqkv": (h, (heads + 2 * kv) * hd), "feed_forward.w1": (h, inter)}
    if kind == "phi":
        return {"self_attn.q_proj": (h, heads * hd), "mlp.fc1": (h, inter)}
    if kind == "stablelm":
        return {"self_attn.q_proj": (h, heads * hd), "mlp.gate_proj": (h, inter)}
    if kind in ("deepseek_v2", "deepseek_v3"):
        nope, rope, v = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
        dims = {"self_attn.kv_b_proj": (c["kv_lora_rank"], heads * (nope + v))}
        if c.get("q_lora_rank"):
            dims["self_attn.q_b_proj"] = (c["q_lora_rank"], heads * (nope + rope))
        else:
            dims["self_attn.q_proj"] = (h, heads * (nope + rope))
        if experts and layer >= c.get("first_k_dense_replace", 0):
            for e in range(c["n_routed_experts"]):
                dims[f"mlp.experts.{e}.gate_proj"] = (h, c["moe_intermediate_size"])
        return dims
    dims = {"self_attn.q_proj": (h, heads * hd), "self_attn.v_proj": (h, kv * hd)}
    if kind == "mixtral" and experts:
        for e in range(c["num_local_experts"]):
            dims[f"block_sparse_moe.experts.{e}.w1"] = (h, inter)
    if kind in ("qwen3_moe", "qwen2_moe") and experts:
        for e in range(c["num_experts"]):
            dims[f"mlp.experts.{e}.gate_proj"] = (h, c["moe_intermediate_size"])
    if kind == "qwen2_moe" and experts:
        dims["mlp.shared_expert.gate_proj"] = (h, c["shared_expert_intermediate_size"])
    return dims


_MLX_PREFIX = {"gemma3": "language_model.model.layers", "mistral3": "language_model.model.layers"}
_MLX_PREFIX |= {"qwen2_5_vl": "language_model.model.layers", "gpt_neox": "model.h"}
_STACKED = {
    "block_sparse_moe.experts": "block_sparse_moe.switch_mlp",
    "mlp.experts": "mlp.switch_mlp",
}
_MIXTRAL = {"w1": "gate_proj"}


def _mlx_modules(dims: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int, int]]:
    """mlx-lm module -> (experts or 0, in, out): per-expert modules stacked as switch_mlp."""
    out: dict[str, tuple[int, int, int]] = {}
    for rel, (n_in, n_out) in dims.items():
        if ".experts." in rel:
            moe, rest = rel.split(".experts.")
            proj = rest.split(".", 1)[1]
            path = f"{_STACKED[moe + '.experts']}.{_MIXTRAL.get(proj, proj)}"
            count = out.get(path, (0, n_in, n_out))[0] + 1
            out[path] = (count, n_in, n_out)
        elif rel.endswith("kv_b_proj"):
            continue  # mlx-lm has no such module on DeepSeek-V3 (split); v2 keeps it
        else:
            out[rel] = (0, n_in, n_out)
    return out


@dataclass(frozen=True)
class Case:
    """One adapter of the matrix: architecture, format, variant and what must be reported."""

    arch: str
    fmt: str  # "mlx-lm" | "peft"
    variant: str  # clean | wrong-rank | wrong-hidden | old-names | dora | rslora | attention
    expect: str | None  # the adapter.* rule that must fire; None = no adapter finding

    @property
    def id(self) -> str:
        return f"{self.arch}-{self.fmt}-{self.variant}"


def _factor(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.standard_normal(shape) * 0.01).astype(np.float16)


def write_case(
    case: Case, root: Path, table: dict[str, dict[str, Any]] | None = None
) -> tuple[Path, Path, str]:
    """Write the adapter folder and a mirror with the base config; (adapter, mirror, base id).

    ``table``: the entries to take the architecture from (default: the matrix's)."""
    entry = (table or architectures())[case.arch]
    config = entry["config"]
    base_id = "matrix/" + case.arch
    mirror = root / "mirror"
    (mirror / base_id).mkdir(parents=True, exist_ok=True)
    (mirror / base_id / "config.json").write_text(json.dumps(config))
    (mirror / base_id / "README.md").write_text("---\nlicense: apache-2.0\n---\n# base\n")
    folder = root / "adapter"
    folder.mkdir()
    total = _text(config)["num_hidden_layers"]
    layers = [total - 2, total - 1]
    rank = WRONG_RANK if case.variant == "wrong-rank" else RANK
    grow = 64 if case.variant == "wrong-hidden" else 0
    experts = case.variant != "attention"
    rng = np.random.default_rng(0)
    tensors: dict[str, np.ndarray] = {}
    if case.fmt == "mlx-lm":
        prefix = _MLX_PREFIX.get(config["model_type"], "model.layers")
        keys = sorted(_mlx_modules(block_dims(config, layers[0], experts)))
        for i in layers:
            modules = _mlx_modules(block_dims(config, i, experts))
            for rel, (count, n_in, n_out) in sorted(modules.items()):
                name = f"{prefix}.{i}.{rel}"
                if count:
                    tensors[name + ".lora_a"] = _factor(rng, (count, rank, n_in + grow))
                    tensors[name + ".lora_b"] = _factor(rng, (count, n_out, rank))
                else:
                    tensors[name + ".lora_a"] = _factor(rng, (n_in + grow, rank))
                    tensors[name + ".lora_b"] = _factor(rng, (rank, n_out))
        adapter_config: dict[str, Any] = {
            "model": base_id,
            "fine_tune_type": "lora",
            "num_layers": 2,
            "lora_parameters": {"rank": RANK, "scale": 2.0, "dropout": 0.0, "keys": keys},
        }
        save_file(tensors, str(folder / "adapters.safetensors"))
    else:
        prefix = entry["peft_prefix"]
        if case.variant == "old-names":
            prefix = entry["peft_prefix_old"]
        targets: set[str] = set()
        for i in layers:
            for rel, (n_in, n_out) in sorted(block_dims(config, i, experts).items()):
                name = f"base_model.model.{prefix}.{i}.{rel}"
                targets.add(rel.rsplit(".", 1)[-1])
                tensors[name + ".lora_A.weight"] = _factor(rng, (rank, n_in + grow))
                tensors[name + ".lora_B.weight"] = _factor(rng, (n_out, rank))
                if case.variant == "dora":
                    tensors[name + ".lora_magnitude_vector"] = _factor(rng, (n_out,))
        adapter_config = {
            "peft_type": "LORA",
            "base_model_name_or_path": base_id,
            "r": RANK,
            "lora_alpha": 16,
            "target_modules": sorted(targets),
            "layers_to_transform": layers,
            "use_dora": case.variant == "dora",
            "use_rslora": case.variant == "rslora",
            "task_type": "CAUSAL_LM",
        }
        save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2))
    card = f"---\nlicense: apache-2.0\nbase_model: {base_id}\nlibrary_name: "
    card += ("peft" if case.fmt == "peft" else "mlx") + "\ntags: [lora]\n---\n# adapter\n"
    (folder / "README.md").write_text(card)
    return folder, mirror, base_id


def cases() -> list[Case]:
    """Every architecture in both formats, clean and with its two wrong twins, plus variants."""
    out: list[Case] = []
    for arch, entry in architectures().items():
        for fmt in ("mlx-lm", "peft"):
            out.append(Case(arch, fmt, "clean", None))
            out.append(Case(arch, fmt, "wrong-rank", "adapter.rank-mismatch"))
            out.append(Case(arch, fmt, "wrong-hidden", "adapter.architecture-mismatch"))
        if "peft_prefix_old" in entry:
            out.append(Case(arch, "peft", "old-names", None))
    out.append(Case("llama3.1-8b", "peft", "dora", None))
    out.append(Case("qwen2.5-7b", "peft", "rslora", None))
    return out
