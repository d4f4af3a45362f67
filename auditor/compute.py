"""Training-compute estimate and the AI Act one-third test (docs/legal-basis.md §2.2-2.4, §8).

* Base compute (GL §118, §130-132): the reported FLOP figure; else ``6 · N · D`` from the base's
  parameter count (counted from its ``config.json``) and pre-training tokens; else unknown, and the
  modifier threshold falls back to GL §64: ⅓ × 10^23 FLOP (⅓ × 10^25 for a systemic-risk base).
* Fine-tune compute: ``6 · N_base · D_ft`` (GL §132; for LoRA the gradients still flow through the
  frozen base, so N is the *base* parameter count, docs/legal-basis.md §2.4).
* A modifier is presumed the provider of a new GPAI model when its compute exceeds one third of the
  base's (GL §63). GPAI indicative criterion: > 10^23 FLOP (GL §17); systemic: > 10^25 (Art 51(2)).

Everything here is arithmetic on facts; no I/O, no mlx.
"""

from __future__ import annotations

from typing import Any

from auditor.compute_text import params_from_text
from auditor.compute_text import tokens_from_text as tokens_from_text  # re-exported
from auditor.models import AdapterEvidence, CardClaims, ComputeEstimate
from auditor.records import record

GPAI_FLOP = 1e23  # GL §17
SYSTEMIC_FLOP = 1e25  # AIA Art 51(2)
MLX_DEFAULT_MAX_SEQ_LENGTH = 2048  # mlx_lm.tuner.trainer.TrainingArgs default
MAX_TOKENS = 1e14  # above every reported pre-training corpus: bounds a base of unknown tokens


@record
class _Arch:
    """What a decoder-only family puts in each layer (checked against mlx-lm's model files)."""

    gate: bool = True  # SwiGLU gate_proj; Apertus has up/down only (xIELU)
    qkv_bias: bool | None = None  # None: follow config "attention_bias" (also on o_proj)
    qk_norm: bool | None = False  # None: follow config "qk_norm" (default true)
    norms_per_layer: int = 2
    act_params_per_layer: int = 0  # xIELU's trained alpha_p, alpha_n (beta, eps are constants)
    tie_default: bool = False  # transformers' config default for tie_word_embeddings


_ARCHS: dict[str, _Arch] = {
    "llama": _Arch(),
    "mistral": _Arch(),
    "qwen2": _Arch(qkv_bias=True),  # q, k, v biased; o_proj not
    "qwen3": _Arch(qk_norm=True),
    "apertus": _Arch(gate=False, qkv_bias=False, qk_norm=None, act_params_per_layer=2),
    "gemma": _Arch(tie_default=True),
    "gemma2": _Arch(norms_per_layer=4, tie_default=True),
    "gemma3_text": _Arch(norms_per_layer=4, qk_norm=True, tie_default=True),
}


def _positive_int(config: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _layer_parameters(config: dict[str, Any], arch: _Arch, hidden: int) -> int | None:
    heads = _positive_int(config, "num_attention_heads")
    inter = _positive_int(config, "intermediate_size")
    if heads is None or inter is None:
        return None
    kv_heads = _positive_int(config, "num_key_value_heads", heads)
    head_dim = _positive_int(config, "head_dim", hidden // heads) if hidden >= heads else None
    if kv_heads is None or head_dim is None:
        return None
    q_out, kv_out = heads * head_dim, kv_heads * head_dim
    attn = hidden * q_out + 2 * hidden * kv_out + q_out * hidden
    if arch.qkv_bias is True:
        attn += q_out + 2 * kv_out
    elif arch.qkv_bias is None and config.get("attention_bias") is True:
        attn += q_out + 2 * kv_out + hidden
    if arch.qk_norm or (arch.qk_norm is None and config.get("qk_norm", True) is not False):
        attn += 2 * head_dim
    mlp = (3 if arch.gate else 2) * hidden * inter
    if config.get("mlp_bias") is True:
        mlp += (2 if arch.gate else 1) * inter + hidden
    return attn + mlp + arch.norms_per_layer * hidden + arch.act_params_per_layer


def count_parameters(config: dict[str, Any]) -> int | None:
    """Analytical parameter count of a decoder-only model from its HF ``config.json``.

    Supports the llama family (llama, mistral, qwen2, qwen3, apertus, gemma, gemma2, gemma3_text):
    embeddings + per layer (attention, MLP, norms, activation parameters) + final norm + lm_head
    unless tied. Anything else (MoE, multimodal, unknown ``model_type``, missing sizes) -> None.
    """
    if not isinstance(config, dict):
        return None
    arch = _ARCHS.get(str(config.get("model_type", "")))
    hidden = _positive_int(config, "hidden_size")
    layers = _positive_int(config, "num_hidden_layers")
    vocab = _positive_int(config, "vocab_size")
    if arch is None or hidden is None or layers is None or vocab is None:
        return None
    per_layer = _layer_parameters(config, arch, hidden)
    if per_layer is None:
        return None
    tied = config.get("tie_word_embeddings", arch.tie_default) is True
    embeddings = vocab * hidden * (1 if tied else 2)
    return embeddings + layers * per_layer + hidden


@record
class _Factor:
    name: str  # card claim name (and verify stage's canonical hyperparameter name)
    config_keys: tuple[str, ...]  # keys in AdapterEvidence.hyperparameters
    default: float | None  # assumed when stated nowhere (None: cannot estimate)
    why: str


_FACTORS = (
    _Factor("iterations", ("iterations", "iters"), None, "no iteration count"),
    _Factor("batch_size", ("batch_size",), 1, "assumed 1"),
    _Factor("grad_accumulation", ("grad_accumulation", "grad_accumulation_steps"), 1, "assumed 1"),
    _Factor(
        "max_seq_length",
        ("max_seq_length",),
        MLX_DEFAULT_MAX_SEQ_LENGTH,
        f"assumed the mlx-lm default {MLX_DEFAULT_MAX_SEQ_LENGTH}",
    ),
)


def _as_positive(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else value
    except ValueError:
        return None
    if not isinstance(number, int | float) or not number > 0 or number == float("inf"):
        return None
    return float(number)


def _as_count(value: object) -> float | None:
    """Iterations, batch size, sequence length: counts, so anything below 1 is not a statement."""
    number = _as_positive(value)
    return number if number is not None and number >= 1 else None


def _factor(
    factor: _Factor, adapter: AdapterEvidence, card: CardClaims
) -> tuple[float | None, str]:
    for key in factor.config_keys:
        value = _as_count(adapter.hyperparameters.get(key))
        if value is not None:
            return value, f"{factor.name}={value:g} from {adapter.config_file or 'adapter config'}"
    for claim in card.hyperparameters:
        value = _as_count(claim.value) if claim.name == factor.name else None
        if value is not None:
            return value, f"{factor.name}={value:g} from the card ({claim.location})"
    return factor.default, f"{factor.name} not stated: {factor.why}"


def fine_tune_tokens(adapter: AdapterEvidence, card: CardClaims) -> tuple[float | None, list[str]]:
    """D_ft = iterations x batch [x accumulation] x max sequence length, and how each was found.

    An upper bound: sequences are rarely all full length. mlx-lm's trainer processes one
    micro-batch per iteration and steps the optimizer every ``grad_accumulation_steps``
    iterations (mlx_lm/tuner/trainer.py), so for mlx-lm configs accumulation does not multiply
    the tokens; for other trainers a step is an optimizer step and it does.
    """
    tokens: float | None = 1.0
    notes = []
    mlx = adapter.format == "mlx-lm"
    for factor in _FACTORS:
        if mlx and factor.name == "grad_accumulation":
            notes.append("grad_accumulation not a token factor: mlx-lm iterates over micro-batches")
            continue
        value, note = _factor(factor, adapter, card)
        notes.append(note)
        tokens = None if value is None or tokens is None else tokens * value
    notes.append("fine-tune tokens are an upper bound (every sequence at full length)")
    return tokens, notes


def _base_compute(
    params: int | None, tokens: float | None, reported: float | None
) -> tuple[float | None, str, str]:
    reported = _as_positive(reported)
    if reported is not None:
        return reported, "reported", f"base compute {reported:.3g} FLOP as reported"
    if params is not None and tokens is not None:
        flop = 6 * params * tokens
        return flop, "6ND", f"base compute 6 x {params:,} params x {tokens:.3g} tokens (GL §132)"
    missing = "parameter count" if params is None else "pre-training tokens"
    return None, "unknown", f"base compute unknown ({missing} not established)"


def estimate(
    *,
    base_config: dict[str, Any] | None,
    base_id: str | None,
    base_tokens: float | None,
    base_flop_reported: float | None,
    adapter: AdapterEvidence,
    card: CardClaims,
    base_systemic: bool | None = None,
    base_text: str | None = None,
    relation: str | None = None,
    own: bool = False,
) -> ComputeEstimate:
    """Estimate base and fine-tune compute and apply the one-third test (GL §63-64).

    ``ratio`` is fine-tune compute over the one-third threshold (> 1: provider presumed);
    ``base_flop_source`` is "reported", "6ND" or "gl64-fallback" (base compute unknown).
    ``base_text`` is the base's card: its stated parameter count is used when the config gives
    none (low confidence, said in the assumptions). ``relation`` is how the subject relates to
    the base: a quantisation or a pure merge trains nothing, so its compute is ~0. ``own``: the
    model is audited for itself (no base): the "base" is the model, and there is no modification.
    """
    params = count_parameters(base_config) if base_config else None
    notes: list[str] = []
    if params is None and base_text and (stated := params_from_text(base_text)) is not None:
        params = int(stated)
        notes.append(f"parameter count {stated:.3g} from the card's prose (low confidence)")
    tokens = _as_positive(base_tokens)
    base_flop, source, note = _base_compute(params, tokens, base_flop_reported)
    notes.insert(0, note)
    if base_flop is not None:
        notes.append(
            "GPAI status from compute only; GL §17 also needs text/audio/image/video output"
        )
    if params is None:
        notes.append(
            "base parameter count unknown (config.json missing or architecture "
            "not supported): fine-tune compute not estimated"
        )
    systemic = base_systemic
    if systemic is None and base_flop is not None:
        systemic = base_flop > SYSTEMIC_FLOP
    elif systemic is None and params is not None and 6 * params * MAX_TOKENS <= SYSTEMIC_FLOP:
        systemic = False  # even 10^14 tokens would not reach 10^25 FLOP at this size
        notes.append(
            f"not systemic-risk: 6 x {params:,} params x {MAX_TOKENS:.0e} tokens (more than any "
            "reported pre-training corpus) stays below 10^25 FLOP"
        )
    if base_flop is not None:
        threshold = base_flop / 3
    else:
        threshold = (SYSTEMIC_FLOP if systemic else GPAI_FLOP) / 3
        source = "gl64-fallback"
        notes.append(
            f"one-third threshold: GL §64 fallback {threshold:.2g} FLOP "
            f"(1/3 x {'1e25, systemic base' if systemic else '1e23'})"
        )
    ft_tokens: float | None
    ft_flop: float | None
    if own or relation in ("quantized_of", "merge_of"):
        ft_tokens, ft_flop = 0.0, 0.0
        notes.append(
            "the model is audited for itself: no modification"
            if own
            else f"no training ({relation}): a quantisation or a merge adds ~0 FLOP"
        )
    else:
        ft_tokens, ft_notes = fine_tune_tokens(adapter, card)
        notes.extend(ft_notes)
        ft_flop = 6 * params * ft_tokens if params is not None and ft_tokens is not None else None
    gpai = base_flop > GPAI_FLOP if base_flop is not None else (True if systemic else None)
    return ComputeEstimate(
        base_model=base_id,
        base_parameters=float(params) if params is not None else None,
        base_tokens=tokens,
        base_flop=base_flop,
        base_flop_source=source,
        ft_tokens=ft_tokens,
        ft_flop=ft_flop,
        one_third_threshold=threshold,
        ratio=ft_flop / threshold if ft_flop is not None else None,
        base_is_gpai=gpai,
        base_systemic=systemic,
        provider_presumed=ft_flop is not None and ft_flop > threshold,
        assumptions=tuple(notes),
        own=own,
    )
