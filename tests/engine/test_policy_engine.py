"""The CEL policy engine: loading, compile errors with positions, evaluation, profiles."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditor.errors import PolicyError
from auditor.models import AdapterEvidence, CardClaims, ComputeEstimate, Facts, License, Node
from auditor.policy import evaluate, load_policies
from auditor.policy.loader import load_file
from auditor.policy.testing import base_facts, merge

RULE = """\
pack: demo
rules:
  - id: demo.rule
    title: Demo
    severity: warning
    tags: [contested-law]
    each: "upstream.filter(u, u.license.sharealike)"
    violation: "true"
    message: "'leak from ' + item.id"
    location: "item.declared_at"
"""


def _facts(**over: object) -> Facts:
    return Facts.model_validate(merge(base_facts(), over))


def _node(node_id: str, **lic: object) -> dict[str, object]:
    license_ = {"declared": "x", "spdx": "X", "name": "x", "known": True, **lic}
    return {"id": node_id, "kind": "dataset", "role": "dataset", "depth": 1, "resolved": True,
            "license": license_,
            "declared_at": {"file": "README.md", "line": 7}}


def test_each_rule_yields_one_finding_per_item(tmp_path: Path) -> None:
    pack = tmp_path / "demo.yaml"
    pack.write_text(RULE)
    policy = load_policies(["none", str(pack)])
    facts = _facts(upstream=[_node("a/sa", sharealike=True), _node("b/plain"),
                             _node("c/sa", sharealike=True)])
    found = evaluate(facts, policy)
    assert [f.node for f in found] == ["a/sa", "c/sa"]
    assert found[0].message == "leak from a/sa"
    assert found[0].location is not None and found[0].location.line == 7
    assert found[0].severity.value == "warning"
    assert found[0].fingerprint and found[0].fingerprint != found[1].fingerprint


def test_strict_profile_raises_contested_rules(tmp_path: Path) -> None:
    pack = tmp_path / "demo.yaml"
    pack.write_text(RULE)
    policy = load_policies(["none", "strict", str(pack)])
    facts = _facts(upstream=[_node("a/sa", sharealike=True)])
    assert evaluate(facts, policy)[0].severity.value == "error"


def test_user_pack_overrides_builtin_rule_by_id(tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        "pack: mine\nrules:\n  - id: license.missing\n    title: t\n    severity: note\n"
        "    violation: 'true'\n    message: \"'overridden'\"\n"
    )
    policy = load_policies(["default", str(pack)])
    rules = [r for r in policy.rules if r.id == "license.missing"]
    assert len(rules) == 1 and rules[0].severity.value == "note"
    assert evaluate(_facts(), policy)[0].message == "overridden" or any(
        f.message == "overridden" for f in evaluate(_facts(), policy))


def test_syntax_error_names_file_rule_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE.replace("u.license.sharealike)", "u.license.sharealike &&& x)"))
    with pytest.raises(PolicyError) as err:
        load_file(bad)
    text = str(err.value)
    assert "bad.yaml" in text and "rule demo.rule" in text
    assert "line 7" in text and "column" in text


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("pack: x\nrules: 3\n", "rules"),
        ("pack: x\nrules:\n  - id: Bad Id\n    title: t\n    severity: error\n"
         "    violation: 'true'\n    message: \"'m'\"\n", "rule id"),
        ("pack: x\nrules:\n  - id: a.b\n    title: t\n    severity: fatal\n"
         "    violation: 'true'\n    message: \"'m'\"\n", "severity"),
        ("pack: x\nrules:\n  - id: a.b\n    title: t\n    severity: error\n"
         "    violation: 'true'\n", "missing key 'message'"),
        ("pack: x\nrules:\n  - id: a.b\n    title: t\n    severity: error\n    shell: rm\n"
         "    violation: 'true'\n    message: \"'m'\"\n", "unknown keys"),
        ("pack: [unclosed\n", "invalid YAML"),
    ],
)
def test_invalid_packs_are_policy_errors(tmp_path: Path, snippet: str, needle: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(snippet)
    with pytest.raises(PolicyError, match=needle):
        load_file(bad)


def test_runtime_error_names_the_rule(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    "    violation: 'subject.nope == 1'\n    message: \"'m'\"\n")
    with pytest.raises(PolicyError, match=r"rule p\.r.*evaluation failed"):
        evaluate(_facts(), load_policies(["none", str(pack)]))


def test_shipped_packs_load_and_have_unique_ids() -> None:
    policy = load_policies(["default"])
    ids = [r.id for r in policy.rules]
    assert len(ids) == len(set(ids))
    for needed in ("card.missing", "card.front-matter-invalid", "license.missing",
                   "license.sharealike-leak", "license.noncommercial-leak"):
        assert needed in ids
    assert all(s.startswith("builtin:") for s in policy.sources)


def test_evaluation_of_a_10000_node_graph_is_fast() -> None:
    """A guard, not the benchmark (bench/ measures): one pass must stay far under a second."""
    upstream = [
        Node(id=f"org/d{i}", kind="dataset", role="dataset", depth=1, resolved=True,
             license=License(declared="cc-by-sa-4.0", spdx="CC-BY-SA-4.0", name="x", known=True,
                             sharealike=i % 100 == 0))
        for i in range(10_000)
    ]
    subject = Node(id="s/s", kind="model", role="subject", depth=0, resolved=True,
                   license=License(declared="apache-2.0", spdx="Apache-2.0", name="a", known=True))
    facts = Facts(subject=subject, upstream=tuple(upstream), card=CardClaims(),
                  adapter=AdapterEvidence(), compute=ComputeEstimate())
    policy = load_policies(["default"])
    start = time.perf_counter()
    found = [f for f in evaluate(facts, policy) if f.rule_id == "license.sharealike-leak"]
    assert len(found) == 100
    assert time.perf_counter() - start < 10


def test_comprehension_nesting_is_bounded(tmp_path: Path) -> None:
    from auditor.policy.loader import MAX_COMPREHENSION_DEPTH, comprehension_depth

    assert comprehension_depth("xs.map(a, ys.filter(b, b > a))") == 2
    assert comprehension_depth("'x.map(' + y") == 0
    assert comprehension_depth("[1].filter(x, x > 0).map(x, x)") == 1
    nested = "xs" + "".join(f".map(a{i}, xs" for i in range(MAX_COMPREHENSION_DEPTH + 1))
    expr = nested + ")" * (MAX_COMPREHENSION_DEPTH + 1) + ".size() > 0"
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(f"pack: x\nrules:\n  - id: x.bomb\n    title: t\n    severity: error\n"
                    f"    violation: \"{expr}\"\n    message: \"'m'\"\n")
    with pytest.raises(PolicyError, match="nested"):
        load_file(bomb)
