"""The CEL policy engine: loading, compile errors with positions, evaluation, profiles."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditor.errors import PolicyError
from auditor.models import AdapterEvidence, CardClaims, ComputeEstimate, Facts, License, Node
from auditor.models.codec import dump, load, names
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
    return load(Facts, merge(base_facts(), over))


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
    needle = r"rule p\.r.*evaluation failed \(violation\): no field 'nope'"
    with pytest.raises(PolicyError, match=needle):
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
    from auditor.policy.plan import MAX_COMPREHENSION_DEPTH, comprehension_depth

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


# --- the rewrites for cel-rust's cost model keep the meaning of every expression -------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("item.license.spdx", "item['license']['spdx']"),
        ("s.lowerAscii().contains(x.y)", "s.lowerAscii().contains(x['y'])"),
        ("lists.range(n).map(i, i)", "lists.range(n).map(i, i)"),
        ("has(a.b.c)", "has(a['b'].c)"),
        ("has(a.b) && a.b.size() > 0", "has(a.b) && a['b'].size() > 0"),
        ("'a.b' + x.y", "'a.b' + x['y']"),
        ("1.5 + x.y", "1.5 + x['y']"),
        ("f(x).y[0].z", "f(x)['y'][0]['z']"),
        ("{'k': v}.k", "{'k': v}.k"),  # a map literal's '}' is left alone (not an operand end)
    ],
)
def test_bracket_fields(expr: str, expected: str) -> None:
    from auditor.policy.rewrite import bracket_fields

    assert bracket_fields(expr) == expected


def test_walk_by_index_rewrites_large_list_quantifiers_only() -> None:
    from auditor.policy.rewrite import walk_by_index

    assert walk_by_index("upstream.exists(u, u.gated && u.id != '')") == (
        "lists.range(upstream.size()).exists(_u_, upstream[_u_].gated && upstream[_u_].id != '')"
    )
    assert walk_by_index("card.statements.exists(s, s.kind == 'x')") == (
        "card.statements.exists(s, s.kind == 'x')")
    rebound = "upstream.all(u, upstream.exists(u, u.depth > 1))"
    # The inner quantifier shadows the outer one; once it is rewritten, so is the outer one.
    assert walk_by_index(rebound) == (
        "lists.range(upstream.size()).all(_u_, "
        "lists.range(upstream.size()).exists(_u_, upstream[_u_].depth > 1))")
    assert walk_by_index("upstream.all(u, card.xs.exists(u, u > 1))").startswith("upstream.all(")
    assert "upstream.filter(u" in walk_by_index("upstream.filter(u, u.gated).size() > 0")


@pytest.mark.parametrize(
    "expr",
    [
        "upstream.exists(u, u.license.sharealike && u.depth > 1)",
        "upstream.all(u, u.license.known || !has(u.license.spdx))",
        "!upstream.exists(o, o.depth < 2 && upstream.all(p, p.id != o.id || p.gated == o.gated))",
        "upstream.size() > 0 && upstream[0].declared_at.line == 7",
    ],
)
def test_rewritten_expressions_give_the_same_values(expr: str) -> None:
    from auditor.policy.cel import make_context
    from auditor.policy.celimport import cel
    from auditor.policy.rewrite import fast

    facts = _facts(upstream=[_node("a/sa", sharealike=True), _node("b/plain"),
                             {**_node("c/deep"), "depth": 3, "gated": True}])
    context = make_context(dump(facts))
    assert fast(expr) != expr
    assert cel.compile(fast(expr)).execute(context) == cel.compile(expr).execute(context)


def test_each_is_walked_in_chunks_and_capped(tmp_path: Path) -> None:
    from auditor.policy.cel import CHUNK, MAX_FINDINGS_PER_RULE

    pack = tmp_path / "demo.yaml"
    pack.write_text(RULE.replace('"upstream.filter(u, u.license.sharealike)"', "upstream")
                    .replace('violation: "true"', 'violation: "item.license.sharealike"'))
    policy = load_policies(["none", str(pack)])
    count = CHUNK * 2 + 5
    nodes = [_node(f"o/n{i:04d}", sharealike=i % 3 == 0) for i in range(count)]
    found = evaluate(_facts(upstream=nodes), policy)
    assert [f.node for f in found] == [f"o/n{i:04d}" for i in range(0, count, 3)]  # across chunks
    many = [_node(f"o/m{i:04d}", sharealike=True) for i in range(MAX_FINDINGS_PER_RULE + 50)]
    assert len(evaluate(_facts(upstream=many), policy)) == MAX_FINDINGS_PER_RULE


def test_let_is_evaluated_once_and_bound_by_name(tmp_path: Path) -> None:
    pack = tmp_path / "let.yaml"
    pack.write_text(
        "pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
        "    let:\n      gated_ids: \"upstream.filter(u, u.gated).map(u, u.id)\"\n"
        "      any_gated: \"gated_ids.size() > 0\"\n"
        "    each: upstream\n"
        "    violation: \"any_gated && !(item.id in gated_ids)\"\n"
        "    message: \"item.id + ' is open while ' + gated_ids.join(',') + ' is gated'\"\n")
    facts = _facts(upstream=[_node("a/a"), {**_node("b/b"), "gated": True}])
    found = evaluate(facts, load_policies(["none", str(pack)]))
    assert [f.message for f in found] == ["a/a is open while b/b is gated"]


@pytest.mark.parametrize(
    ("let", "needle"),
    [("      upstream: \"1\"\n", "not a usable name"), ("      item: \"1\"\n", "not a usable name"),
     ("      x: \"1 +\"\n", "syntax error")],
)
def test_bad_let_is_a_policy_error(tmp_path: Path, let: str, needle: str) -> None:
    pack = tmp_path / "let.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    f"    let:\n{let}    violation: 'true'\n    message: \"'m'\"\n")
    with pytest.raises(PolicyError, match=needle):
        load_file(pack)


def test_non_boolean_when_is_a_policy_error(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    "    when: \"'yes'\"\n    each: upstream\n    violation: 'true'\n"
                    "    message: \"'m'\"\n")
    with pytest.raises(PolicyError, match="'when' must give true or false"):
        evaluate(_facts(), load_policies(["none", str(pack)]))


def test_unreferenced_facts_are_not_handed_to_cel() -> None:
    policy = load_policies(["default"])
    # The shipped rules read the upstream nodes field by field, as columns (policy.lean): the
    # list of whole node maps is never converted, nor ``edges``.
    assert "_upstream_" in policy.variables and "upstream" not in policy.variables
    assert not policy.reads.whole and "edges" not in policy.variables


def test_parts_give_one_finding_per_violating_part(tmp_path: Path) -> None:
    pack = tmp_path / "parts.yaml"
    pack.write_text(
        "pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
        "    each: upstream\n"
        "    parts: \"item.license.sharealike ? ['a', 'b', 'c'] : []\"\n"
        "    violation: \"part != 'b'\"\n"
        "    message: \"item.id + ':' + part\"\n")
    facts = _facts(upstream=[_node("x/1", sharealike=True), _node("x/2"),
                             _node("x/3", sharealike=True)])
    found = evaluate(facts, load_policies(["none", str(pack)]))
    assert sorted(f.message for f in found) == ["x/1:a", "x/1:c", "x/3:a", "x/3:c"]
    assert {f.node for f in found} == {"x/1", "x/3"}
    pack.write_text(pack.read_text().replace("    each: upstream\n", ""))
    with pytest.raises(PolicyError, match="'parts' needs 'each'"):
        load_file(pack)


def test_an_expression_cannot_break_out_of_its_slot(tmp_path: Path) -> None:
    """Valid once combined with the others, but not on its own: rejected, not run."""
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: p\nrules:\n  - id: p.r\n    title: t\n    severity: error\n"
                    "    violation: \"true) || (false\"\n    message: \"'m'\"\n")
    with pytest.raises(PolicyError, match=r"rule p\.r"):
        load_file(pack)


def test_every_shipped_program_compiles() -> None:
    """The shipped packs' programs are compiled when they first run (``plan.Deferred``): their
    syntax is checked here instead, all of them, whichever rules a facts document triggers."""
    from auditor.policy.celimport import cel
    from auditor.policy.plan import Deferred

    facts_names = set(names(Facts)) | {"_upstream_", "_tables_"}
    count = 0
    for rule in load_policies(["default"]).rules:
        assert rule.plan is not None
        plan = rule.plan
        programs = [p for p in (plan.when, plan.single, plan.size, plan.each, plan.select,
                                plan.rows) if p is not None]
        programs += [p for _name, p in plan.lets]
        assert all(isinstance(p, Deferred) for p in programs)
        count += len(programs)
        for program in programs:  # compiles, and every facts variable it reads is converted
            assert set(cel.compile(program.source).variables()) & facts_names <= plan.variables
    assert count > 100


@pytest.mark.parametrize(
    "text", ["", "Acceptable USE Policy", "ÀÉÎ Straße ΣΑΣ İ K Å", "A\u0130Z[@`{"]
)
def test_lower_ascii_keeps_the_stdlib_meaning(text: str) -> None:
    """``lowerAscii`` is replaced by a faster function; only A-Z change, as in the stdlib."""
    from cel.stdlib import lower_ascii as stdlib_lower_ascii

    from auditor.policy.cel import lower_ascii

    assert lower_ascii(text) == stdlib_lower_ascii(text)


def test_names_are_the_variables_an_expression_may_read() -> None:
    from auditor.policy.rewrite import names

    expr = ("card.x.exists(s, s.kind == 'upstream edges' && subject . id != 1.5e3) "
            "&& size(files) > 0 && \"derived\" != r'compute'")
    assert names(expr) == {"card", "s", "subject", "files"}
