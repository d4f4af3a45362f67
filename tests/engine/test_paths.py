"""Only what the rules select of the facts goes to CEL (``policy.paths``): same values for every
selection, and a value used any other way is kept whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import PolicyError
from auditor.models.codec import dump
from auditor.policy import evaluate, load_policies, paths
from auditor.policy.cel import facts_document
from auditor.policy.rewrite import fast, tokens
from auditor.policy.testing import case_facts


def _paths(expr: str) -> set[paths.Path]:
    expr = fast(expr)
    return paths.paths(tokens(expr))


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("subject.license.spdx == 'MIT'", {("subject", "license", "spdx")}),
        ("card.metadata.lines['license']", {("card", "metadata", "lines", "license")}),
        ("derived.license_traits[m.license].family",
         {("derived", "license_traits", "*", "family")}),
        ("adapter.rank_mismatches[0]", {("adapter", "rank_mismatches", "*")}),
        ("card.hyperparameters.exists(c, c.name == 'rank')", {("card", "hyperparameters")}),
        ("'x' in card.metadata.lines", {("card", "metadata", "lines", "#in")}),
        ("!('x' in card.metadata.lines) && true", {("card", "metadata", "lines", "#in")}),
        ("'x' in card.metadata.lines == true", {("card", "metadata", "lines")}),
        ("'x' in card.metadata.lines + {}", {("card", "metadata", "lines")}),
        ("has(card.metadata.gated)", {("card", "metadata", "gated")}),
        ("[card][0].file", {("card",)}),
        ("(subject).id", {("subject",)}),
        ("x.card.id + 'subject.id'", set()),  # a field named card; a string
        ("card[\"file\"] + card['it\\'s']", {("card", "file"), ("card", "*")}),
        ("derived[adapter.format].x", {("derived", "*", "x"), ("adapter", "format")}),
    ],
)
def test_the_paths_an_expression_selects(expr: str, expected: set[paths.Path]) -> None:
    assert _paths(expr) == expected


def test_prune_keeps_what_a_path_reaches_and_all_below_its_end() -> None:
    spec = paths.trie([("d", "m", "*", "a"), ("d", "m", "k"), ("d", "l", "*"), ("d", "w"),
                       ("d", "w", "deeper")])
    value = {"m": {"k": {"a": 1, "b": 2}, "j": {"a": 3, "b": 4}}, "l": [{"a": 1}],
             "w": {"x": 1}, "gone": [1, 2]}
    assert paths.prune(value, spec["d"]) == {
        "m": {"k": {"a": 1, "b": 2}, "j": {"a": 3}}, "l": [{"a": 1}], "w": {"x": 1}}
    assert paths.prune([1, 2], {"name": paths.WHOLE}) == [1, 2]  # a list indexed by a name
    keys = paths.trie([("d", "#in"), ("d", "a", "x")])["d"]
    assert paths.prune({"a": {"x": 1, "y": 2}, "b": {"x": 3}}, keys) == {"a": {"x": 1}, "b": None}
    assert paths.prune([{"x": 1}], keys) == [{"x": 1}]  # ``in`` a list compares whole elements


def test_the_document_holds_only_what_the_shipped_rules_select() -> None:
    policy = load_policies(["default"])
    facts = case_facts({"subject": {"statements": [
        {"kind": "no-web-scraping", "text": "t", "location": {"file": "README.md"}}]}})
    document = facts_document(facts, policy)
    assert "statements" not in document["subject"] and "chain_rows" not in document["card"]
    assert document["card"]["hyperparameters"] == []  # used whole: kept
    full = dump(facts)["subject"]["license"]  # the rules select ten of its fields by name
    kept = document["subject"]["license"]
    assert kept == {k: v for k, v in full.items() if k in kept} and len(kept) == 10
    assert "duties" not in kept and "terms_url" not in kept


def test_a_pack_reading_an_unselected_field_still_sees_it(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    "    violation: \"subject.statements.size() > 0\"\n    message: \"'m'\"\n")
    policy = load_policies(["none", str(pack)])
    facts = case_facts({"subject": {"statements": [
        {"kind": "no-web-scraping", "text": "t", "location": {"file": "README.md"}}]}})
    assert "statements" in facts_document(facts, policy)["subject"]
    assert [f.rule_id for f in evaluate(facts, policy)] == ["p.r"]


def test_a_field_no_rule_selects_is_absent_as_before(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    "    violation: \"subject.no_such_field\"\n    message: \"'m'\"\n")
    with pytest.raises(PolicyError, match="no_such_field"):
        evaluate(case_facts({}), load_policies(["none", str(pack)]))
