"""The one-program walk's compile savings (``policy.walk``, ``rewrite.bind_repeated``): reads
of the candidate bound once, and a probe that spares compiling the finding rows; same rows."""

from __future__ import annotations

from pathlib import Path

from auditor.policy import load_policies
from auditor.policy.cel import Session, facts_document
from auditor.policy.programs import Deferred, Probed
from auditor.policy.rewrite import bind_repeated
from auditor.policy.testing import case_facts

COL = "(c)[_i_]"
TABLE = "_tables_['license'][_upstream_['license'][_i_]]"


def test_a_read_repeated_three_times_is_bound_once() -> None:
    body = f"{COL}['a'] + {COL}['b'] + ({COL})['c']"
    assert bind_repeated(body, [COL], ["_v0_"]) == (
        f"[{COL}].map(_v0_, _v0_['a'] + _v0_['b'] + _v0_['c'])[0]")


def test_longer_reads_go_first_and_each_gets_its_own_name() -> None:
    column = "_upstream_['license'][_i_]"
    body = " + ".join([f"{TABLE}['x']"] * 3 + [f"{column}"] * 3)
    out = bind_repeated(body, [column, TABLE], ["_v0_", "_v1_"])
    assert out.startswith(f"[{TABLE}].map(_v0_, [{column}].map(_v1_, _v0_['x']")


def test_rare_reads_strings_fields_and_calls_are_left_alone() -> None:
    assert bind_repeated(f"{COL} + {COL}", [COL], ["_v0_"]) == f"{COL} + {COL}"
    quoted = f"'{COL}' + '{COL}' + '{COL}'"
    assert bind_repeated(quoted, [COL], ["_v0_"]) == quoted
    called = f"size({COL}) + size({COL}) + size({COL})"
    assert bind_repeated(called, [COL], ["_v0_"]) == "[(c)[_i_]].map(_v0_, " + (
        "size(_v0_) + size(_v0_) + size(_v0_))[0]")


def test_a_body_that_rebinds_a_name_or_uses_the_engines_names_is_left_alone() -> None:
    rebinds = f"{COL} + {COL} + xs.map(c, {COL})"
    assert bind_repeated(rebinds, [COL], ["_v0_"]) == rebinds
    reindexed = f"{COL} + {COL} + xs.exists(_i_, {COL})"
    assert bind_repeated(reindexed, [COL], ["_v0_"]) == reindexed
    taken = f"{COL} + {COL} + {COL} + _v0_"
    assert bind_repeated(taken, [COL], ["_v0_"]) == taken


def _rule(name: str, pack: Path, violation: str) -> None:
    pack.write_text(
        "pack: p\nrules:\n"
        f"  - id: p.{name}\n    title: t\n    severity: error\n    each: upstream\n"
        f"    violation: \"{violation}\"\n"
        "    message: \"item.kind + ' ' + item.id + ' ' + item.license.spdx + ' '"
        " + item.license.name + ' ' + item.license.family + ' ' + item.role\"\n"
    )


def _walk(tmp_path: Path, violation: str) -> tuple[Probed, Session]:
    """The probed walk of a one-rule pack over two upstream nodes, and a session that binds
    both as the candidates, as the engine does."""
    pack = tmp_path / "p.yaml"
    _rule("r", pack, violation)
    facts = case_facts({"upstream": [{"id": "o/a"}, {"id": "o/b"}]})
    policy = load_policies(["none", str(pack)])
    rule = policy.rules[0]
    assert rule.plan is not None and isinstance(rule.plan.fused, Probed)
    session = Session(facts_document(facts, policy))
    session.scope["_chunk_"] = [0, 1]
    return rule.plan.fused, session


def test_a_rule_that_finds_nothing_compiles_only_its_probe(tmp_path: Path) -> None:
    fused, session = _walk(tmp_path, "item.license.sharealike")
    walk = Probed(fused.source, fused.probe)
    assert walk.execute(session.context) == []
    assert walk._program is None  # the rows were never compiled
    assert Deferred(fused.source).execute(session.context) == []


def test_a_rule_that_fires_gives_the_rows_of_its_walk(tmp_path: Path) -> None:
    fused, session = _walk(tmp_path, "item.id == 'o/b'")
    rows = fused.execute(session.context)
    assert rows == Deferred(fused.source).execute(session.context)
    assert [row["node"] for row in rows] == ["o/b"]
