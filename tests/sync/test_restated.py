"""Prose that restates hyperparameters: marked and corrected only where it contradicts the files."""

from __future__ import annotations

from sync_factories import evidence

from auditor.card import parse_card
from auditor.sync.restated import BEGIN, END, sync_restated

EV = evidence()
ROADMAP = (
    "Not evaluated yet. The adapter was trained with the standard `mlx-lm` LoRA\n"
    "trainer (rank 16, alpha 32, scale 2.0, AdamW LR 1e-5, 500 iters); the full\n"
    "hyperparameters are in the Training table above.\n"
)


def prose_values(text: str) -> dict[str, set[object]]:
    out: dict[str, set[object]] = {}
    for c in parse_card(text).hyperparameters:
        out.setdefault(c.name, set()).add(c.value if not isinstance(c.value, list) else None)
    return out


def test_the_restating_parenthesis_is_marked_and_corrected() -> None:
    text, notes = sync_restated(ROADMAP, EV, set())
    assert notes == []
    assert text == ROADMAP.replace(
        "(rank 16, alpha 32, scale 2.0, AdamW LR 1e-5, 500 iters)",
        f"({BEGIN}rank 16, alpha 32, scale 2.0, adam LR 1e-5, 500 iters{END})",
    )
    assert prose_values(text)["optimizer"] == {"adam"}
    assert sync_restated(text, EV, set()) == (text, [])  # idempotent


def test_agreeing_prose_is_not_touched() -> None:
    text = ROADMAP.replace("AdamW", "Adam")
    assert sync_restated(text, EV, set()) == (text, [])


def test_a_marked_span_follows_the_files_when_they_change() -> None:
    text, _ = sync_restated(ROADMAP, EV, set())
    retrained = evidence(rank=8, tensor_ranks=(8,), scale_divisor=8.0, alpha=None,
                         hyperparameters={**EV.hyperparameters, "iterations": 1000})  # fmt: skip
    again, _ = sync_restated(text, retrained, set())
    assert f"({BEGIN}rank 8, alpha 16, scale 2.0, adam LR 1e-5, 1000 iters{END})" in again


def test_a_lone_value_is_marked_by_itself() -> None:
    text = "The LoRA was trained with AdamW for 500 iters on one GPU.\n"
    new, notes = sync_restated(text, EV, set())
    assert notes == []
    assert new == f"The LoRA was trained with {BEGIN}adam{END} for 500 iters on one GPU.\n"


def test_what_cannot_be_located_is_left_for_a_person() -> None:
    start = "AdamW optimizer and 500 iters were used for the LoRA training.\n"
    new, notes = sync_restated(start, EV, set())
    assert new == start and notes and "start of a line" in notes[0]
    slash = "LoRA rank/alpha 8/16 was used for training.\n"
    new, notes = sync_restated(slash, EV, set())
    assert new == slash and "fix it by hand" in notes[0]


def test_tables_and_generated_lines_are_not_prose() -> None:
    table = "## Training\n\n| Optimizer | AdamW |\n|---|---|\n| Rank | 8 |\n"
    assert sync_restated(table, EV, set()) == (table, [])
    assert sync_restated(ROADMAP, EV, {2}) == (ROADMAP, [])
