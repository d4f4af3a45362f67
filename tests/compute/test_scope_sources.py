"""Compute for quantisations and merges, for a model audited for itself, and from the card's own
figures when there is no config (evidence of last resort, marked low-confidence)."""

from __future__ import annotations

import pytest

from auditor.compute import estimate
from auditor.compute_text import params_from_text, tokens_from_text
from auditor.models import AdapterEvidence, CardClaims

from .configs import APERTUS_70B


def _estimate(**kw: object) -> object:
    args: dict[str, object] = {
        "base_config": APERTUS_70B,
        "base_id": "org/base",
        "base_tokens": 15e12,
        "base_flop_reported": None,
        "adapter": AdapterEvidence(),
        "card": CardClaims(),
    }
    args.update(kw)
    return estimate(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("relation", ["quantized_of", "merge_of"])
def test_a_quantisation_or_merge_adds_no_compute(relation: str) -> None:
    est = _estimate(relation=relation)
    assert est.ft_flop == 0.0 and est.ft_tokens == 0.0  # type: ignore[attr-defined]
    assert not est.provider_presumed  # type: ignore[attr-defined]
    assert any(relation in a for a in est.assumptions)  # type: ignore[attr-defined]


def test_a_fine_tune_without_figures_is_still_unknown() -> None:
    est = _estimate(relation="finetune_of")
    assert est.ft_flop is None  # type: ignore[attr-defined]


def test_a_model_audited_for_itself_uses_its_own_figures() -> None:
    est = _estimate(base_id="org/self", own=True)
    assert est.own and est.base_model == "org/self"  # type: ignore[attr-defined]
    assert est.base_flop == pytest.approx(6 * 70_599_864_480 * 15e12)  # type: ignore[attr-defined]
    assert est.ft_flop == 0.0 and not est.provider_presumed  # type: ignore[attr-defined]


def test_card_parameter_count_is_last_resort_and_marked() -> None:
    text = "- Number of Parameters: 7.61B\n- Number of Parameters (Non-Embedding): 6.53B\n"
    est = _estimate(base_config=None, base_tokens=None, base_text=text, own=True)
    assert est.base_parameters == pytest.approx(7.61e9)  # type: ignore[attr-defined]
    assert any("low confidence" in a for a in est.assumptions)  # type: ignore[attr-defined]
    # Unknown tokens, but 7.61B parameters cannot reach 10^25 FLOP: not "possibly systemic".
    assert est.base_systemic is False  # type: ignore[attr-defined]
    assert est.base_is_gpai is None  # type: ignore[attr-defined]


def test_a_huge_model_of_unknown_tokens_may_still_be_systemic() -> None:
    est = _estimate(base_config=None, base_tokens=None, base_text="Parameters: 405B", own=True)
    assert est.base_systemic is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("**Parameter Count:** 1.5 billion\n(compare a 9 billion parameters model)", 1.5e9),
        ("StarChat is a 16B parameter GPT-like model.", 16e9),
        ("The family ranges from 0.5 to 72 billion parameters.", None),
        ("Sizes 1B-70B parameters are available.", None),
        ("A mixture of experts with 13B active parameters.", None),
        ("No size given.", None),
    ],
)
def test_params_from_text(text: str, params: float | None) -> None:
    assert params_from_text(text) == params


@pytest.mark.parametrize(
    "text",
    [
        "Significant improvements in generating long texts (over 8K tokens) and structured data.",
        "The model can generate up to 8 thousand tokens of output from training prompts.",
        "Fine-tuned on 2 million tokens of instruction data.",
    ],
)
def test_generation_and_small_counts_are_not_pretraining_tokens(text: str) -> None:
    assert tokens_from_text(text) is None
