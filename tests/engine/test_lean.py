"""The upstream nodes as columns (``policy.lean``): same values, same findings, whole nodes kept
where a rule needs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.models import Facts
from auditor.models.codec import dump, load
from auditor.policy import evaluate, lean, load_policies
from auditor.policy.cel import Session, facts_document
from auditor.policy.rewrite import fast, tokens
from auditor.policy.testing import base_facts, case_facts, merge

LLAMA = {"declared": "llama3.1", "spdx": "LicenseRef-llama", "name": "Llama", "known": True,
         "family": "llama", "duties": ["license-copy"]}
SA = {"declared": "cc-by-sa-4.0", "spdx": "CC-BY-SA-4.0", "name": "CC BY-SA", "known": True,
      "sharealike": True}


def _facts(n: int) -> Facts:
    nodes = [{"id": f"o/r{i}", "kind": "dataset" if i % 2 else "model",
              "role": "dataset" if i % 2 else "base", "depth": 1 + i % 3, "resolved": i % 5 != 0,
              "license": LLAMA if i % 3 else SA, "files": ["README.md"] * (i % 2),
              "declared_at": {"file": "README.md", "line": i} if i % 4 else None}
             for i in range(n)]
    return load(Facts, merge(base_facts(), {"upstream": nodes}))


def _rewrite(expr: str) -> tuple[str, lean.Reads]:
    expr = fast(expr)
    return lean.rewrite(expr, tokens(expr))


def test_columns_hold_what_the_nodes_hold() -> None:
    facts = _facts(12)
    reads = lean.Reads(lean.FIELDS, False)
    doc = lean.columns(facts, reads)
    cols, tables = doc[lean.COLUMNS], doc[lean.TABLES]
    dumped = dump(facts)["upstream"]
    for i, node in enumerate(dumped):
        for name, value in node.items():
            got = cols[name][i] if name in lean.PLAIN else tables[name][cols[name][i]]
            assert got == value, (i, name)
    assert len(tables["license"]) == 2  # each distinct license once
    assert "upstream" not in doc  # no rule asked for whole nodes


@pytest.mark.parametrize(
    ("expr", "whole"),
    [
        ("upstream[0].license.spdx == 'x' && upstream.size() > 1", False),
        ("lists.range(upstream.size()).exists(u, upstream[u].kind == 'model')", False),
        ("upstream.exists(u, u.license.sharealike)", False),  # walked by index (policy.rewrite)
        ("upstream.filter(u, u.license.sharealike).size() > 0", True),
        ("[upstream[0]].exists(n, n.license.known)", True),
        ("has(upstream[0].license)", True),
        ("upstream[0]['lic' + 'ense'].known", True),
        ("[1].exists(upstream, upstream > 0)", True),  # a macro binds the name
    ],
)
def test_rewrites_give_the_same_value(expr: str, whole: bool) -> None:
    facts = _facts(6)
    rewritten, reads = _rewrite(expr)
    assert reads.whole is whole
    assert ("_upstream_" in rewritten) is (not whole)
    policy_doc: dict[str, Any] = dump(facts)
    doc = {**policy_doc, **lean.columns(facts, reads)}
    plain = Session(policy_doc)
    both = Session(doc)
    from auditor.policy.celimport import cel

    assert cel.compile(rewritten).execute(both.context) == cel.compile(expr).execute(plain.context)


def test_a_pack_using_whole_nodes_still_sees_them(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\nrules:\n"
        "  - id: p.whole\n    title: t\n    severity: error\n"
        "    violation: \"upstream.filter(u, u.license.sharealike).size() == 2\"\n"
        "    message: \"string(upstream.filter(u, u.license.sharealike).size())\"\n"
        "  - id: p.each\n    title: t\n    severity: warning\n    each: upstream\n"
        "    violation: \"item.license.family == 'llama' && item.resolved\"\n"
        "    message: \"item.id + ' ' + item.license.spdx\"\n")
    policy = load_policies(["none", str(pack)])
    assert policy.reads.whole
    found = evaluate(_facts(6), policy)
    assert sorted((f.rule_id, f.message) for f in found) == [
        ("p.each", "o/r1 LicenseRef-llama"), ("p.each", "o/r2 LicenseRef-llama"),
        ("p.each", "o/r4 LicenseRef-llama"), ("p.whole", "2"),
    ]


def test_an_unknown_node_field_is_still_an_error(tmp_path: Path) -> None:
    from auditor.errors import PolicyError

    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    "    each: upstream\n    violation: \"item.lisence.known\"\n"
                    "    message: \"item.id\"\n")
    policy = load_policies(["none", str(pack)])
    session = Session(facts_document(case_facts({"upstream": [
        {"id": "a/b", "kind": "model", "role": "base", "depth": 1, "resolved": True,
         "license": LLAMA}]}), policy))
    with pytest.raises(PolicyError, match="no field 'lisence'"):
        session.rows(policy.rules[0])
