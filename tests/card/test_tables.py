"""Tables and labelled fields: push v2 Training table, horizontal tables, License chain."""

from __future__ import annotations

import pytest

from auditor.card import parse_card
from auditor.card.values import (
    parse_base,
    parse_float,
    parse_int,
    parse_method,
    parse_modules,
    parse_number,
)

from .helpers import claims, problem_kinds, values

PUSH_V2 = """---
license: apache-2.0
---
## Training

| Hyperparameter   | Value                  |
|------------------|------------------------|
| Base model       | `org/base-7b`          |
| Method           | LoRA via `mlx-lm`      |
| Rank             | 16            |
| Scale            | 2.0           |
| Alpha            | 32           |
| Dropout          | 0.05 |
| Max seq length   | 1024  |
| Iterations       | 500       |
| Batch size | 1 |
| Grad accumulation | 8 |
| Optimizer        | Adam, LR 1e-5          |
| Target modules | `q_proj`, `k_proj`, `v_proj`, `o_proj` (attention only) |
| Num layers | -1 |
| Hardware         | Apple M3 Ultra 512 GB  |

## License chain

| Component                         | License           |
|-----------------------------------|-------------------|
| Base model (`org/base-7b`)        | apache-2.0    |
| Training data (Stack Exchange)    | CC-BY-SA-4.0 |
| **LoRA adapter (this repo)** | **apache-2.0**|
"""


def test_push_v2_training_table() -> None:
    card = parse_card(PUSH_V2)
    expected = {
        "rank": 16, "scale": 2.0, "alpha": 32, "dropout": 0.05, "max_seq_length": 1024,
        "iterations": 500, "batch_size": 1, "grad_accumulation": 8, "optimizer": "adam",
        "learning_rate": 1e-5, "method": "lora", "library": "mlx-lm", "base_model": "org/base-7b",
        "num_layers": -1,
    }  # fmt: skip
    for name, value in expected.items():
        assert values(card, name) == [value], name
        assert type(values(card, name)[0]) is type(value), name
    assert values(card, "target_modules") == [["q_proj", "k_proj", "v_proj", "o_proj"]]
    optimizer = claims(card, "optimizer")[0]
    assert optimizer.raw == "Adam, LR 1e-5"
    assert optimizer.source == "table"
    assert optimizer.location.line == 18
    assert claims(card, "learning_rate")[0].location.line == 18
    assert "push-v2" in card.dialects


def test_license_chain_rows() -> None:
    card = parse_card(PUSH_V2)
    rows = card.chain_rows
    assert [r.license for r in rows] == ["Apache-2.0", "CC-BY-SA-4.0", "Apache-2.0"]
    assert [r.is_subject for r in rows] == [False, False, True]
    assert rows[0].component == "Base model (org/base-7b)"
    assert rows[2].license_text == "apache-2.0"
    assert rows[1].location.line == 28
    chain = [m for m in card.license_mentions if m.context.startswith("chain")]
    assert [(m.context, m.about_subject) for m in chain][-1] == ("chain-subject", True)
    # Chain rows are not double-counted as prose mentions.
    assert all(m.context != "prose" for m in card.license_mentions)


def test_subject_row_by_wording_not_bold() -> None:
    card = parse_card(
        "## License chain\n| Component | License |\n|---|---|\n"
        "| LoRA weights | MIT |\n| Base | Llama 3.1 Community License |\n"
    )
    assert [r.is_subject for r in card.chain_rows] == [True, False]
    assert card.chain_rows[0].license == "MIT"


def test_horizontal_table() -> None:
    card = parse_card(
        "| rank | alpha | learning rate | epochs |\n|---|---|---|---|\n| 8 | 16 | 2e-4 | 3 |\n"
    )
    assert values(card, "rank") == [8]
    assert values(card, "alpha") == [16]
    assert values(card, "learning_rate") == [2e-4]
    assert values(card, "epochs") == [3]


def test_slash_row_is_read_pairwise() -> None:
    card = parse_card(
        "| Setting | Value |\n|---|---|\n| Rank / alpha / dropout | 16 / 32 / 0.05 |\n"
    )
    assert values(card, "rank") == [16]
    assert values(card, "alpha") == [32]
    assert values(card, "dropout") == [0.05]


def test_unknown_rows_make_no_claims() -> None:
    card = parse_card(
        "| Model | Avg | ARC |\n|---|---:|---:|\n| Apertus-70B | 67.5 | 70.6 |\n"
        "| Task | Score |\n| Rank on leaderboard | 3 |\n"
    )
    assert card.hyperparameters == ()


def test_cut_off_last_row_is_truncated() -> None:
    card = parse_card("| Component | License |\n|---|---|\n| Base | mit |\n| Training data (int")
    assert problem_kinds(card) == ["front-matter-missing", "truncated"]
    assert card.problems[1].location.line == 4


def test_rows_without_closing_pipes_are_fine() -> None:
    card = parse_card("| a | b\n|---|---\n| Rank | 4\n| Alpha | 8\n\ntext\n")
    assert "truncated" not in problem_kinds(card)
    assert values(card, "rank") == [4]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42,401,792 / 8,038,558,240 (0.53%)", 42401792),
        ("1.2M", 1_200_000),
        ("-1", -1),
        ("v0.4.2", None),
        ("none", None),
    ],
)
def test_parse_int(text: str, expected: int | None) -> None:
    assert parse_int(text) == expected


def test_parse_number_keeps_int_and_float() -> None:
    assert parse_number("32") == 32 and isinstance(parse_number("32"), int)
    assert parse_number("16.0") == 16.0 and isinstance(parse_number("16.0"), float)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj",
         ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
        ("'query_key_value', 'dense'", ["query_key_value", "dense"]),
        ("all linear layers", ["all-linear"]),
        ("attention and MLP", None),
    ],
)  # fmt: skip
def test_parse_modules(text: str, expected: list[str] | None) -> None:
    assert parse_modules(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[meta-llama/Llama-2-7b](https://hf.co/meta-llama/Llama-2-7b)", "meta-llama/Llama-2-7b"),
        ("https://huggingface.co/google/gemma-2b", "google/gemma-2b"),
        ("LLaMA", "LLaMA"),
        ("[More Information Needed]", None),
        ("67.5", None),
        ("capability is good", None),
    ],
)  # fmt: skip
def test_parse_base(text: str, expected: str | None) -> None:
    assert parse_base(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e-5", 1e-5),
        ("2 × 10⁻⁴", 2e-4),
        ("1.5 * 10**-4", 1.5e-4),
        ("3.2e-5, cosine decay", 3.2e-5),
    ],
)
def test_parse_float(text: str, expected: float) -> None:
    assert parse_float(text) == expected


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("QLoRA (4-bit NF4)", "qlora"),
        ("DoRA", "dora"),
        ("rsLoRA", "rslora"),
        ("RS-LoRA", "rslora"),
        ("LoRA via mlx-lm", "lora"),
        ("IA3", "ia3"),
        ("Prefix tuning", "prefix-tuning"),
        ("P-tuning v2", "p-tuning"),
        ("prompt tuning", "prompt-tuning"),
        ("Full-parameter fine-tuning", "full"),
        ("full finetune", "full"),
        ("prefıx tuning", "prefix-tuning"),  # dotless i: the pattern matches it case-insensitively
        ("SFT", None),
    ],
)
def test_method_names(text: str, method: str | None) -> None:
    assert parse_method(text) == method
