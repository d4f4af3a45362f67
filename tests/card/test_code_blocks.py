"""Recipes and LoRA configs in a card's code blocks are claims with their lines."""

from __future__ import annotations

from auditor.card import parse_card

from .helpers import claims, kinds

MERGE = """---
license: apache-2.0
tags: [merge]
---
# Merge

```yaml
slices:
  - sources:
      - model: acme-ai/Orbit-7B-chat
        layer_range: [0, 32]
      - model: other-lab/Nimbus-7B
        layer_range: [0, 32]
merge_method: slerp
base_model: acme-ai/Orbit-7B-chat
```
"""


def test_a_mergekit_recipe_names_every_parent_and_the_method() -> None:
    card = parse_card(MERGE)
    found = [(c.value, c.location.line, c.source) for c in card.base_models_in_prose]
    assert ("acme-ai/Orbit-7B-chat", 10, "code") in found
    assert ("other-lab/Nimbus-7B", 12, "code") in found
    merge = [s for s in card.statements if s.kind == "merge-recipe"]
    assert [(s.value, s.location.line) for s in merge] == [("slerp", 14)]


def test_a_training_recipe_names_its_base_but_plain_code_does_not() -> None:
    card = parse_card(
        "# Card\n\n```yaml\nbase_model: acme-ai/Orbit-7B\ndatasets:\n  - path: acme-data/x\n"
        "sequence_len: 4096\n```\n\n```python\nmodel = load(model: 'acme-ai/Other-7B')\n"
        "base_model: acme-ai/Unrelated\n```\n"
    )
    assert [c.value for c in card.base_models_in_prose] == ["acme-ai/Orbit-7B"]
    assert "merge-recipe" not in kinds(card)


def test_model_keys_outside_a_merge_recipe_and_local_paths_are_not_parents() -> None:
    card = parse_card(
        "# Card\n\n```yaml\nmodels:\n  - model: ./checkpoints/a\n  - model: acme-ai/B\n"
        "merge_method: ties\n```\n\n```yaml\nmodel: acme-ai/Served\n```\n"
    )
    assert [c.value for c in card.base_models_in_prose] == ["acme-ai/B"]


def test_lora_config_call_gives_claims_with_lines() -> None:
    card = parse_card(
        "# Card\n\n```python\npeft_config = LoraConfig(\n    r=32,\n    lora_alpha=64,\n"
        "    lora_dropout=0.1,\n    target_modules=['q_proj', 'v_proj'],\n)\n"
        "trainer = Trainer(r=99)\n```\n"
    )
    got = {(c.name, repr(c.value), c.location.line) for c in card.hyperparameters}
    assert ("rank", "32", 5) in got
    assert ("alpha", "64", 6) in got
    assert ("dropout", "0.1", 7) in got
    assert ("target_modules", "['q_proj', 'v_proj']", 8) in got
    assert all(c.source == "code" for c in card.hyperparameters)
    assert 99 not in [c.value for c in claims(card, "rank")]  # after the call closed


def test_lora_config_dict_and_variables() -> None:
    card = parse_card(
        '# Card\n\n```python\nlora_config = {"r": 8, "lora_alpha": 16, '
        '"target_modules": modules}\n```\n'
    )
    assert [(c.name, c.value) for c in card.hyperparameters] == [("rank", 8), ("alpha", 16)]


def test_sentence_words_are_not_target_modules() -> None:
    card = parse_card("# Card\n\n- Target modules: todos los principales (q,k,v,o)\n")
    assert claims(card, "target_modules") == []


def test_lengths_of_different_quantities_are_not_one_claim() -> None:
    card = parse_card(
        "# Card\n\n| Parameter | Value |\n|---|---|\n"
        "| Max sequence length | 1536 tokens (1024 input + 512 output) |\n"
        "| Sequence length | 1024 input tokens |\n\nThe LoRA fine-tune used max_seq_length=1536.\n"
    )
    got = [(c.name, c.value, c.location.line) for c in card.hyperparameters]
    assert ("max_seq_length", 1536, 5) in got  # a total with its breakdown stays the total
    assert ("max_input_length", 1024, 6) in got  # the input's length is another quantity
    assert [c.value for c in claims(card, "max_seq_length")] == [1536, 1536]
