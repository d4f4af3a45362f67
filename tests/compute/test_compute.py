"""compute.py: parameter count, tokens in text, the one-third test (docs/legal-basis.md §2.2-2.4,
§8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.compute import count_parameters, estimate, fine_tune_tokens, tokens_from_text
from auditor.models import AdapterEvidence, CardClaims, Claim, Location

from .configs import APERTUS_70B

LORA = AdapterEvidence(
    present=True,
    config_file="adapter_config.json",
    format="mlx-lm",
    hyperparameters={
        "iterations": 500,
        "batch_size": 1,
        "grad_accumulation": 1,
        "max_seq_length": 1024,
        "optimizer": "adam",
    },
)


def test_apertus_70b_parameter_count_is_exact() -> None:
    assert count_parameters(APERTUS_70B) == 70_599_864_480


def test_llama_family_counts() -> None:
    # Llama-3.1-8B: 8,030,261,248 parameters (HF safetensors total).
    llama31_8b = {
        "model_type": "llama",
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 128256,
        "tie_word_embeddings": False,
    }
    assert count_parameters(llama31_8b) == 8_030_261_248
    # Qwen2.5-0.5B: 494,032,768 (tied embeddings, q/k/v biases).
    qwen = {
        "model_type": "qwen2",
        "hidden_size": 896,
        "num_hidden_layers": 24,
        "intermediate_size": 4864,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "tie_word_embeddings": True,
    }
    assert count_parameters(qwen) == 494_032_768


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"model_type": "mixtral", "hidden_size": 8},
        {**APERTUS_70B, "hidden_size": "8192"},
        {**APERTUS_70B, "num_hidden_layers": -1},
        {**APERTUS_70B, "vocab_size": True},
        {k: v for k, v in APERTUS_70B.items() if k != "intermediate_size"},
    ],
)
def test_unknown_or_malformed_configs_give_none(config: dict[str, object]) -> None:
    assert count_parameters(config) is None


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Apertus was pretrained on 15T tokens of web, code and math data.", 15e12),
        ("EuroLLM-22B is a 22B parameter model trained on 4 trillion tokens divided across", 4e12),
        ("The corpus has 1.5 billion tokens.", 1.5e9),
        ("Training data: 15,000 billion tokens", 15e12),
        ("Long context support of up to 65,536 tokens.", None),
        ("Trained with a context window of 128K tokens.", None),
        ("Supports 64K tokens of context. Pretrained on 9T tokens.", 9e12),
        ("No numbers here.", None),
    ],
)
def test_tokens_from_text(text: str, tokens: float | None) -> None:
    assert tokens_from_text(text) == tokens


def test_apertus_70b_base_and_one_third_threshold() -> None:
    est = estimate(
        base_config=APERTUS_70B,
        base_id="swiss-ai/Apertus-70B-2509",
        base_tokens=15e12,
        base_flop_reported=None,
        adapter=LORA,
        card=CardClaims(),
    )
    assert est.base_parameters == 70_599_864_480
    assert est.base_flop == pytest.approx(6.35e24, rel=0.01)  # legal-basis §8: ≈ 6.4e24
    assert est.one_third_threshold == pytest.approx(2.1e24, rel=0.02)
    assert est.base_flop_source == "6ND"
    assert est.base_is_gpai is True and est.base_systemic is False


def test_lora_is_far_below_the_threshold() -> None:
    est = estimate(
        base_config=APERTUS_70B,
        base_id="swiss-ai/Apertus-70B-2509",
        base_tokens=15e12,
        base_flop_reported=None,
        adapter=LORA,
        card=CardClaims(),
    )
    assert est.ft_tokens == 512_000
    assert est.ft_flop == pytest.approx(2.2e17, rel=0.02)
    assert est.ft_flop is not None and est.ft_flop < 1e18
    assert est.provider_presumed is False
    assert est.ratio is not None and est.ratio < 1e-6
    assert any("upper bound" in a for a in est.assumptions)


def test_unknown_base_uses_the_gl64_fallback() -> None:
    est = estimate(
        base_config=None,
        base_id="org/mystery",
        base_tokens=None,
        base_flop_reported=None,
        adapter=LORA,
        card=CardClaims(),
    )
    assert est.one_third_threshold == pytest.approx(3.3e22, rel=0.02)
    assert est.base_flop is None and est.base_flop_source == "gl64-fallback"
    assert est.ft_flop is None and not est.provider_presumed  # no N_base, no 6·N·D
    systemic = estimate(
        base_config=None,
        base_id=None,
        base_tokens=None,
        base_flop_reported=None,
        adapter=LORA,
        card=CardClaims(),
        base_systemic=True,
    )
    assert systemic.one_third_threshold == pytest.approx(3.3e24, rel=0.02)
    assert systemic.base_is_gpai is True


def test_params_known_tokens_unknown_falls_back_but_estimates_the_fine_tune() -> None:
    est = estimate(
        base_config=APERTUS_70B,
        base_id=None,
        base_tokens=None,
        base_flop_reported=None,
        adapter=LORA,
        card=CardClaims(),
    )
    assert est.base_flop_source == "gl64-fallback" and est.base_flop is None
    assert est.ft_flop == pytest.approx(2.17e17, rel=0.01)
    assert est.ratio == pytest.approx(est.ft_flop / (1e23 / 3))


def test_reported_flop_wins_and_a_big_fine_tune_is_a_provider() -> None:
    adapter = AdapterEvidence(
        hyperparameters={"iterations": 1_000_000, "batch_size": 512, "max_seq_length": 8192}
    )
    est = estimate(
        base_config=APERTUS_70B,
        base_id=None,
        base_tokens=15e12,
        base_flop_reported=1e24,
        adapter=adapter,
        card=CardClaims(),
    )
    assert est.base_flop == 1e24 and est.base_flop_source == "reported"
    assert est.provider_presumed and est.ratio is not None and est.ratio > 1
    assert est.base_systemic is False


def test_card_claims_fill_missing_factors_and_defaults_are_listed() -> None:
    where = Location(file="README.md", line=40)
    card = CardClaims(
        hyperparameters=(
            Claim(name="iterations", value=500, raw="500", source="table", location=where),
            Claim(name="max_seq_length", value="1024", raw="1024", source="table", location=where),
        )
    )
    tokens, notes = fine_tune_tokens(AdapterEvidence(), card)
    assert tokens == 512_000
    assert "iterations=500 from the card (README.md:40)" in notes
    assert "batch_size not stated: assumed 1" in notes
    none, notes = fine_tune_tokens(AdapterEvidence(), CardClaims())
    assert none is None and "iterations not stated: no iteration count" in notes
    seq_default, _ = fine_tune_tokens(
        AdapterEvidence(hyperparameters={"iterations": 10}), CardClaims()
    )
    assert seq_default == 10 * 2048


@given(
    st.dictionaries(
        st.sampled_from(["iterations", "batch_size", "max_seq_length", "grad_accumulation"]),
        st.one_of(st.integers(), st.floats(), st.text(), st.booleans()),
    )
)
def test_estimate_never_raises_on_odd_hyperparameters(hp: dict[str, object]) -> None:
    adapter = AdapterEvidence(hyperparameters=hp)  # type: ignore[arg-type]
    est = estimate(
        base_config=APERTUS_70B,
        base_id=None,
        base_tokens=15e12,
        base_flop_reported=None,
        adapter=adapter,
        card=CardClaims(),
    )
    assert est.ft_flop is None or est.ft_flop > 0


@given(st.text())
def test_tokens_from_text_never_raises(text: str) -> None:
    result = tokens_from_text(text)
    assert result is None or result > 0


def test_mlx_lm_accumulation_does_not_multiply_tokens_but_peft_does() -> None:
    hp = {"iters": 500, "batch_size": 1, "grad_accumulation_steps": 8, "max_seq_length": 4096}
    mlx_adapter = AdapterEvidence(format="mlx-lm", hyperparameters=hp)
    mlx, notes = fine_tune_tokens(mlx_adapter, CardClaims())
    peft, _ = fine_tune_tokens(AdapterEvidence(format="peft", hyperparameters=hp), CardClaims())
    assert mlx == 500 * 4096
    assert peft == 500 * 8 * 4096
    assert any("micro-batches" in n for n in notes)
