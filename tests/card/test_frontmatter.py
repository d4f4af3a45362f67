"""Front matter: normalisation, line numbers, problems, and the YAML safety guards."""

from __future__ import annotations

import time

from auditor.card import parse_card
from auditor.card.frontmatter import _LEADING, MAX_FRONT_MATTER

from .helpers import problem_kinds

CARD = """---
license: apache-2.0
base_model:
- meta-llama/Llama-3.1-8B
- org/other
base_model_relation: adapter
datasets: org/data
library_name: peft
tags:
- lora
- lora
language:
- en
- no
pipeline_tag: text-generation
license_name: my-license
license_link: LICENSE
extra_gated_prompt: You agree to the AUP.
extra_gated_fields:
  Name: text
---
# Title
"""


def test_fields_are_normalised_with_lines() -> None:
    card = parse_card(CARD)
    md = card.metadata
    assert md.license == ("apache-2.0",)
    assert md.base_model == ("meta-llama/Llama-3.1-8B", "org/other")
    assert md.base_model_relation == "adapter"
    assert md.datasets == ("org/data",)
    assert md.library_name == "peft"
    assert md.tags == ("lora", "lora")
    assert md.language == ("en", "no")  # YAML 1.2 reading: Norwegian, not False
    assert md.pipeline_tag == "text-generation"
    assert (md.license_name, md.license_link) == ("my-license", "LICENSE")
    assert md.gated is True
    assert md.extra_gated_prompt == "You agree to the AUP."
    assert md.lines["license"] == 2
    assert md.lines["base_model"] == 3
    assert md.lines["extra_gated_fields"] == 19
    assert card.problems == ()
    assert card.sections[0].title == "Title" and card.sections[0].line == 22


def test_license_list_and_gated_flag() -> None:
    card = parse_card("---\nlicense: [mit, cc-by-4.0]\ngated: true\n---\n")
    assert card.metadata.license == ("mit", "cc-by-4.0")
    assert card.metadata.gated is True
    assert parse_card("---\ngated: false\n---\n").metadata.gated is False


def test_field_type_problems_keep_the_rest() -> None:
    card = parse_card("---\nlicense:\n  name: apache\nbase_model: 7\nlibrary_name: peft\n---\n")
    assert problem_kinds(card) == ["field-type", "field-type"]
    lines = sorted(p.location.line for p in card.problems)
    assert lines == [2, 4]
    assert card.metadata.license == ()
    assert card.metadata.base_model == ()
    assert card.metadata.library_name == "peft"
    assert "mapping" in card.problems[0].message


def test_invalid_yaml_reports_the_line() -> None:
    card = parse_card("---\nlicense: mit\ntags: [a, b\nother: x\n---\nbody\n")
    assert problem_kinds(card) == ["front-matter-invalid"]
    assert card.problems[0].location.line >= 3
    assert card.metadata.license == ()


def test_not_a_mapping() -> None:
    card = parse_card("---\n- a\n- b\n---\n# T\n")
    assert problem_kinds(card) == ["front-matter-invalid"]
    assert "not a mapping" in card.problems[0].message


def test_missing_and_unclosed() -> None:
    assert problem_kinds(parse_card("# Just a title\n")) == ["front-matter-missing"]
    unclosed = parse_card("---\nlicense: mit\n# no closing line\n")
    assert problem_kinds(unclosed) == ["front-matter-invalid"]
    assert "never closed" in unclosed.problems[0].message


def test_no_card_at_all() -> None:
    card = parse_card(None, file="README.md")
    assert card.present is False
    assert problem_kinds(card) == ["missing"]


def test_crlf_line_endings() -> None:
    card = parse_card("---\r\nlicense: mit\r\n---\r\n# T\r\n| Rank | 8 |\r\n")
    assert card.metadata.license == ("mit",)
    assert card.sections[0].line == 4
    assert card.hyperparameters[0].location.line == 5


def test_alias_bomb_is_cheap_and_harmless() -> None:
    bomb = ["---", "a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        bomb.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    bomb += ["license: *k", "tags: *k", "---", "# T"]
    start = time.perf_counter()
    card = parse_card("\n".join(bomb))
    assert time.perf_counter() - start < 5  # expanding it would take hours: a hang guard
    # An alias to a list of lists is the wrong type for a license; nothing was expanded.
    assert "field-type" in problem_kinds(card)


def test_recursive_alias_does_not_loop() -> None:
    card = parse_card("---\nlicense: &x [*x]\n---\n")
    assert problem_kinds(card) == ["field-type"]


def test_huge_front_matter_is_refused() -> None:
    block = "k: " + "x" * (MAX_FRONT_MATTER + 10)
    card = parse_card(f"---\n{block}\n---\n# T\n")
    assert problem_kinds(card) == ["front-matter-invalid"]
    assert "larger than" in card.problems[0].message


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = "k: " + "[" * 5000 + "]" * 5000
    card = parse_card(f"---\n{deep}\n---\n")
    assert problem_kinds(card) == ["front-matter-invalid"]


def test_python_tags_are_never_constructed() -> None:
    card = parse_card("---\nlicense: !!python/object/apply:os.system ['echo hi']\n---\n")
    # Composed only: the tag is not resolved into an object; the value is not a plain string.
    assert card.metadata.license == ()
    assert problem_kinds(card) == ["field-type"]


def test_front_matter_regex_is_the_hubs() -> None:
    """The copied pattern must stay identical to huggingface_hub's (the Hub server's) regex."""
    from huggingface_hub.repocard import REGEX_YAML_BLOCK as hub

    from auditor.card.frontmatter import REGEX_YAML_BLOCK as ours

    assert (ours.pattern, ours.flags) == (hub.pattern, hub.flags)


def test_leading_white_space_is_str_isspace_up_to_u3000_and_the_bom() -> None:
    assert "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\ufeff" == _LEADING
